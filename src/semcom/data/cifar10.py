"""CIFAR-10 from WebDataset shards, the official python archive, or a checked download."""

from __future__ import annotations

import io
import os
import pickle
import tarfile
from pathlib import Path

import numpy as np
from PIL import Image

from semcom.data.base import ImageArrayDataset, cached_arrays, download, fingerprint
from semcom.errors import SemcomError

URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
MD5 = "c58f30108f718f92721af3b95e74349a"
ARCHIVE = "cifar-10-python.tar.gz"
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
#: Named groups of classes (the out-of-distribution split of the LDM-receiver paper: train on animals, test on vehicles).
CLASS_GROUPS = {"animals": ("bird", "cat", "deer", "dog", "frog", "horse"),
                "vehicles": ("airplane", "automobile", "ship", "truck")}


def class_indices(spec: str | int | list[str | int] | tuple[str | int, ...] | None) -> list[int] | None:
    """CIFAR-10 label indices from names, indices or group names (``animals``, ``vehicles``); None = all.

    ``"animals"`` -> [2, 3, 4, 5, 6, 7]; ``["cat", 0]`` -> [0, 3]; a comma-separated string works too.
    """
    if spec is None:
        return None
    items: list[str | int] = (list(spec.split(",")) if isinstance(spec, str) else [spec] if isinstance(spec, int)
                              else list(spec))
    out: set[int] = set()
    for it in items:
        name = it.strip().lower() if isinstance(it, str) else it
        if isinstance(name, str) and name in CLASS_GROUPS:
            out.update(CLASSES.index(c) for c in CLASS_GROUPS[name])
        elif isinstance(name, str) and name in CLASSES:
            out.add(CLASSES.index(name))
        elif isinstance(name, str) and name.isdigit() and int(name) < 10 or isinstance(name, int) and 0 <= name < 10:
            out.add(int(name))
        else:
            raise SemcomError(f"CIFAR-10 class {it!r} does not exist; expected a class name ({', '.join(CLASSES)}), "
                              f"an index 0-9 or a group ({', '.join(CLASS_GROUPS)})")
    return sorted(out)
_BATCHES = {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]}


def default_root() -> Path:
    """``$SEMCOM_CIFAR10``, else the project's ``../shared/data/cifar10`` if present, else the cache."""
    if env := os.environ.get("SEMCOM_CIFAR10"):
        return Path(env)
    for cand in (Path.cwd() / ".." / "shared" / "data" / "cifar10",
                 Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "cifar10"):
        if cand.exists():
            return cand.resolve()
    return Path.home() / ".cache" / "semcom" / "data" / "cifar10"


def _decode_shards(shards: list[Path]) -> tuple[np.ndarray, np.ndarray]:
    """Read WebDataset shards (``KEY.jpg`` + ``KEY.cls``) with the standard library and Pillow."""
    images: list[np.ndarray] = []
    labels: list[int] = []
    for shard in shards:
        pending: dict[str, dict[str, bytes]] = {}
        try:
            with tarfile.open(shard) as tf:
                for m in tf:
                    if not m.isfile():
                        continue
                    key, _, ext = m.name.rpartition(".")
                    f = tf.extractfile(m)
                    assert f is not None
                    pending.setdefault(key, {})[ext] = f.read()
                    sample = pending[key]
                    if "cls" in sample and any(e in sample for e in ("jpg", "png")):
                        data = sample.get("jpg") or sample["png"]
                        images.append(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))
                        labels.append(int(sample["cls"]))
                        del pending[key]
        except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
            raise SemcomError(f"corrupt CIFAR-10 shard {shard}: {exc.__class__.__name__}: {exc}") from None
        if pending:
            raise SemcomError(f"corrupt CIFAR-10 shard {shard}: {len(pending)} samples lack an image or a label")
    if not images:
        raise SemcomError(f"no images in CIFAR-10 shards {[str(s) for s in shards]}")
    return np.stack(images), np.asarray(labels, np.int64)


def _decode_batches(read: dict[str, bytes], split: str, origin: Path) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for name in _BATCHES[split]:
        if name not in read:
            raise SemcomError(f"corrupt CIFAR-10 archive {origin}: {name} is missing")
        try:
            d = pickle.loads(read[name], encoding="bytes")  # noqa: S301 (official CIFAR format)
            xs.append(np.asarray(d[b"data"], np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
            ys.append(np.asarray(d[b"labels"], np.int64))
        except Exception as exc:
            raise SemcomError(f"corrupt CIFAR-10 batch {name} in {origin}: {exc}") from None
    return np.ascontiguousarray(np.concatenate(xs)), np.concatenate(ys)


def _read_archive(path: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    want = set(_BATCHES[split])
    read: dict[str, bytes] = {}
    try:
        with tarfile.open(path) as tf:
            for m in tf:
                base = m.name.rsplit("/", 1)[-1]
                if m.isfile() and base in want:
                    f = tf.extractfile(m)
                    assert f is not None
                    read[base] = f.read()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise SemcomError(f"corrupt CIFAR-10 archive {path}: {exc}") from None
    return _decode_batches(read, split, path)


class CIFAR10(ImageArrayDataset):
    """CIFAR-10 (Krizhevsky 2009), 32x32 RGB, 10 classes, decoded once and cached as uint8.

    ``root`` may hold, looked up in this order:

    1. WebDataset shards ``cifar10-{split}-NNNNNN.tar.gz`` (``KEY.jpg`` + ``KEY.cls``), such as
       the JPEG-decoded copy in ``../shared/data/cifar10`` (quality 75, 4:2:0: *not* the official
       pixels; say so next to any number computed on it);
    2. the official python batches, extracted (``cifar-10-batches-py/``) or as the archive
       ``cifar-10-python.tar.gz``;
    3. nothing, with ``download=True``: the official archive is downloaded into ``root`` and
       verified against its MD5 (``c58f3010...``) before use.

    Args:
        root: folder (default :func:`default_root`).
        split: ``"train"`` (50,000 images) or ``"test"`` (10,000).
        download: fetch the official archive when nothing is found.

    Items: ``(uint8 [3, 32, 32], int64 label)``. ``self.source`` says which form was read.
    """

    def __init__(self, root: str | Path | None = None, split: str = "train", download: bool = False) -> None:
        if split not in _BATCHES:
            raise SemcomError(f"CIFAR-10 split {split!r} does not exist; expected 'train' or 'test'")
        root = Path(root) if root is not None else default_root()
        shards = sorted(root.glob(f"cifar10-{split}-*.tar*")) if root.is_dir() else []
        batches = root / "cifar-10-batches-py"
        archive = root / ARCHIVE
        if shards:
            self.source = "webdataset shards (JPEG-decoded copy)" if any(
                s.name.endswith((".tar.gz", ".tar")) for s in shards) else "webdataset shards"
            images, labels = cached_arrays(f"cifar10-wds-{split}-{fingerprint(shards)}",
                                           lambda: _decode_shards(shards))
        elif batches.is_dir():
            self.source = "official python batches"
            files = [batches / n for n in _BATCHES[split]]
            missing = [str(f) for f in files if not f.exists()]
            if missing:
                raise SemcomError(f"CIFAR-10 folder {batches} is incomplete: missing {missing[0]}")
            images, labels = _decode_batches({f.name: f.read_bytes() for f in files}, split, batches)
        elif archive.exists() or download:
            if not archive.exists():
                download_cifar10(root)
            self.source = "official python archive"
            images, labels = cached_arrays(f"cifar10-py-{split}-{fingerprint([archive])}",
                                           lambda: _read_archive(archive, split))
        else:
            raise SemcomError(
                f"no CIFAR-10 found at {root}: expected WebDataset shards cifar10-{split}-*.tar.gz, the official "
                f"{ARCHIVE} or its extracted cifar-10-batches-py/; set data.download=true to fetch it "
                "(checksum-verified) or data.root to where it is"
            )
        super().__init__(images, labels, name=f"cifar10-{split}")
        self.root = root
        self.split = split


def download_cifar10(root: str | Path, url: str = URL, md5: str = MD5) -> Path:
    """Download the official CIFAR-10 python archive into ``root`` with MD5 verification."""
    return download(url, Path(root) / ARCHIVE, md5=md5)
