"""A small real CIFAR-10 subset shipped inside the package, for ``semcom demo`` and the tests.

600 images of the CIFAR-10 test split (the JPEG-decoded copy: quality 75, 4:2:0), picked at evenly
spaced indices of the class-sorted test shard so every class is represented; split into 500 for
training and 100 for evaluation. Regenerate with ``python -m semcom.data.embedded ROOT``.
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

import numpy as np

from semcom.data.base import ImageArrayDataset, atomic_write
from semcom.errors import SemcomError

ASSET = "cifar10_test_subset.npz"
NUM_IMAGES = 600


def _load() -> tuple[np.ndarray, np.ndarray]:
    ref = resources.files("semcom.data") / "assets" / ASSET
    with resources.as_file(ref) as path, np.load(path) as z:
        return z["images"], z["labels"]


def split_indices(n: int = NUM_IMAGES) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) indices into the subset: every sixth image is held out for evaluation."""
    idx = np.arange(n)
    test = idx[5::6]
    return np.setdiff1d(idx, test), test


class EmbeddedCIFAR10(ImageArrayDataset):
    """The packaged subset: ``split="train"`` (500 images), ``"test"`` (100) or ``"all"`` (600)."""

    def __init__(self, split: str = "train") -> None:
        images, labels = _load()
        train, test = split_indices(len(images))
        sel = {"train": train, "test": test, "all": np.arange(len(images))}
        if split not in sel:
            raise SemcomError(f"embedded split {split!r} does not exist; expected 'train', 'test' or 'all'")
        super().__init__(images[sel[split]], labels[sel[split]], name=f"embedded-cifar10-{split}")
        self.split = split


def build(root: str | Path, out: str | Path | None = None) -> Path:
    """Write the subset from the CIFAR-10 test split found at ``root``."""
    from semcom.data.cifar10 import CIFAR10

    ds = CIFAR10(root, split="test")
    pick = np.linspace(0, len(ds) - 1, NUM_IMAGES).round().astype(int)
    images = ds.images[pick].permute(0, 2, 3, 1).numpy()
    labels = ds.labels[pick].numpy()
    out = Path(out) if out else Path(__file__).parent / "assets" / ASSET

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, images=images, labels=labels)

    return atomic_write(out, write)


if __name__ == "__main__":
    print(build(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/cifar10"))
