"""Image quality metrics: a functional core (per-image values) and thin torchmetrics classes.

Reduction: every semcom result reports PSNR as the *mean of per-image PSNR* in dB, with data range
1.0 (images in [0, 1]). torchmetrics' ``PeakSignalNoiseRatio`` by default computes the PSNR of the
MSE pooled over all images, which is smaller (Jensen: the mean of -log is at least -log of the mean) and is
the convention of most papers' code; :func:`psnr_of_mean_mse` gives it from the per-image values, and the
point-to-point results carry it beside the mean (``psnr_of_mean_mse``).
"""

from semcom.metrics.image import (
    MS_SSIM_DEFAULT,
    MS_SSIM_SMALL,
    MeanPSNR,
    ms_ssim_per_image,
    ms_ssim_settings,
    psnr_of_mean_mse,
    psnr_per_image,
    ssim_per_image,
)
from semcom.metrics.intervals import wilson

PSNR_REDUCTION = "mean of per-image PSNR in dB (data range 1.0), not PSNR of the pooled MSE"

__all__ = [
    "MS_SSIM_DEFAULT", "MS_SSIM_SMALL", "MeanPSNR", "PSNR_REDUCTION", "ms_ssim_per_image",
    "ms_ssim_settings", "psnr_of_mean_mse", "psnr_per_image", "ssim_per_image", "wilson",
]
