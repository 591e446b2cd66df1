"""Datasets: CIFAR-10 (shards, official archive or download), image folders, the embedded subset.

Every dataset yields ``(uint8 image [C, H, W], int64 label)``; images are decoded once and kept
as uint8, and converted to float in [0, 1] on the device.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torch.utils.data import Dataset

from semcom.data.base import ImageArrayDataset, atomic_write, cache_dir, download
from semcom.data.cifar10 import CIFAR10, class_indices, download_cifar10
from semcom.data.embedded import EmbeddedCIFAR10
from semcom.data.folder import ImageFolder
from semcom.data.segmentation import (
    BDD100K,
    CAMVID,
    SEGMENTATION_DATASETS,
    SegmentationClasses,
    SegmentationDataset,
    load_segmentation,
)
from semcom.errors import SemcomError

DATASETS = ("cifar10", "embedded", "folder", "kodak", "camvid", "bdd100k")


def default_kodak_root() -> Path:
    """``$SEMCOM_KODAK`` if set, else ``../shared/data/kodak`` next to the source checkout."""
    import os

    env = os.environ.get("SEMCOM_KODAK")
    return Path(env) if env else Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "kodak"


def build_dataset(name: str, split: str = "test", root: str | Path | None = None, limit: int | None = None,
                  download: bool = False, crop: int | None = None, train: bool = False,
                  size_multiple: int = 4, classes: Any = None, tile: int | None = None, size: Any = None,
                  label_size: Any = "same") -> Dataset[Any]:
    """A dataset by name: ``cifar10``, ``embedded`` (the packaged subset), ``folder`` or ``kodak``.

    ``classes`` (CIFAR-10 and the embedded subset): keep only these classes (names, indices or the groups
    ``animals`` / ``vehicles``), applied before ``limit``. ``tile`` (folders, Kodak): every non-overlapping
    ``tile`` x ``tile`` crop of every image instead of one crop per image. ``size`` / ``label_size``
    (``camvid``, ``bdd100k``): the frames' resolution (default 128 x 128) and the labels' (``"same"``,
    ``"original"`` or a size); their items are ``(image uint8 [3, H, W], label map int64 [H_l, W_l])``.
    """
    if name in SEGMENTATION_DATASETS:
        if classes is not None or crop is not None:
            raise SemcomError(f"dataset {name!r} takes data.size (the frame resolution), not data.classes or data.crop")
        return load_segmentation(name, root, split=split, size=128 if size is None else size,
                                 label_size=label_size, limit=limit)
    if size is not None:
        raise SemcomError(f"data.size={size!r} is for the segmentation datasets (camvid, bdd100k), not {name!r}")
    if classes is not None and name not in ("cifar10", "embedded"):
        raise SemcomError(f"data.classes={classes!r} needs a labelled dataset (cifar10 or embedded), not {name!r}")
    if name == "cifar10":
        return CIFAR10(root, split=split, download=download).select_classes(class_indices(classes)).subset(limit)
    if name == "embedded":
        return EmbeddedCIFAR10(split).select_classes(class_indices(classes)).subset(limit)
    if name in ("folder", "kodak"):
        if root is None:
            if name == "folder":
                raise SemcomError("dataset 'folder' needs a root (the folder of images)")
            root = default_kodak_root()
        ds = ImageFolder(root, crop=crop, random_crop=train, size_multiple=size_multiple)
        return ds.tiles(tile).subset(limit) if tile is not None else ds.subset(limit)
    raise SemcomError(f"unknown dataset {name!r}; expected one of: {', '.join(DATASETS)}")


def evaluation_images(name: str, split: str = "test", root: str | Path | None = None, limit: int | None = None,
                      download: bool = False, **options: Any) -> tuple[Any, str]:
    """The images every evaluation command uses, and how they were chosen: the whole split, or with
    ``limit`` N, **N images at evenly spaced indices of the split** (every class of a class-sorted split;
    the one meaning of ``--limit`` in semcom's evaluations). Returns ``(dataset, selection)``, the selection
    as recorded in the result header (``"all 24"``, ``"1000 evenly spaced of 10000"``)."""
    if limit is not None and (isinstance(limit, bool) or int(limit) != limit or limit < 1):
        raise SemcomError(f"--limit {limit!r}; expected a positive number of images")
    ds = build_dataset(name, split=split, root=root, download=download, **options)
    total = len(ds)  # type: ignore[arg-type]
    if limit is None or limit >= total:
        return ds, f"all {total}"
    if not hasattr(ds, "spread"):
        raise SemcomError(f"dataset {name!r} cannot select evenly spaced images")
    return ds.spread(int(limit)), f"{int(limit)} evenly spaced of {total}"


__all__ = [
    "BDD100K", "CAMVID", "SEGMENTATION_DATASETS", "SegmentationClasses", "SegmentationDataset", "load_segmentation",
    "CIFAR10", "DATASETS", "EmbeddedCIFAR10", "ImageArrayDataset", "ImageFolder", "atomic_write",
    "build_dataset", "cache_dir", "class_indices", "download", "download_cifar10", "evaluation_images",
]
