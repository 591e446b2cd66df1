"""Block fading (Rayleigh, Rician) with single-tap equalization."""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor

from semcom.channels.core import Channel, _require_complex, complex_noise, expand_snr, snr_db_to_noise_var
from semcom.errors import SemcomError

Coherence = Literal["sample", "symbol"]
CSI = Literal["perfect", "pilot"]
Equalizer = Literal["zf", "mmse", "none"]


class BlockFadingChannel(Channel):
    """Flat block fading y = h x + n followed by single-tap equalization.

    The fading coefficient is h = sqrt(kappa/(kappa+1)) + sqrt(1/(kappa+1)) g, g ~ CN(0, 1), so
    E|h|^2 = 1; ``k_factor`` = kappa = 0 gives Rayleigh fading. One h is drawn per sample
    (``coherence="sample"``: all K symbols of a sample share it, block fading) or per symbol
    (``coherence="symbol"``). The noise is n ~ CN(0, N0) with N0 = 10^(-snr_db/10), so ``snr_db``
    is the *average* SNR E|h|^2 Es/N0; the instantaneous SNR of a block is gamma = |h|^2 / N0.

    Equalization (``equalizer``) with the channel estimate h_hat:

    * ``"zf"`` (default): x_hat = y / h_hat. With perfect CSI this is eq. (1) of Kim et al.
      (DLPS): x_hat = x + n~, n~ = h* n / |h|^2 ~ CN(0, 1/gamma), gamma = |h|^2/N0;
    * ``"mmse"``: x_hat = h_hat* y / (|h_hat|^2 + N0);
    * ``"none"``: the raw y is returned (the decoder sees the fading).

    CSI (``csi``): ``"perfect"`` uses h_hat = h; ``"pilot"`` sends ``num_pilots`` known pilot
    symbols of energy 10^(pilot_boost_db/10) through the same h and noise level and takes the
    least-squares estimate h_hat = mean(y_p) / p, whose error is CN(0, N0 / (num_pilots * |p|^2)).
    With per-symbol SNR and per-sample fading the pilots see the block's mean N0. Pilot symbols
    are overhead and are not counted in K.

    Inputs:
        x: complex symbols [B, ...] with unit average energy.
        snr_db: average SNR in dB, [] / [B] / [B, K] aligned from the left.
        return_info: also return ``{"h", "h_hat", "noise_var"}``; h and h_hat have shape [B, 1, ...]
            (per sample) or ``x.shape`` (per symbol).
        generator: optional ``torch.Generator`` for fading, pilot noise and noise.

    Output:
        the equalized symbols, same shape and dtype as ``x``.
    """

    def __init__(self, k_factor: float = 0.0, coherence: Coherence = "sample", csi: CSI = "perfect",
                 equalizer: Equalizer = "zf", num_pilots: int = 1, pilot_boost_db: float = 0.0) -> None:
        super().__init__()
        if not (k_factor >= 0 and math.isfinite(k_factor)):
            raise SemcomError(f"k_factor must be a finite number >= 0 (linear Rician K), got {k_factor!r}")
        for name, value, allowed in (("coherence", coherence, ("sample", "symbol")),
                                     ("csi", csi, ("perfect", "pilot")),
                                     ("equalizer", equalizer, ("zf", "mmse", "none"))):
            if value not in allowed:
                raise SemcomError(f"{name}={value!r} is not supported; expected one of {allowed}")
        if int(num_pilots) != num_pilots or num_pilots < 1:
            raise SemcomError(f"num_pilots must be a positive integer, got {num_pilots!r}")
        self.k_factor = float(k_factor)
        self.coherence = coherence
        self.csi = csi
        self.equalizer = equalizer
        self.num_pilots = int(num_pilots)
        self.pilot_boost_db = float(pilot_boost_db)

    def extra_repr(self) -> str:
        return (f"k_factor={self.k_factor}, coherence={self.coherence!r}, csi={self.csi!r}, "
                f"equalizer={self.equalizer!r}, num_pilots={self.num_pilots}, pilot_boost_db={self.pilot_boost_db}")

    def sample_fading(self, shape: tuple[int, ...], *, dtype: torch.dtype, device: torch.device,
                      generator: torch.Generator | None = None) -> Tensor:
        """Draw h of the given shape with E|h|^2 = 1 (Rician with K-factor ``k_factor``)."""
        g = complex_noise(shape, torch.tensor(1.0, device=device), dtype=dtype, device=device, generator=generator)
        kappa = self.k_factor
        return math.sqrt(kappa / (kappa + 1.0)) + math.sqrt(1.0 / (kappa + 1.0)) * g

    def estimate(self, h: Tensor, noise_var: Tensor, *, generator: torch.Generator | None = None) -> Tensor:
        """LS pilot estimate of h: h + CN(0, noise_var / (num_pilots * pilot energy)).

        Args:
            h: true coefficients [B, ...].
            noise_var: N0 of the pilots, broadcastable to ``h``.
        """
        pilot_energy = 10.0 ** (self.pilot_boost_db / 10.0)
        p = math.sqrt(pilot_energy)
        y_p = h.unsqueeze(-1) * p + complex_noise((*h.shape, self.num_pilots), noise_var.unsqueeze(-1),
                                                  dtype=h.dtype, device=h.device, generator=generator)
        return y_p.mean(dim=-1) / p

    def forward(self, x: Tensor, snr_db: Tensor | float, *, return_info: bool = False,
                generator: torch.Generator | None = None) -> Tensor | tuple[Tensor, dict[str, Tensor]]:
        _require_complex(x, type(self).__name__)
        n0 = snr_db_to_noise_var(expand_snr(snr_db, x))
        h_shape = (x.shape[0],) + (1,) * (x.ndim - 1) if self.coherence == "sample" else tuple(x.shape)
        h = self.sample_fading(h_shape, dtype=x.dtype, device=x.device, generator=generator)
        y = h * x + complex_noise(x.shape, n0, dtype=x.dtype, device=x.device, generator=generator)
        if self.csi == "perfect":
            h_hat = h
        else:
            # pilots see the noise level of the block they belong to
            n0_full = n0.expand(x.shape)
            dims = tuple(i for i, s in enumerate(h_shape) if s == 1 and x.shape[i] != 1)
            n0_pilot = n0_full.mean(dim=dims, keepdim=True) if dims else n0_full
            h_hat = self.estimate(h, n0_pilot, generator=generator)
        if self.equalizer == "zf":
            out = y / h_hat
        elif self.equalizer == "mmse":
            out = h_hat.conj() * y / (h_hat.abs().pow(2) + n0)
        else:
            out = y
        if return_info:
            return out, {"h": h, "h_hat": h_hat, "noise_var": n0}
        return out
