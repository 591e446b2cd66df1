"""A small U-Net for semantic segmentation (Ronneberger, Fischer and Brox, MICCAI 2015), written in torch.

It stands in for the "pre-trained large segmentation model" f_seg of Liu et al. 2025 (a Mask2Former of
215 M parameters there): no pretrained segmentation weights can be downloaded here, so semcom trains this one
on CamVid (:mod:`semcom.systems.segmentation`). Any callable ``images [B, 3, H, W] in [0, 1] -> logits
[B, C, H, W]`` can take its place (:func:`as_segmenter`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from semcom.errors import SemcomError
from semcom.models import MODELS


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                         nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


@MODELS.register("unet_segmentation", aliases=("unet_seg",))
class UNetSegmenter(nn.Module):
    """U-Net: ``depth`` levels of two 3x3 conv-BN-ReLU, 2x2 max-pool down, bilinear 2x up + concatenation, a
    1x1 classifier.

    Args:
        num_classes: C output classes (CamVid 11, BDD100K 19; void is not a class).
        in_channels: image channels (3).
        width: channels of the first level, doubled per level.
        depth: number of downsamplings (H and W must be multiples of 2**depth).

    Shapes: ``forward``: float images [B, in_channels, H, W] in [0, 1] -> logits [B, C, H, W] (float32);
    ``predict``: -> class indices int64 [B, H, W].
    """

    def __init__(self, num_classes: int = 11, in_channels: int = 3, width: int = 16, depth: int = 4) -> None:
        super().__init__()
        if num_classes < 2 or width < 1 or depth < 1:
            raise SemcomError(f"UNetSegmenter(num_classes={num_classes}, width={width}, depth={depth}): expected "
                              "num_classes >= 2, width >= 1, depth >= 1")
        self.num_classes, self.depth, self.width = num_classes, depth, width
        widths = [width * 2**i for i in range(depth + 1)]
        self.down = nn.ModuleList([_block(in_channels, widths[0])] +
                                  [_block(widths[i], widths[i + 1]) for i in range(depth)])
        self.up = nn.ModuleList([_block(widths[i + 1] + widths[i], widths[i]) for i in reversed(range(depth))])
        self.head = nn.Conv2d(widths[0], num_classes, 1)

    def forward(self, x: Tensor) -> Tensor:
        m = 2**self.depth
        if x.ndim != 4 or x.shape[-1] % m or x.shape[-2] % m:
            raise SemcomError(f"UNetSegmenter of depth {self.depth} needs images [B, C, H, W] with H, W multiples of "
                              f"{m}, got {list(x.shape)}")
        skips = []
        h = x * 2.0 - 1.0
        for i, block in enumerate(self.down):
            h = block(h if i == 0 else F.max_pool2d(h, 2))
            skips.append(h)
        for block, skip in zip(self.up, reversed(skips[:-1])):
            h = F.interpolate(h, scale_factor=2.0, mode="bilinear", align_corners=False)
            h = block(torch.cat([h, skip], dim=1))
        return self.head(h)

    @torch.no_grad()
    def predict(self, x: Tensor) -> Tensor:
        return self(x).argmax(1)


def as_segmenter(obj: Any) -> Callable[[Tensor], Tensor]:
    """A segmentation function ``images [B, 3, H, W] in [0, 1] -> class indices int64 [B, H, W]`` from a module
    or callable returning logits [B, C, H, W] (or indices [B, H, W]); e.g. a user's Mask2Former wrapper."""
    if not callable(obj):
        raise SemcomError(f"segmenter {obj!r} is not callable; expected images [B, 3, H, W] -> logits [B, C, H, W]")

    @torch.no_grad()
    def seg(x: Tensor) -> Tensor:
        out = obj(x)
        if out.ndim == 4:
            return out.argmax(1)
        if out.ndim == 3:
            return out.long()
        raise SemcomError(f"segmenter returned shape {list(out.shape)}; expected logits [B, C, H, W] or indices [B, H, W]")

    return seg
