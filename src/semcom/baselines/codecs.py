"""Image codecs for separate source-channel coding, behind one interface, with honest bit accounting.

Every codec maps an RGB image (``uint8`` numpy array [H, W, 3]) and an integer quality to a *link
payload*: the bytes a real link has to carry for the receiver to rebuild the image, and back.

**What is counted.** For 32x32 images the fixed parts of the usual files outweigh the coded picture:
a JPEG file of a CIFAR-10 image carries about 620 bytes of markers and tables (quantization and
Huffman tables that depend only on the quality) around 60 to 900 bytes of entropy-coded data; a
HEIF file carries 417 bytes of container and HEVC parameter sets around a slice of similar size.
A link between two ends that run the same codec does not send what the receiver can regenerate, so:

* ``jpeg`` (Pillow / libjpeg, 4:2:0, standard Huffman tables): the payload is the entropy-coded
  segment (between the SOS header and the EOI marker). The receiver rebuilds the headers from the
  quality and the image size (they do not depend on the picture; a test checks it).
* ``bpg`` (HEVC intra, BPG's coder, through pillow-heif's x265; no BPG encoder exists here, the name
  ``bpg`` means "BPG's coder", and results say ``hevc-x265``): the payload is the coded slice NAL unit.
  The HEIF container and the VPS/SPS/PPS parameter sets are rebuilt from the quality and the image size.
* ``jpeg2000`` (OpenJPEG J2K codestream), ``webp``, ``avif`` and ``jpegxl`` (raw codestream) through
  imagecodecs: the payload is the whole stream as the library writes it (their fixed overhead is
  counted: small for J2K, WebP and JPEG XL, about 300 bytes for AVIF's container).

Every payload is prefixed by a link header: one byte of quality index and the payload length as a
LEB128 varint (one byte up to 127 bytes, two up to 16383), so that the receiver can drop the zero
padding of the channel block. ``payload_bits`` = 8 x (header + payload) bytes is what rate control
compares with B_max.

Usage::

    codec = create_codec("bpg")
    data = codec.encode(img, quality=30)          # link payload (bytes)
    rec = codec.decode(data, shape=img.shape)     # uint8 [H, W, 3]
    data, q = codec.encode_to_budget(img, 8 * 48) # largest quality whose payload fits, or (None, None)
"""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np

from semcom.errors import SemcomError
from semcom.registry import Registry

CODECS: Registry = Registry("codec")


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    n = shift = 0
    while True:
        if pos >= len(data):
            raise SemcomError("truncated link header: the payload length varint runs past the data")
        b = data[pos]
        n |= (b & 0x7F) << shift
        pos += 1
        shift += 7
        if not b & 0x80:
            return n, pos


def frame(quality_index: int, body: bytes) -> bytes:
    """Link framing: quality index (1 byte) + LEB128 length + body."""
    if not 0 <= quality_index < 256:
        raise SemcomError(f"quality index {quality_index} does not fit the one-byte link header")
    return bytes([quality_index]) + _varint(len(body)) + body


def unframe(data: bytes) -> tuple[int, bytes]:
    """Inverse of :func:`frame`; trailing zero padding is ignored."""
    if not data:
        raise SemcomError("empty link payload")
    n, pos = _read_varint(data, 1)
    if pos + n > len(data):
        raise SemcomError(f"link header announces {n} bytes but only {len(data) - pos} follow")
    return data[0], data[pos:pos + n]


def _check_image(img: np.ndarray) -> np.ndarray:
    if not isinstance(img, np.ndarray) or img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        raise SemcomError(f"codec input must be a uint8 numpy array [H, W, 3], got "
                          f"{getattr(img, 'dtype', type(img).__name__)} {list(getattr(img, 'shape', []))}")
    return np.ascontiguousarray(img)


class Codec(ABC):
    """An image codec with a quality ladder and link-payload accounting (see the module docstring).

    Attributes:
        name: registry name; ``coder``: the actual coder behind it (written into results).
        qualities: the quality values, lowest rate first. ``quality`` arguments take these values.
    """

    name: str = ""
    coder: str = ""
    qualities: list[int] = []

    def _index(self, quality: int) -> int:
        try:
            return self.qualities.index(int(quality))
        except ValueError:
            raise SemcomError(f"{self.name}: quality {quality} is not on its ladder "
                              f"({self.qualities[0]}..{self.qualities[-1]})") from None

    @abstractmethod
    def _encode(self, img: np.ndarray, quality: int) -> bytes:
        """The body (what the link carries, without the link header)."""

    @abstractmethod
    def _decode(self, body: bytes, quality: int, shape: tuple[int, int]) -> np.ndarray:
        """Rebuild the image from the body."""

    def encode(self, img: np.ndarray, quality: int) -> bytes:
        """Link payload (header + body) of ``img`` [H, W, 3] uint8 at ``quality``."""
        img = _check_image(img)
        return frame(self._index(quality), self._encode(img, int(quality)))

    def decode(self, data: bytes, shape: tuple[int, ...]) -> np.ndarray:
        """The image (uint8 [H, W, 3]) from a link payload; ``shape`` is the image size, known to the receiver."""
        qi, body = unframe(bytes(data))
        if qi >= len(self.qualities):
            raise SemcomError(f"{self.name}: quality index {qi} in the link header is out of range")
        out = self._decode(body, self.qualities[qi], (int(shape[0]), int(shape[1])))
        return np.ascontiguousarray(out[..., :3]).astype(np.uint8)

    @staticmethod
    def payload_bits(data: bytes) -> int:
        """Bits the link carries for this payload (header included)."""
        return 8 * len(data)

    def encode_to_budget(self, img: np.ndarray, max_bits: int) -> tuple[bytes | None, int | None]:
        """Rate control of Li et al. 2025: the largest quality whose payload fits ``max_bits`` (B_max).

        Walks down the quality ladder from the top, as the paper does, with a bisection first (payload
        sizes are non-decreasing in quality for these coders; the walk down from the bisection's
        answer keeps the result exact where they are not). Returns ``(None, None)`` when even the
        lowest quality does not fit: the transmission fails.
        """
        img = _check_image(img)
        sizes: dict[int, bytes] = {}

        def enc(i: int) -> bytes:
            if i not in sizes:
                sizes[i] = self.encode(img, self.qualities[i])
            return sizes[i]

        lo, hi = 0, len(self.qualities) - 1
        if self.payload_bits(enc(lo)) > max_bits:
            return None, None
        if self.payload_bits(enc(hi)) <= max_bits:
            return enc(hi), self.qualities[hi]
        while hi - lo > 1:  # invariant: lo fits, hi does not
            mid = (lo + hi) // 2
            if self.payload_bits(enc(mid)) <= max_bits:
                lo = mid
            else:
                hi = mid
        return enc(lo), self.qualities[lo]


@CODECS.register("jpeg")
class JPEGCodec(Codec):
    """JPEG through Pillow (libjpeg), 4:2:0, standard tables, quality 1..100; headers not sent."""

    name, coder = "jpeg", "jpeg-pillow-libjpeg-420"
    qualities = list(range(1, 101))

    def _file(self, img: np.ndarray, quality: int) -> bytes:
        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(img).save(buf, format="JPEG", quality=quality, subsampling=2, optimize=False)
        return buf.getvalue()

    @staticmethod
    def _split(data: bytes) -> tuple[bytes, bytes]:
        """(headers up to the end of the SOS header, entropy-coded data without EOI)."""
        i = 2
        while i < len(data):
            if data[i] != 0xFF:
                raise SemcomError("malformed JPEG stream: marker expected")
            marker, length = data[i + 1], int.from_bytes(data[i + 2:i + 4], "big")
            if marker == 0xDA:
                end = i + 2 + length
                if data[-2:] != b"\xff\xd9":
                    raise SemcomError("malformed JPEG stream: no EOI marker")
                return data[:end], data[end:-2]
            i += 2 + length
        raise SemcomError("malformed JPEG stream: no SOS marker")

    @lru_cache(maxsize=512)  # noqa: B019  (codec objects live as long as the process)
    def _header(self, quality: int, shape: tuple[int, int]) -> bytes:
        return self._split(self._file(np.full((*shape, 3), 128, np.uint8), quality))[0]

    def _encode(self, img: np.ndarray, quality: int) -> bytes:
        return self._split(self._file(img, quality))[1]

    def _decode(self, body: bytes, quality: int, shape: tuple[int, int]) -> np.ndarray:
        from PIL import Image

        return np.asarray(Image.open(io.BytesIO(self._header(quality, shape) + body + b"\xff\xd9")).convert("RGB"))


def _boxes(data: bytes, start: int = 0, end: int | None = None) -> list[tuple[str, int, int]]:
    """ISO-BMFF boxes in data[start:end]: (type, offset, size)."""
    out, i, end = [], start, len(data) if end is None else end
    while i < end:
        size, typ = int.from_bytes(data[i:i + 4], "big"), data[i + 4:i + 8].decode("latin-1")
        if size < 8:
            raise SemcomError(f"unsupported ISO-BMFF box size {size} for {typ!r}")
        out.append((typ, i, size))
        i += size
    return out


@CODECS.register("bpg", aliases=("hevc",))
class HEVCCodec(Codec):
    """BPG's coder: HEVC intra (x265 through pillow-heif), 4:2:0, quality 0..100; container not sent.

    The payload is the coded slice NAL unit(s) of the HEIF file's ``mdat`` box; the receiver
    rebuilds the file from a template written at the same quality and size (ftyp, meta with the
    hvcC parameter sets) with the ``iloc`` extent length and the ``mdat`` size patched.
    """

    name, coder = "bpg", "hevc-x265-pillow-heif-420"
    qualities = list(range(0, 101))

    def __init__(self) -> None:
        try:
            import pillow_heif
        except ImportError:
            raise SemcomError("codec 'bpg' needs pillow-heif (pip install pillow-heif)") from None
        if "x265" not in str(pillow_heif.libheif_info().get("encoders", {})):
            raise SemcomError("codec 'bpg': this pillow-heif build has no x265 HEVC encoder")
        self._heif = pillow_heif

    def _file(self, img: np.ndarray, quality: int) -> bytes:
        h = self._heif.from_bytes(mode="RGB", size=(img.shape[1], img.shape[0]), data=img.tobytes())
        buf = io.BytesIO()
        h.save(buf, quality=quality, chroma=420)
        return buf.getvalue()

    @staticmethod
    def _mdat(data: bytes) -> tuple[int, int]:
        for typ, off, size in _boxes(data):
            if typ == "mdat":
                return off, size
        raise SemcomError("HEIF file without an mdat box")

    def _encode(self, img: np.ndarray, quality: int) -> bytes:
        data = self._file(img, quality)
        off, size = self._mdat(data)
        if off + size != len(data):
            raise SemcomError("HEIF layout not supported: mdat is not the last box")
        return data[off + 8:off + size]

    @lru_cache(maxsize=512)  # noqa: B019
    def _template(self, quality: int, shape: tuple[int, int]) -> tuple[bytes, int, int]:
        """(file up to mdat, offset of the iloc extent_length field, its byte width)."""
        data = self._file(np.full((*shape, 3), 128, np.uint8), quality)
        off, _ = self._mdat(data)
        meta = next((o, s) for t, o, s in _boxes(data) if t == "meta")
        iloc = next((o, s) for t, o, s in _boxes(data, meta[0] + 12, meta[0] + meta[1]) if t == "iloc")
        p = iloc[0] + 8
        version = data[p]
        p += 4
        offset_size, length_size = data[p] >> 4, data[p] & 0xF
        base_offset_size, index_size = data[p + 1] >> 4, data[p + 1] & 0xF
        p += 2
        count_bytes = 2 if version < 2 else 4
        count = int.from_bytes(data[p:p + count_bytes], "big")
        p += count_bytes
        if count != 1:
            raise SemcomError(f"HEIF layout not supported: {count} items in iloc (expected 1)")
        p += count_bytes if version == 2 else 2  # item_ID
        if version in (1, 2):
            p += 2  # construction_method
        p += 2 + base_offset_size  # data_reference_index, base_offset
        extents = int.from_bytes(data[p:p + 2], "big")
        p += 2
        if extents != 1:
            raise SemcomError(f"HEIF layout not supported: {extents} extents (expected 1)")
        if version in (1, 2) and index_size:
            p += index_size
        p += offset_size
        return data[:off], p, length_size

    def _decode(self, body: bytes, quality: int, shape: tuple[int, int]) -> np.ndarray:
        head, pos, width = self._template(quality, shape)
        head = head[:pos] + len(body).to_bytes(width, "big") + head[pos + width:]
        data = head + (len(body) + 8).to_bytes(4, "big") + b"mdat" + body
        return np.asarray(self._heif.open_heif(data, convert_hdr_to_8bit=True).to_pillow().convert("RGB"))


class _ImagecodecsCodec(Codec):
    """A codec from imagecodecs whose whole stream is the payload: ``module_name`` is the imagecodecs
    codec (its ``available`` flag is checked), ``encode_kwargs`` the fixed encoder options; the quality is
    passed as ``level``."""

    module_name = ""
    encode_kwargs: dict[str, Any] = {}

    def __init__(self) -> None:
        try:
            import imagecodecs
        except ImportError:
            raise SemcomError(f"codec {self.name!r} needs imagecodecs (pip install imagecodecs)") from None
        codec = getattr(imagecodecs, self.module_name, None)
        if codec is None or not getattr(codec, "available", False):
            raise SemcomError(f"codec {self.name!r}: this imagecodecs build has no {self.module_name} support")
        prefix = self.module_name.lower()
        self._enc = getattr(imagecodecs, f"{prefix}_encode")
        self._dec = getattr(imagecodecs, f"{prefix}_decode")

    def _encode(self, img: np.ndarray, quality: int) -> bytes:
        return bytes(self._enc(img, level=quality, **self.encode_kwargs))

    def _decode(self, body: bytes, quality: int, shape: tuple[int, int]) -> np.ndarray:
        out = np.asarray(self._dec(body))
        if out.shape[:2] != shape:
            raise SemcomError(f"{self.name}: decoded size {list(out.shape[:2])} differs from {list(shape)}")
        return out


@CODECS.register("jpeg2000", aliases=("j2k",))
class JPEG2000Codec(_ImagecodecsCodec):
    """JPEG 2000 (OpenJPEG) J2K codestream; quality = the library's level 1..60 (a PSNR target, dB)."""

    name, coder, module_name = "jpeg2000", "jpeg2000-openjpeg-j2k", "JPEG2K"
    qualities = list(range(1, 61))
    encode_kwargs = {"codecformat": "j2k"}


@CODECS.register("webp")
class WebPCodec(_ImagecodecsCodec):
    """WebP (libwebp, lossy), quality 0..100, RIFF stream."""

    name, coder, module_name = "webp", "webp-libwebp-lossy", "WEBP"
    qualities = list(range(0, 101))
    encode_kwargs = {"lossless": False}


@CODECS.register("avif")
class AVIFCodec(_ImagecodecsCodec):
    """AVIF (AV1 intra through libavif), quality 0..99 (100 is lossless and excluded), whole file."""

    name, coder, module_name = "avif", "avif-libavif", "AVIF"
    qualities = list(range(0, 100))


@CODECS.register("jpegxl", aliases=("jxl",))
class JPEGXLCodec(_ImagecodecsCodec):
    """JPEG XL (libjxl) raw codestream, no container; quality 0..99."""

    name, coder, module_name = "jpegxl", "jpegxl-libjxl-codestream", "JPEGXL"
    qualities = list(range(0, 100))
    encode_kwargs = {"usecontainer": False}


def create_codec(name: str) -> Codec:
    """A codec by name (``jpeg``, ``bpg``/``hevc``, ``jpeg2000``, ``webp``, ``avif``, ``jpegxl``)."""
    cls: Callable[[], Codec] = CODECS.get(name)
    return cls()


def available_codecs() -> dict[str, str]:
    """name -> "ok" or the reason it cannot run in this installation."""
    out = {}
    for name in CODECS.names(with_aliases=False):
        try:
            create_codec(name)
            out[name] = "ok"
        except SemcomError as exc:
            out[name] = str(exc)
    return out
