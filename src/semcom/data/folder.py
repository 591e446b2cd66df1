"""A folder of PNG/JPEG images (e.g. the 24 Kodak images) with random or centre crops."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch import Tensor
from torch.utils.data import Dataset

from semcom.data.base import pick
from semcom.errors import SemcomError

if TYPE_CHECKING:
    from semcom.data.base import ImageArrayDataset

EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp")


def to_rgb8(im: Image.Image, path: Path | str = "image") -> np.ndarray:
    """An 8-bit RGB array [H, W, 3] of a Pillow image. 16-bit images (Pillow modes ``I;16*`` and ``I``, e.g.
    16-bit grey PNGs) are rescaled (/257) instead of clipped at 255, which Pillow's ``convert`` would do;
    32-bit float images are refused."""
    if im.mode.startswith("I;16") or im.mode == "I":
        a = np.asarray(im, dtype=np.float64)
        if a.min() < 0 or a.max() > 65535:
            raise SemcomError(f"{path}: {im.mode} image with values outside 0..65535; expected 8- or 16-bit pixels")
        g = np.clip(np.round(a / 257.0), 0, 255).astype(np.uint8)
        return np.repeat(g[..., None], 3, axis=2) if g.ndim == 2 else g
    if im.mode == "F":
        raise SemcomError(f"{path}: floating-point image (mode F); expected 8- or 16-bit pixels")
    return np.array(im.convert("RGB"))


class ImageFolder(Dataset[tuple[Tensor, Tensor]]):
    """Every PNG/JPEG image directly in ``root``, decoded once into memory as uint8.

    Args:
        root: the folder.
        crop: side of a square crop, or None for whole images (then batches need images of one
            size, e.g. batch size 1 for Kodak's mix of 768x512 and 512x768).
        random_crop: random crops (training) instead of centre crops (evaluation).
        size_multiple: whole images are centre-cropped down to a multiple of this (4 for DJSCC).

    Items: ``(uint8 [3, H, W], int64 -1)``.
    """

    def __init__(self, root: str | Path, crop: int | None = None, random_crop: bool = False,
                 size_multiple: int = 1) -> None:
        root = Path(root)
        if not root.is_dir():
            raise SemcomError(f"image folder {root} does not exist or is not a folder")
        files = sorted(p for p in root.iterdir() if p.suffix.lower() in EXTENSIONS)
        if not files:
            raise SemcomError(f"image folder {root} holds no image ({', '.join(EXTENSIONS)})")
        self.files = files
        self.images: list[np.ndarray] = []
        for f in files:
            try:
                with Image.open(f) as im:
                    self.images.append(to_rgb8(im, f))
            except (UnidentifiedImageError, OSError) as exc:
                raise SemcomError(f"corrupt image {f}: {exc}") from None
        if crop is not None:
            small = [f.name for f, a in zip(files, self.images) if min(a.shape[:2]) < crop]
            if small:
                raise SemcomError(f"crop={crop} is larger than image {small[0]} in {root}")
        self.crop = crop
        self.random_crop = random_crop
        self.size_multiple = size_multiple

    def __len__(self) -> int:
        return len(self.images)

    def _take(self, idx: list[int] | None) -> ImageFolder:
        if idx is None:
            return self
        out = ImageFolder.__new__(ImageFolder)
        out.__dict__.update(self.__dict__)
        out.files, out.images = [self.files[i] for i in idx], [self.images[i] for i in idx]
        return out

    def subset(self, limit: int | None) -> ImageFolder:
        """The first ``limit`` images in file-name order (all where None)."""
        return self._take(pick(len(self), limit, evenly=False))

    def spread(self, n: int | None) -> ImageFolder:
        """``n`` images at evenly spaced positions of the file-name order (all where None)."""
        return self._take(pick(len(self), n, evenly=True))

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor]:
        a = self.images[i]
        h, w = a.shape[:2]
        if self.crop is None:
            ch, cw = h - h % self.size_multiple, w - w % self.size_multiple
        else:
            ch = cw = self.crop
        if self.random_crop:
            top = int(torch.randint(0, h - ch + 1, ()).item())
            left = int(torch.randint(0, w - cw + 1, ()).item())
        else:
            top, left = (h - ch) // 2, (w - cw) // 2
        patch = np.ascontiguousarray(a[top:top + ch, left:left + cw])
        return torch.from_numpy(patch).permute(2, 0, 1), torch.tensor(-1)

    def tiles(self, size: int) -> ImageArrayDataset:
        """Every non-overlapping ``size`` x ``size`` tile of every image (row-major, image by image) as an
        in-memory dataset: the 24 Kodak images give 96 tiles of 64 x 64 each (2,304 in all)."""
        from semcom.data.base import ImageArrayDataset

        if size < 1:
            raise SemcomError(f"tile size must be a positive number of pixels, got {size}")
        out: list[np.ndarray] = []
        for f, a in zip(self.files, self.images):
            h, w = a.shape[:2]
            if min(h, w) < size:
                raise SemcomError(f"tile={size} is larger than image {f.name}")
            out.extend(a[r:r + size, c:c + size] for r in range(0, h - size + 1, size) for c in range(0, w - size + 1, size))
        return ImageArrayDataset(np.stack(out), None, name=f"{self.files[0].parent.name}-tiles{size}")

