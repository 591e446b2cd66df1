"""In-memory uint8 image datasets, atomic file writes, the decode cache and checked downloads."""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from semcom.errors import SemcomError


def atomic_write(path: str | Path, write: Callable[[Path], Any]) -> Path:
    """Call ``write(tmp)`` on a temporary file next to ``path``, then rename it onto ``path``.

    Nothing half-written is ever visible at ``path``: on any error the temporary file is removed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def cache_dir() -> Path:
    """Where decoded datasets are cached: ``$SEMCOM_CACHE`` or ``~/.cache/semcom``."""
    return Path(os.environ.get("SEMCOM_CACHE", Path.home() / ".cache" / "semcom"))


def fingerprint(files: list[Path]) -> str:
    """A short hash of file names, sizes and modification times (the cache key of a decode)."""
    h = hashlib.sha256()
    for f in sorted(files):
        st = f.stat()
        h.update(f"{f.resolve()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def cached_arrays(key: str, build: Callable[[], tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Load ``(images, labels)`` from the cache under ``key``, or build, save (atomically) and return them."""
    path = cache_dir() / f"{key}.npz"
    if path.exists():
        try:
            with np.load(path) as z:
                return z["images"], z["labels"]
        except Exception:  # a damaged cache file is rebuilt, never trusted
            path.unlink(missing_ok=True)
    images, labels = build()

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            np.savez(f, images=images, labels=labels)

    try:
        atomic_write(path, write)
    except OSError:
        pass  # a read-only cache only costs a re-decode next time
    return images, labels


def download(url: str, dest: str | Path, *, md5: str | None = None, sha256: str | None = None) -> Path:
    """Download ``url`` to ``dest``, verifying its checksum before it is renamed into place."""
    dest = Path(dest)
    digests = {"md5": hashlib.md5(), "sha256": hashlib.sha256()}

    def write(tmp: Path) -> None:
        try:
            with urllib.request.urlopen(url) as r, open(tmp, "wb") as f:  # noqa: S310 (user-chosen URL)
                while chunk := r.read(1 << 20):
                    f.write(chunk)
                    for d in digests.values():
                        d.update(chunk)
        except OSError as exc:
            raise SemcomError(f"could not download {url}: {exc}") from None
        for name, want in (("md5", md5), ("sha256", sha256)):
            if want is not None and digests[name].hexdigest() != want.lower():
                raise SemcomError(
                    f"checksum mismatch for {url}: {name} {digests[name].hexdigest()}, expected {want}; "
                    "nothing was written"
                )

    return atomic_write(dest, write)


def pick(total: int, n: int | None, evenly: bool) -> list[int] | None:
    """Indices of ``n`` of ``total`` items: the first ones or evenly spaced ones; None means all of them."""
    if n is None or n >= total:
        return None
    if n < 1:
        raise SemcomError(f"limit must be a positive number of images, got {n}")
    return [int(i) for i in np.round(np.linspace(0, total - 1, n))] if evenly else list(range(n))


class ImageArrayDataset(Dataset[tuple[Tensor, Tensor]]):
    """Images held in memory as uint8.

    Args:
        images: uint8 array [N, H, W, C].
        labels: int64 array [N] (class index, -1 where unknown).

    Items: ``(image, label)`` with image a uint8 tensor [C, H, W] and label an int64 scalar tensor.
    Convert with ``image.float() / 255`` on the device.
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray | None = None, name: str = "images") -> None:
        if images.dtype != np.uint8 or images.ndim != 4:
            raise SemcomError(f"{name}: expected uint8 images [N, H, W, C], got {images.dtype} {list(images.shape)}")
        self.images = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2)
        lab = labels if labels is not None else -np.ones(len(images), np.int64)
        self.labels = torch.from_numpy(np.asarray(lab, dtype=np.int64))
        self.name = name

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor]:
        return self.images[i], self.labels[i]

    def spread(self, n: int | None) -> ImageArrayDataset:
        """``n`` images at evenly spaced indices (all where None): every class of a class-sorted split."""
        return self._take(pick(len(self), n, evenly=True))

    def select_classes(self, classes: list[int] | None) -> ImageArrayDataset:
        """Only the images whose label is in ``classes`` (all where None), in their original order."""
        if classes is None:
            return self
        keep = torch.isin(self.labels, torch.as_tensor(list(classes), dtype=torch.int64))
        if not bool(keep.any()):
            raise SemcomError(f"{self.name}: no image has a label in {list(classes)}")
        out = ImageArrayDataset.__new__(ImageArrayDataset)
        out.images, out.labels, out.name = self.images[keep], self.labels[keep], self.name
        return out

    def subset(self, limit: int | None) -> ImageArrayDataset:
        """The first ``limit`` images (all where None)."""
        return self._take(pick(len(self), limit, evenly=False))

    def _take(self, idx: list[int] | None) -> ImageArrayDataset:
        if idx is None:
            return self
        out = ImageArrayDataset.__new__(ImageArrayDataset)
        out.images, out.labels, out.name = self.images[idx], self.labels[idx], self.name
        return out
