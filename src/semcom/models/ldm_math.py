"""Closed forms of the latent-diffusion denoising receiver (the LDM-receiver paper), from ``../shared/notes/ldm-receiver-math.md``.

Convention (per real dimension): the latent z has mean power P per real dimension; the channel gives
y = sqrt(g) z + n with n ~ N(0, sigma^2 I) per real dimension. A complex channel use carries two real
latent values; complex noise CN(0, N0) puts N0 / 2 on each, so with unit-energy complex symbols
(P = 1/2 per real dimension) gamma = g P / sigma^2 = g Es / N0: the received SNR per real dimension
equals semcom's Es/N0 per complex symbol.

DDPM forward process: x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps, abar_t = prod_{s <= t} (1 - beta_s).

* Theorem 1: the step whose signal-to-noise ratio abar P / (1 - abar) equals gamma has
  abar* = gamma / (gamma + P); t* is the nearest discrete step (:func:`timestep_discrete`) or the root of the
  continuous linear schedule (:func:`timestep_continuous`).
* Theorem 2: s = sqrt((abar* P + 1 - abar*) / E|y|^2) puts s y at the second moment of x_t*; for P = 1,
  s^2 g = abar* and s^2 sigma^2 = 1 - abar*.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from semcom.errors import SemcomError


def linear_betas(num_steps: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02) -> Tensor:
    """The linear schedule of DDPM and of diffusers' ``DDPMScheduler(beta_schedule="linear")`` (float64 [T])."""
    if num_steps < 1 or not 0 < beta_start < beta_end < 1:
        raise SemcomError(f"bad linear schedule: num_steps={num_steps}, beta_start={beta_start}, beta_end={beta_end}")
    return torch.linspace(beta_start, beta_end, num_steps, dtype=torch.float64)


def alphas_cumprod(betas: Tensor) -> Tensor:
    """abar_t for t = 0..T-1 (step t has had t + 1 noising steps, as in diffusers)."""
    return torch.cumprod(1.0 - betas.double(), dim=0)


def received_snr(mean_power: Tensor | float, noise_var: Tensor | float) -> Tensor:
    """gamma = (E|y|^2 - sigma^2) / sigma^2 per real dimension, clipped at 1e-6 (the receiver's SNR estimate
    from the received power and a known or estimated noise floor)."""
    p = torch.as_tensor(mean_power, dtype=torch.float64)
    s2 = torch.as_tensor(noise_var, dtype=torch.float64)
    return torch.clamp((p - s2) / s2, min=1e-6)


def abar_star(gamma: Tensor | float, power: float = 1.0) -> Tensor:
    """Theorem 1: abar* = gamma / (gamma + P)."""
    g = torch.as_tensor(gamma, dtype=torch.float64)
    if (g < 0).any():
        raise SemcomError("the SNR gamma must be >= 0 (linear, not dB)")
    return g / (g + power)


def schedule_snr_range(abar: Tensor, power: float = 1.0) -> tuple[float, float]:
    """The SNRs (linear) a schedule covers: that of its last step, abar_T P / (1 - abar_T), and of its first."""
    a = abar.double()
    return float(a[-1] * power / (1 - a[-1])), float(a[0] * power / (1 - a[0]))


def timestep_discrete(gamma: Tensor | float, abar: Tensor, power: float = 1.0) -> Tensor:
    """Theorem 1 on a discrete schedule: the index t whose abar_t is nearest abar* (int64, same shape as gamma).

    An SNR outside the schedule's range (:func:`schedule_snr_range`, about -44 to +40 dB for the linear
    1e-4..0.02 schedule of 1000 steps) raises a :class:`SemcomError`: no step of the schedule has that SNR."""
    lo, hi = schedule_snr_range(abar, power)
    g = torch.as_tensor(gamma, dtype=torch.float64)
    bad = (g < lo * (1 - 1e-9)) | (g > hi * (1 + 1e-9))
    if bad.any():
        v = float(g[bad].reshape(-1)[0])
        raise SemcomError(f"SNR {10 * math.log10(max(v, 1e-300)):.1f} dB is outside the diffusion schedule's range "
                          f"[{10 * math.log10(lo):.1f}, {10 * math.log10(hi):.1f}] dB; use a schedule with more or "
                          "smaller steps, or clip the SNR into that range")
    a = abar_star(gamma, power)
    return (abar.double()[None, :] - a.reshape(-1, 1)).abs().argmin(dim=1).reshape(a.shape)


def timestep_continuous(gamma: Tensor | float, num_steps: int = 1000, beta_start: float = 1e-4,
                        beta_end: float = 0.02, power: float = 1.0) -> Tensor:
    """Theorem 1 on the continuous linear schedule, ln abar(t) = -(b0 t + (b1 - b0) t^2 / (2T)): the root in
    [0, T] of (b1 - b0)/(2T) t^2 + b0 t + ln abar* = 0 (float64; T where abar* is below the schedule's end)."""
    a = abar_star(gamma, power).clamp_min(1e-300)
    c = (beta_end - beta_start) / num_steps
    t = (-beta_start + torch.sqrt(beta_start**2 - 2.0 * c * torch.log(a))) / c
    return t.clamp(0.0, float(num_steps))


def scale(mean_power: Tensor | float, abar: Tensor | float, power: float = 1.0) -> Tensor:
    """Theorem 2: s = sqrt((abar* P + 1 - abar*) / E|y|^2)."""
    a = torch.as_tensor(abar, dtype=torch.float64)
    p = torch.as_tensor(mean_power, dtype=torch.float64)
    return torch.sqrt((a * power + 1.0 - a) / p)


def one_step_estimate(x_t: Tensor, eps: Tensor, abar: Tensor | float) -> Tensor:
    """The single-step estimate x0_hat = (x_t - sqrt(1 - abar) eps_theta) / sqrt(abar)."""
    a = torch.as_tensor(abar, dtype=x_t.dtype, device=x_t.device)
    while a.ndim < x_t.ndim and a.ndim > 0:
        a = a[..., None]
    return (x_t - torch.sqrt(1 - a) * eps) / torch.sqrt(a)


def snr_db_to_gamma(snr_db: float) -> float:
    return 10.0 ** (snr_db / 10.0)


__all__ = ["schedule_snr_range", "linear_betas", "alphas_cumprod", "received_snr", "abar_star", "timestep_discrete", "timestep_continuous",
           "scale", "one_step_estimate", "snr_db_to_gamma", "math"]
