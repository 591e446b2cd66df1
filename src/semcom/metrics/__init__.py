"""Image quality metrics: a functional core (per-image values) and thin torchmetrics classes.

Reduction: every semcom result reports PSNR as the *mean of per-image PSNR* in dB, with data range
1.0 (images in [0, 1]). torchmetrics' ``PeakSignalNoiseRatio`` by default computes the PSNR of the
MSE pooled over all images, which is larger (Jensen) and not what JSCC papers report.
"""

from semcom.metrics.image import (
    MS_SSIM_DEFAULT,
    MS_SSIM_SMALL,
    MeanPSNR,
    ms_ssim_per_image,
    ms_ssim_settings,
    psnr_per_image,
    ssim_per_image,
)
from semcom.metrics.intervals import wilson

PSNR_REDUCTION = "mean of per-image PSNR in dB (data range 1.0), not PSNR of the pooled MSE"

__all__ = [
    "MS_SSIM_DEFAULT", "MS_SSIM_SMALL", "MeanPSNR", "PSNR_REDUCTION", "ms_ssim_per_image",
    "ms_ssim_settings", "psnr_per_image", "ssim_per_image", "wilson",
]
