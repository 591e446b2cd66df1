"""Learned MU-MIMO precoders for end-to-end training (Li et al. 2025, Section III-C), built on the classical
ones of :mod:`semcom.channels.precoding` (registry ``PRECODERS``, one power constraint).

Layout: streams ``s`` [B, F, T, K] (K users, one stream each, on an F x T OFDM grid), channel
``h`` [B, F, T, K, M] (M base-station antennas), noise variance ``noise_var`` [B] or [] (N0 per
resource element, unit-power channel). Output: antenna signals ``x`` [B, F, T, M] with the total
power constraint E|X|^2 = P: the mean over the grid of sum_m |x_m|^2 equals ``power`` per sample.

* classical RZF / ZF: :class:`semcom.channels.precoding.Precoder` with ``normalization="grid"`` (alpha = 0 is
  ZF without the singular-channel guard: it blows up on ill-conditioned channels, which Fig. 10 shows).
* ``hybrid_rzf``: the paper's hybrid learnable residual RZF: alpha learnable and kept positive
  (softplus), plus a residual network over the time-frequency grid whose input is the coarse precoded
  signal concatenated with the CSI (real and imaginary parts of the M antenna signals and of the K x M
  channel as channels: conv + BN + ReLU, conv + BN + ReLU, conv) adding Delta X to the RZF output (eqs.
  7-9); the residual's last conv starts at zero, so a fresh module is the learnable RZF.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from semcom.channels.precoding import PRECODERS, per_sample, rzf_matrix, total_power_normalize
from semcom.errors import SemcomError


class HybridRZF(nn.Module):
    """Li et al.'s (2025) hybrid learnable residual RZF precoder (see the module docstring).

    Args:
        num_antennas: M. num_users: K. alpha_init: initial alpha (> 0). hidden: channels of the residual network.
        residual: False gives the learnable-alpha RZF alone. power: total power P.
        alpha_fixed: alpha held at this value instead of learned (0: the ZF of Li et al.'s Fig. 10, the residual
            network kept; ZF has no guard against singular channels, so a NaN stops the training).
    """

    def __init__(self, num_antennas: int = 4, num_users: int = 4, alpha_init: float = 1.0, hidden: int = 32,
                 residual: bool = True, power: float = 1.0, alpha_fixed: float | None = None) -> None:
        super().__init__()
        if alpha_init <= 0:
            raise SemcomError(f"alpha_init={alpha_init} must be > 0 (it is kept positive through a softplus)")
        if alpha_fixed is not None and not (alpha_fixed >= 0 and math.isfinite(alpha_fixed)):
            raise SemcomError(f"alpha_fixed={alpha_fixed} must be a finite number >= 0 (0 = ZF)")
        self.alpha_fixed = alpha_fixed
        self.alpha_raw = nn.Parameter(torch.tensor(math.log(math.expm1(alpha_init))),
                                      requires_grad=alpha_fixed is None)
        self.power = float(power)
        m2 = 2 * num_antennas
        self.residual: nn.Sequential | None = None
        if residual:
            layers = [
                nn.Conv2d(m2 + 2 * num_users * num_antennas, hidden, 3, padding=1), nn.BatchNorm2d(hidden), nn.ReLU(inplace=True),
                nn.Conv2d(hidden, hidden, 3, padding=1), nn.BatchNorm2d(hidden), nn.ReLU(inplace=True),
            ]
            last = nn.Conv2d(hidden, m2, 3, padding=1)  # created last: the same parameter init order as before
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)  # type: ignore[arg-type]  # a Conv2d built with a bias
            self.residual = nn.Sequential(*layers, last)

    @property
    def alpha(self) -> Tensor:
        if self.alpha_fixed is not None:
            return torch.tensor(self.alpha_fixed, device=self.alpha_raw.device)
        return F.softplus(self.alpha_raw)

    def forward(self, s: Tensor, h: Tensor, noise_var: Tensor | float) -> Tensor:
        reg = self.alpha.to(h.real.dtype) * per_sample(noise_var, h)
        x = (rzf_matrix(h, reg) @ s[..., None])[..., 0]  # [B, F, T, M]
        x = total_power_normalize(x, self.power)
        if self.residual is not None:
            hf = h.flatten(-2)  # [B, F, T, K M]
            xr = torch.cat([x.real, x.imag, hf.real, hf.imag], dim=-1).permute(0, 3, 1, 2).to(x.real.dtype)
            d = self.residual(xr).permute(0, 2, 3, 1)
            m = x.shape[-1]
            x = x + torch.complex(d[..., :m], d[..., m:])
        return total_power_normalize(x, self.power)


PRECODERS.register("hybrid_rzf")(HybridRZF)


def create_precoder(name: str, **options: object) -> nn.Module:
    """A precoder for the end-to-end system by name: ``hybrid_rzf`` (num_antennas, num_users, alpha_init, hidden,
    residual), or a classical one (``rzf`` with alpha, ``zf``, ``mrt``, ``svd``) with the grid normalisation."""
    from semcom.channels.precoding import create

    if name == "hybrid_rzf":
        return create(name, **options)
    return create(name, **{"normalization": "grid", **options})
