"""A folder of PNG/JPEG images (e.g. the 24 Kodak images) with random or centre crops."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch import Tensor
from torch.utils.data import Dataset

from semcom.errors import SemcomError

if TYPE_CHECKING:
    from semcom.data.base import ImageArrayDataset

EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp")


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
                    self.images.append(np.array(im.convert("RGB")))
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

