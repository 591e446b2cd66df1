"""PSNR, SSIM and MS-SSIM per image."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torchmetrics import Metric
from torchmetrics.functional.image import (
    multiscale_structural_similarity_index_measure,
    structural_similarity_index_measure,
)

from semcom.errors import SemcomError

#: torchmetrics' defaults: 11x11 Gaussian window (sigma 1.5), 5 scales. Needs >= 176 px per side.
MS_SSIM_DEFAULT: dict[str, Any] = {
    "kernel_size": 11, "sigma": 1.5, "betas": (0.0448, 0.2856, 0.3001, 0.2363, 0.1333),
}
_b3 = (0.0448, 0.2856, 0.3001)
#: settings for small images such as CIFAR-10 (32x32): 3x3 window (sigma 1.5), the first three
#: scales' exponents of Wang et al. renormalised to sum to one. Needs >= 12 px per side.
MS_SSIM_SMALL: dict[str, Any] = {
    "kernel_size": 3, "sigma": 1.5, "betas": tuple(round(b / sum(_b3), 4) for b in _b3),
}


def _check_pair(pred: Tensor, target: Tensor) -> None:
    if pred.shape != target.shape or pred.ndim != 4:
        raise SemcomError(
            f"expected two image batches [B, C, H, W] of the same shape, got {list(pred.shape)} and {list(target.shape)}"
        )


def psnr_per_image(pred: Tensor, target: Tensor, data_range: float = 1.0) -> Tensor:
    """PSNR of each image in dB: 10 log10(data_range^2 / MSE_i). Returns [B] (float32)."""
    _check_pair(pred, target)
    mse = (pred.float() - target.float()).pow(2).flatten(1).mean(dim=1)
    return 10.0 * torch.log10(data_range**2 / mse.clamp_min(1e-20))


def psnr_of_mean_mse(psnr_db: Tensor) -> float:
    """PSNR of the mean MSE over images, in dB, from per-image PSNRs ``psnr_db`` [B] (the reduction of most papers'
    code: 10 log10(data_range^2 / mean_i MSE_i), where MSE_i / data_range^2 = 10^(-PSNR_i / 10), so the data
    range cancels); at most the mean of per-image PSNR (Jensen)."""
    return float(-10.0 * torch.log10(torch.pow(10.0, -psnr_db.double() / 10.0).mean()))


def ssim_per_image(pred: Tensor, target: Tensor, data_range: float = 1.0) -> Tensor:
    """SSIM of each image (torchmetrics, 11x11 Gaussian window, sigma 1.5). Returns [B]."""
    _check_pair(pred, target)
    out = structural_similarity_index_measure(pred.float(), target.float(), data_range=data_range,
                                              reduction="none")
    assert isinstance(out, Tensor)  # no full image asked for: a tensor, not a pair
    return out


def _ms_ssim_fits(h: int, w: int, settings: dict[str, Any]) -> bool:
    n, k = len(settings["betas"]), settings["kernel_size"]
    div = max(1, n - 1) ** 2  # torchmetrics' own size rule
    return min(h, w) >= 2**n and h // div > k - 1 and w // div > k - 1 and min(h, w) // 2 ** (n - 1) >= k


def ms_ssim_settings(height: int, width: int) -> dict[str, Any]:
    """The MS-SSIM settings semcom uses for images of this size: the default ones where they fit,
    :data:`MS_SSIM_SMALL` for small images; a :class:`SemcomError` where neither fits."""
    for settings in (MS_SSIM_DEFAULT, MS_SSIM_SMALL):
        if _ms_ssim_fits(height, width, settings):
            return settings
    raise SemcomError(
        f"MS-SSIM cannot be computed on {height}x{width} images: semcom's smallest setting (3 scales, "
        "3x3 window) needs at least 12x12 pixels, the default (5 scales, 11x11) 176x176"
    )


def ms_ssim_per_image(pred: Tensor, target: Tensor, data_range: float = 1.0,
                      settings: dict[str, Any] | None = None) -> Tensor:
    """MS-SSIM of each image; settings from :func:`ms_ssim_settings` unless given. Returns [B]."""
    _check_pair(pred, target)
    s = settings or ms_ssim_settings(pred.shape[-2], pred.shape[-1])
    if not _ms_ssim_fits(pred.shape[-2], pred.shape[-1], s):
        raise SemcomError(f"MS-SSIM settings {s} do not fit {pred.shape[-2]}x{pred.shape[-1]} images")
    return multiscale_structural_similarity_index_measure(
        pred.float(), target.float(), data_range=data_range, kernel_size=s["kernel_size"], sigma=s["sigma"],
        betas=tuple(s["betas"]), reduction="none",
    )


class MeanPSNR(Metric):
    """Stateful mean of per-image PSNR (dB), for accumulation over batches and processes."""

    total: Tensor
    count: Tensor

    higher_is_better = True
    full_state_update = False

    def __init__(self, data_range: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_range = data_range
        self.add_state("total", default=torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("count", default=torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")

    def update(self, pred: Tensor, target: Tensor) -> None:
        values = psnr_per_image(pred, target, self.data_range)
        self.total += values.double().sum()
        self.count += values.numel()

    def compute(self) -> Tensor:
        return (self.total / self.count.clamp_min(1)).float()
