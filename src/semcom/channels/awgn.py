"""Additive white Gaussian noise channel."""

from __future__ import annotations

import torch
from torch import Tensor

from semcom.channels.core import Channel, _require_complex, complex_noise, expand_snr, snr_db_to_noise_var


class AWGNChannel(Channel):
    """y = x + n, n ~ CN(0, N0), N0 = 10^(-snr_db/10).

    Inputs:
        x: complex symbols [B, ...] (complex64 or complex128) with unit average energy.
        snr_db: Es/N0 per complex symbol in dB; shape [] (per batch), [B] (per sample) or
            [B, K] (per symbol), aligned with ``x`` from the left.
        return_info: if True also return ``{"h": ones, "noise_var": N0}``.
        generator: optional ``torch.Generator`` for the noise.

    Output:
        y: complex, same shape and dtype as ``x``. Noise variance is N0/2 per real dimension,
        so the measured Es/N0 equals ``snr_db``.
    """

    def forward(self, x: Tensor, snr_db: Tensor | float, *, return_info: bool = False,
                generator: torch.Generator | None = None) -> Tensor | tuple[Tensor, dict[str, Tensor]]:
        _require_complex(x, type(self).__name__)
        n0 = snr_db_to_noise_var(expand_snr(snr_db, x))
        y = x + complex_noise(x.shape, n0, dtype=x.dtype, device=x.device, generator=generator)
        if return_info:
            return y, {"h": torch.ones((), dtype=x.dtype, device=x.device), "noise_var": n0}
        return y
