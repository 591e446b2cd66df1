"""Training: SNR samplers, recipes, the Lightning module and data module, and ``fit``."""

from semcom.training.snr import BLPS, DLPS, SAMPLERS, Dedicated, LvLPS, SNRSampler, create_sampler

__all__ = ["BLPS", "DLPS", "Dedicated", "LvLPS", "SAMPLERS", "SNRSampler", "create_sampler"]
