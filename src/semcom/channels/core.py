"""Symbol packing, power normalisation and the SNR convention shared by every channel.

Convention (one for all of semcom):

* symbols are complex; a transmitted block has unit average energy per complex symbol, Es = 1;
* ``snr_db`` is Es/N0 per complex symbol in dB, gamma = 10^(snr_db/10) in linear scale;
* noise is circularly-symmetric complex Gaussian CN(0, N0) with N0 = 1/gamma, that is variance
  N0/2 on the real part and N0/2 on the imaginary part.

SNR broadcasting: ``snr_db`` is aligned with the symbols *from the left* (batch first), the way
Sionna appends dimensions to ``no``: for symbols of shape [B, K] it may have shape [] (one SNR for
the whole batch), [B] (one per sample) or [B, K] (one per symbol); size-1 dimensions broadcast.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from semcom.errors import SemcomError


def _require_complex(x: Tensor, who: str) -> None:
    if not torch.is_complex(x):
        raise SemcomError(
            f"{who} expects complex symbols, got dtype {x.dtype}; pack real features with "
            "semcom.channels.real_to_complex first"
        )


def expand_snr(snr_db: Tensor | float, x: Tensor) -> Tensor:
    """Return ``snr_db`` as a real tensor on ``x``'s device, reshaped to broadcast against ``x``.

    Args:
        snr_db: SNR in dB, shape [], [B], [B, K] or any left-aligned prefix of ``x.shape``
            (size-1 dimensions allowed).
        x: the symbols, shape [B, ...] (finite: NaN or infinite symbols are refused here, for every channel, outside training).

    Returns:
        Tensor of shape ``snr_db.shape + (1,) * (x.ndim - snr_db.ndim)``, real dtype matching ``x``.
    """
    real_dtype = x.real.dtype if torch.is_complex(x) else x.dtype
    snr = torch.as_tensor(snr_db, dtype=real_dtype, device=x.device)
    ok = snr.ndim <= x.ndim and all(s in (1, n) for s, n in zip(snr.shape, x.shape))
    if not ok:
        raise SemcomError(
            f"snr_db of shape {list(snr.shape)} does not broadcast against symbols of shape "
            f"{list(x.shape)}; expected [] (per batch), [{x.shape[0]}] (per sample) or "
            f"{list(x.shape)} (per symbol), aligned from the left"
        )
    if not torch.isfinite(snr).all():
        raise SemcomError(f"snr_db must be finite, got {snr.flatten()[:4].tolist()}...")
    # outside training (no autograd graph): a device sync per call is affordable there; in training a NaN is
    # caught by the non-finite-loss stop instead of a sync on every step
    if not x.requires_grad and not bool(torch.isfinite(x).all()):
        raise SemcomError(f"the channel input holds NaN or infinite symbols (shape {list(x.shape)}); check the "
                          "encoder output and its power normalisation")
    return snr.reshape(tuple(snr.shape) + (1,) * (x.ndim - snr.ndim))


def snr_db_to_noise_var(snr_db: Tensor) -> Tensor:
    """N0 = 10^(-snr_db/10): complex noise variance for unit-energy symbols."""
    return torch.pow(10.0, -snr_db / 10.0)


def complex_noise(shape: torch.Size | tuple[int, ...], noise_var: Tensor, *, dtype: torch.dtype,
                  device: torch.device, generator: torch.Generator | None = None) -> Tensor:
    """Draw CN(0, noise_var) samples: N0/2 per real dimension.

    Args:
        shape: output shape.
        noise_var: N0, broadcastable to ``shape``.
        dtype: complex dtype of the output.
        generator: optional ``torch.Generator`` for reproducible draws. A generator on another device
            than ``device`` (a CPU generator for CUDA tensors) draws there and the samples are moved, so
            one CPU generator gives the same noise on every device.
    """
    real_dtype = torch.empty((), dtype=dtype).real.dtype
    draw_on = torch.device(device) if generator is None else generator.device
    ri = torch.randn((*shape, 2), dtype=real_dtype, device=draw_on, generator=generator).to(device)
    return torch.view_as_complex(ri) * torch.sqrt(noise_var / 2.0)


def real_to_complex(z: Tensor) -> Tensor:
    """Pack real features into complex symbols, pairing adjacent values.

    Args:
        z: real tensor [B, 2K] (or [..., 2K]); the last dimension must be even.

    Returns:
        complex tensor [B, K] with ``x[..., k] = z[..., 2k] + 1j * z[..., 2k+1]``.
    """
    if torch.is_complex(z):
        raise SemcomError(f"real_to_complex expects real features, got dtype {z.dtype}")
    if z.shape[-1] % 2:
        raise SemcomError(
            f"real_to_complex needs an even number of real values per sample (2 per complex "
            f"channel use), got last dimension {z.shape[-1]}"
        )
    if z.dtype not in (torch.float32, torch.float64):
        z = z.float()
    return torch.view_as_complex(z.reshape(*z.shape[:-1], z.shape[-1] // 2, 2).contiguous())


def complex_to_real(x: Tensor) -> Tensor:
    """Inverse of :func:`real_to_complex`: complex [..., K] -> real [..., 2K]."""
    _require_complex(x, "complex_to_real")
    return torch.view_as_real(x).flatten(-2)


def normalize_power(x: Tensor, eps: float = 1e-12) -> Tensor:
    """Scale each sample to unit average energy per complex symbol.

    Args:
        x: complex symbols [B, ...]; every non-batch dimension belongs to one sample.

    Returns:
        ``x * sqrt(K / sum_k |x_k|^2)`` per sample, so that ``mean_k |x_k|^2 = 1`` exactly.
    """
    _require_complex(x, "normalize_power")
    dims = tuple(range(1, x.ndim))
    power = x.abs().pow(2).mean(dim=dims, keepdim=True)
    return x * torch.rsqrt(power + eps)


class PowerNormalize(nn.Module):
    """Module form of :func:`normalize_power` (complex [B, ...] -> complex [B, ...])."""

    def forward(self, x: Tensor) -> Tensor:
        return normalize_power(x)


class Channel(nn.Module):
    """Base class of semcom channels; subclasses implement the contract below.

    ``forward(x, snr_db, *, return_info=False, generator=None)``

    Inputs:
        x: complex64/complex128 symbols [B, ...], unit average energy per symbol.
        snr_db: Es/N0 in dB, broadcast against ``x`` from the left (see :func:`expand_snr`).
        return_info: also return a dict of side information (channel coefficients, N0, ...).
        generator: optional ``torch.Generator`` for reproducible noise and fading.

    Outputs:
        y, the received (for fading channels: equalized) symbols, same shape and dtype as ``x``;
        with ``return_info``, ``(y, info)``.
    """
