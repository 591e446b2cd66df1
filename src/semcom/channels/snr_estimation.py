"""SNR at the receiver from known pilots sent through the same channel realization (the robust-JSCC survey, SNR-map decoder).

The transmitter appends ``num_pilots`` known unit-energy QPSK symbols to each image's block; the
channel treats them like data (same noise, same fading coefficient, same equalization). The receiver
fits the complex gain of the (equalized) pilots, g = mean(y_p conj(p)), takes the residual noise
N0_hat = sum |y_p - g p|^2 / (n_p - 1) (one complex degree of freedom spent on g), and reports
SNR_hat = (|g|^2 - N0_hat / n_p) / N0_hat, clipped at 1e-3: an estimate of Es/N0 for AWGN, and of
the effective per-sample SNR after single-tap equalization for block fading (|h|^2 Es/N0 with
perfect CSI), which is what a decoder conditioned on the SNR should see. [assume] 64 pilots, as in
``../shared/notes/seed-001-methods.md``; they cost ``num_pilots`` extra channel uses per image.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from semcom.channels.core import Channel
from semcom.errors import SemcomError


def pilot_sequence(num_pilots: int, dtype: torch.dtype = torch.complex64) -> Tensor:
    """A fixed unit-energy QPSK pilot sequence [num_pilots] (the same at transmitter and receiver)."""
    g = torch.Generator().manual_seed(1234)
    bits = torch.randint(0, 2, (num_pilots, 2), generator=g).float() * 2 - 1
    return torch.complex(bits[:, 0], bits[:, 1]).to(dtype) / math.sqrt(2.0)


def estimate_snr_db(y_p: Tensor, p: Tensor) -> Tensor:
    """SNR estimate (dB) per sample from received pilots y_p [B, n_p] and the known pilots p [n_p]."""
    n_p = y_p.shape[-1]
    if n_p < 2:
        raise SemcomError(f"SNR estimation needs at least 2 pilots, got {n_p}")
    g = (y_p * p.conj()).mean(-1, keepdim=True)
    n0 = (y_p - g * p).abs().pow(2).sum(-1) / (n_p - 1)
    es = g.squeeze(-1).abs().pow(2) - n0 / n_p
    return 10.0 * torch.log10(torch.clamp(es / n0.clamp_min(1e-12), min=1e-3))


class PilotSNREstimator(nn.Module):
    """Send data and pilots through ``channel`` together; return the data part and the SNR estimate.

    ``forward(channel, x, snr_db, generator=None) -> (y [B, K], snr_hat_db [B])``; x complex [B, K]
    with unit average energy; ``snr_db`` [] or [B] (a [B, K] per-symbol SNR is reduced to its per-sample
    mean for the pilots).
    """

    pilots: Tensor

    def __init__(self, num_pilots: int = 64) -> None:
        super().__init__()
        if num_pilots < 2:
            raise SemcomError(f"num_pilots must be >= 2, got {num_pilots}")
        self.num_pilots = num_pilots
        self.register_buffer("pilots", pilot_sequence(num_pilots), persistent=False)

    def forward(self, channel: Channel, x: Tensor, snr_db: Tensor | float,
                generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        b, k = x.shape[0], x.shape[-1]
        p = self.pilots.to(device=x.device, dtype=x.dtype)
        s = torch.as_tensor(snr_db, dtype=torch.float32, device=x.device)
        if s.ndim == 2:
            lin = torch.pow(10.0, s / 10.0)
            s = torch.cat([s, (10 * torch.log10(lin.mean(1, keepdim=True))).expand(-1, self.num_pilots)], 1)
        y = channel(torch.cat([x, p.expand(b, -1)], 1), s, generator=generator)
        return y[:, :k], estimate_snr_db(y[:, k:], p)
