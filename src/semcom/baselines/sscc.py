"""Separate source-channel coding (SSCC): image codec + 5G LDPC + QAM over semcom's channels.

The chain of Li et al. 2025 (Section IV): each image is compressed with rate control to fit
B_max = floor(N_st * N_sf * m * r) information bits (eq. 10), zero-padded to one LDPC codeword,
QAM-modulated, sent, equalized, demapped to LLRs and decoded. An image is received when its codeword
is decoded without error (what a CRC would check); otherwise, or when even the codec's lowest quality
does not fit B_max, the transmission fails.

Two accountings of failed images, never mixed (both are reported):

* ``psnr`` -- **the paper's convention**: a failed image counts as PSNR = 0 dB;
* ``psnr_mean_image`` -- a failed image is replaced by the dataset mean image (what a receiver that
  knows only the image statistics would show), and its PSNR against the original is averaged in.

Both are the mean of per-image PSNR (pixels in [0, 1]); ``failure_rate`` (source and channel failures)
and ``source_failure_rate`` come with 95 % confidence half-widths (normal approximation for PSNR means,
Wilson interval for rates).

Links (``make_link``):

* ``awgn`` / ``rayleigh``: :class:`semcom.channels.digital.DigitalLink` over the foundation's channels
  (block Rayleigh: one fading coefficient per codeword, LS pilot or perfect CSI, ZF equalization);
  ``channel_uses`` complex channel uses per image, so B_max = floor(channel_uses * m * r).
* ``umi`` / ``uma`` / ``rma``: :class:`semcom.channels.digital.MUMIMOOFDMLink`, the 4-user MU-MISO OFDM
  downlink (3GPP TR 38.901, RZF precoding, LS estimation, LMMSE equalization), one image per user and
  slot on N_sf x N_st data resource elements. SNR is Es/N0 per resource element (total transmit power
  over N0), the convention of ``semcom bler --snr``.
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from semcom.baselines.codecs import Codec
from semcom.errors import SemcomError
from semcom.metrics.intervals import wilson

MODULATIONS = {"bpsk": 1, "4qam": 2, "qpsk": 2, "16qam": 4, "64qam": 6, "256qam": 8}
LDPC_MAX_K = 8448


def psnr_uint8(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-image PSNR (dB, pixels scaled to [0, 1]) of uint8 batches [N, H, W, 3]; identical images -> 100 dB cap."""
    mse = ((a.astype(np.float64) - b.astype(np.float64)) / 255.0) ** 2
    mse = mse.reshape(len(a), -1).mean(1)
    return np.where(mse > 0, -10.0 * np.log10(np.maximum(mse, 1e-10)), 100.0)


@dataclass
class SourceCoded:
    """Rate control of one codec at one B_max over a set of images.

    Attributes:
        payloads: link payload (bytes) per image, or None where even the lowest quality does not fit.
        qualities: chosen quality per image (None on failure).
        recon: decoded images uint8 [N, H, W, 3] (zeros where the source failed).
        psnr: per-image PSNR of the decoded image (dB), NaN where the source failed.
    """

    codec: str
    coder: str
    max_bits: int
    payloads: list[bytes | None]
    qualities: list[int | None]
    recon: np.ndarray
    psnr: np.ndarray
    encode_seconds: float = 0.0
    payload_bits: list[int] = field(default_factory=list)

    @property
    def source_failed(self) -> np.ndarray:
        return np.array([p is None for p in self.payloads])


def rate_control(codec: Codec, images: np.ndarray, max_bits: int) -> SourceCoded:
    """Compress each image (uint8 [N, H, W, 3]) at the largest quality that fits ``max_bits``."""
    if max_bits < 16:
        raise SemcomError(f"B_max = {max_bits} bits cannot hold even the 2-byte link header")
    t0 = time.perf_counter()
    payloads, quals, bits = [], [], []
    recon = np.zeros_like(images)
    for i, img in enumerate(images):
        data, q = codec.encode_to_budget(img, max_bits)
        payloads.append(data)
        quals.append(q)
        bits.append(0 if data is None else codec.payload_bits(data))
        if data is not None:
            recon[i] = codec.decode(data, img.shape)
    psnr = psnr_uint8(images, recon)
    psnr[np.array([p is None for p in payloads])] = np.nan
    return SourceCoded(codec.name, codec.coder, max_bits, payloads, quals, recon, psnr,
                       time.perf_counter() - t0, bits)


def payload_bit_matrix(sc: SourceCoded, k: int) -> torch.Tensor:
    """The payloads as LDPC information bits, zero-padded: float {0, 1} [N, k] (zeros where the source failed)."""
    out = np.zeros((len(sc.payloads), k), np.float32)
    for i, p in enumerate(sc.payloads):
        if p is not None:
            b = np.unpackbits(np.frombuffer(p, np.uint8))
            if len(b) > k:
                raise SemcomError(f"payload of {len(b)} bits exceeds the {k}-bit block (rate control broken)")
            out[i, :len(b)] = b
    return torch.from_numpy(out)


class Link(ABC):
    """A digital link carrying one codeword of ``k`` information bits per image.

    ``send(bits [N, k], snr_db, seed) -> received [N, k]`` (hard decisions)."""

    k: int
    n: int
    m: int
    name: str
    csi: str
    channel_uses: int

    @abstractmethod
    def send(self, bits: torch.Tensor, snr_db: float, seed: int, batch_size: int = 64) -> torch.Tensor:
        """Send one codeword per row of ``bits``, ``batch_size`` codewords at a time (each link has its own
        default); the hard-decided information bits."""


class PointToPointLink(Link):
    """AWGN or block Rayleigh (``channel``) with ``channel_uses`` complex uses per image."""

    def __init__(self, channel: str, channel_uses: int, modulation: str, rate: str, csi: str = "perfect",
                 num_iter: int = 20) -> None:
        from semcom.channels import create
        from semcom.channels.digital import DigitalLink, block_capacity_bits, parse_rate

        m = _bits_per_symbol(modulation)
        r = parse_rate(rate)
        k = block_capacity_bits(channel_uses, 1, m, r)
        if k > LDPC_MAX_K:
            raise SemcomError(f"B_max = {k} bits for {channel_uses} channel uses, {modulation}, rate {rate} exceeds "
                              f"one 5G LDPC block ({LDPC_MAX_K} bits); use fewer channel uses per image")
        if channel == "awgn":
            ch, csi = create("awgn"), "-"
        elif channel == "rayleigh":
            if csi not in ("perfect", "pilot"):
                raise SemcomError(f"csi={csi!r} for rayleigh; expected 'perfect' or 'pilot'")
            ch = create("rayleigh", csi=csi, equalizer="zf")
        else:
            raise SemcomError(f"channel {channel!r}; expected awgn, rayleigh, umi, uma or rma")
        self.link = DigitalLink(k, rate, m, channel=ch, num_iter=num_iter)
        self.k, self.n, self.m, self.name, self.csi = k, self.link.n, m, channel, csi
        self.channel_uses = self.link.num_symbols
        if self.channel_uses > channel_uses:
            raise SemcomError(f"the LDPC code needs {self.channel_uses} channel uses, more than {channel_uses}")

    def send(self, bits: torch.Tensor, snr_db: float, seed: int, batch_size: int = 256) -> torch.Tensor:
        g = torch.Generator().manual_seed(seed)
        out = []
        with torch.no_grad():
            for i in range(0, len(bits), batch_size):
                out.append(self.link(bits[i:i + batch_size], snr_db=float(snr_db), generator=g))
        return torch.cat(out)


class MUMIMOLink(Link):
    """The 3GPP MU-MISO OFDM downlink of Li et al. 2025: images go 4 at a time, one per user and slot."""

    def __init__(self, scenario: str, num_subcarriers: int, modulation: str, rate: str, csi: str = "ls",
                 bank: str | None = None, seed: int = 0, precoder: str = "rzf") -> None:
        from semcom.channels.digital import MUMIMOOFDMLink
        from semcom.channels.tr38901 import downlink_channel

        self.link = MUMIMOOFDMLink(downlink_channel(scenario, num_subcarriers, bank=bank, seed=seed), num_subcarriers, rate, _bits_per_symbol(modulation),
                                   precoder=precoder, csi=csi)
        self.k, self.n, self.m, self.name, self.csi = self.link.k, self.link.n, self.link.m, scenario, csi
        self.channel_uses = self.link.n // self.link.m
        self.users = self.link.num_users

    def send(self, bits: torch.Tensor, snr_db: float, seed: int, batch_size: int = 16) -> torch.Tensor:
        K = self.users
        n_img = len(bits)
        pad = (-n_img) % K
        if pad:
            bits = torch.cat([bits, torch.zeros(pad, self.k)])
        slots = bits.reshape(-1, K, self.k)
        ebno = self.link.ebno_from_snr_db(float(snr_db))
        g = torch.Generator().manual_seed(seed)
        out = []
        with torch.no_grad():
            for i in range(0, len(slots), batch_size):
                b = slots[i:i + batch_size]
                _, hat = self.link(ebno, len(b), generator=g, bits=b)
                out.append(hat[:, 0].reshape(-1, self.k))
        return torch.cat(out)[:n_img]


def _bits_per_symbol(modulation: str) -> int:
    if modulation not in MODULATIONS:
        raise SemcomError(f"modulation {modulation!r} is not supported; expected one of {', '.join(MODULATIONS)}")
    return MODULATIONS[modulation]


def make_link(channel: str, modulation: str, rate: str, *, channel_uses: int | None = None, csi: str | None = None,
              num_subcarriers: int = 32, bank: str | None = None, seed: int = 0) -> Link:
    """A link by channel name; see the module docstring."""
    if channel in ("umi", "uma", "rma"):
        return MUMIMOLink(channel, num_subcarriers, modulation, rate, csi=csi or "ls", bank=bank, seed=seed)
    if channel_uses is None:
        raise SemcomError(f"channel {channel!r} needs channel_uses (complex channel uses per image)")
    return PointToPointLink(channel, channel_uses, modulation, rate, csi=csi or "perfect")


def summarize(psnr_ok: np.ndarray, received: np.ndarray, source_failed: np.ndarray,
              mean_image_psnr: np.ndarray) -> dict[str, Any]:
    """Row statistics from per-image PSNR of the decoded image, reception flags and the mean-image PSNR."""
    n = len(received)
    paper = np.where(received, psnr_ok, 0.0)
    honest = np.where(received, psnr_ok, mean_image_psnr)
    fails = int((~received).sum())
    lo, hi = wilson(fails, n)
    ci = lambda v: float(1.96 * v.std(ddof=1) / math.sqrt(n)) if n > 1 else float("nan")  # noqa: E731
    return {
        "psnr": float(paper.mean()), "psnr_ci95": ci(paper),
        "psnr_mean_image": float(honest.mean()), "psnr_mean_image_ci95": ci(honest),
        "failure_rate": fails / n, "failure_rate_ci95": [round(lo, 5), round(hi, 5)],
        "source_failure_rate": float(source_failed.mean()), "num_images": n,
    }


def mean_image_psnr(images: np.ndarray, mean_image: np.ndarray) -> np.ndarray:
    """Per-image PSNR of the mean image against each image (the second accounting of failures)."""
    return psnr_uint8(images, np.broadcast_to(mean_image, images.shape))


def transmit(sc: SourceCoded, link: Link, snr_db: float, seed: int, images: np.ndarray,
             mean_image: np.ndarray, mean_psnr: np.ndarray | None = None) -> dict[str, Any]:
    """One SNR point: send every payload, check each codeword, and summarize both accountings
    (``mean_psnr``: :func:`mean_image_psnr`, computed here when not given)."""
    if sc.max_bits != link.k:
        raise SemcomError(f"source coded for B_max = {sc.max_bits} bits but the link carries {link.k}")
    bits = payload_bit_matrix(sc, link.k)
    t0 = time.perf_counter()
    hat = link.send(bits, snr_db, seed)
    dt = time.perf_counter() - t0
    ok_block = (hat == bits).all(dim=1).numpy()
    received = ok_block & ~sc.source_failed
    if mean_psnr is None:
        mean_psnr = mean_image_psnr(images, mean_image)
    row = summarize(np.nan_to_num(sc.psnr), received, sc.source_failed, mean_psnr)
    row["link_seconds"] = round(dt, 3)
    return row
