"""Metrics against reference implementations."""

from __future__ import annotations

import pytest
import torch
from torchmetrics.functional.image import peak_signal_noise_ratio, structural_similarity_index_measure

from semcom import SemcomError
from semcom.metrics import (
    MS_SSIM_DEFAULT,
    MS_SSIM_SMALL,
    MeanPSNR,
    ms_ssim_per_image,
    ms_ssim_settings,
    psnr_per_image,
    ssim_per_image,
)


def pair(n: int = 6, size: int = 32, noise: float = 0.1) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    target = torch.rand(n, 3, size, size, generator=g)
    scale = torch.linspace(0.2, 2.0, n).reshape(n, 1, 1, 1)
    pred = (target + noise * scale * torch.randn(n, 3, size, size, generator=g)).clamp(0, 1)
    return pred, target


def test_psnr_per_image_matches_the_formula_and_torchmetrics_per_image() -> None:
    pred, target = pair()
    ours = psnr_per_image(pred, target)
    for i in range(len(pred)):
        mse = ((pred[i] - target[i]) ** 2).mean()
        assert ours[i].item() == pytest.approx(10 * torch.log10(1 / mse).item(), abs=1e-4)
        assert ours[i].item() == pytest.approx(peak_signal_noise_ratio(pred[i], target[i], data_range=1.0).item(), abs=1e-4)


def test_mean_of_per_image_psnr_differs_from_pooled_psnr() -> None:
    pred, target = pair()
    pooled = peak_signal_noise_ratio(pred, target, data_range=1.0).item()
    mean = psnr_per_image(pred, target).mean().item()
    assert mean > pooled + 0.1  # Jensen: the pooled figure is dominated by the worst images


def test_mean_psnr_metric_accumulates() -> None:
    pred, target = pair()
    m = MeanPSNR()
    m.update(pred[:2], target[:2])
    m.update(pred[2:], target[2:])
    assert m.compute().item() == pytest.approx(psnr_per_image(pred, target).mean().item(), abs=1e-4)


def test_ssim_matches_torchmetrics() -> None:
    pred, target = pair()
    ours = ssim_per_image(pred, target)
    ref = torch.stack([structural_similarity_index_measure(pred[i:i + 1], target[i:i + 1], data_range=1.0)
                       for i in range(len(pred))])
    assert torch.allclose(ours, ref, atol=1e-5)
    assert ours[0] > ours[-1]  # less noise, higher SSIM


def test_ms_ssim_settings_by_size() -> None:
    assert ms_ssim_settings(512, 768) is MS_SSIM_DEFAULT
    assert ms_ssim_settings(32, 32) is MS_SSIM_SMALL
    assert sum(MS_SSIM_SMALL["betas"]) == pytest.approx(1.0, abs=1e-3)
    with pytest.raises(SemcomError, match="MS-SSIM cannot be computed on 8x8 images.*12x12"):
        ms_ssim_settings(8, 8)


def test_ms_ssim_on_cifar_sized_images() -> None:
    pred, target = pair()
    v = ms_ssim_per_image(pred, target)
    assert v.shape == (6,) and torch.all((v > 0) & (v <= 1))
    assert v[0] > v[-1]
    assert ms_ssim_per_image(target, target).min() > 0.999
    with pytest.raises(SemcomError, match="do not fit"):
        ms_ssim_per_image(pred, target, settings=MS_SSIM_DEFAULT)


def test_shape_mismatch_is_refused() -> None:
    with pytest.raises(SemcomError, match="same shape"):
        psnr_per_image(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 4))


def test_psnr_of_mean_mse_is_the_pooled_reduction() -> None:
    from semcom.metrics import psnr_of_mean_mse, psnr_per_image

    g = torch.Generator().manual_seed(0)
    target = torch.rand(6, 3, 8, 8, generator=g)
    pred = (target + 0.05 * torch.arange(1, 7).view(6, 1, 1, 1) * torch.randn(6, 3, 8, 8, generator=g)).clamp(0, 1)
    per_image = psnr_per_image(pred, target)
    pooled = 10 * torch.log10(1.0 / ((pred - target) ** 2).mean())
    assert abs(psnr_of_mean_mse(per_image) - float(pooled)) < 1e-4
    assert psnr_of_mean_mse(per_image) < float(per_image.mean())  # Jensen: below the mean of per-image PSNR
