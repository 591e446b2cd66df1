"""SNR conditioning behind one small interface: ``module(features, snr_db) -> features``.

The robust-JSCC survey (Hong, Park, Kim), "semantic feature adaptation", and the original papers:

* ``af`` -- the attention-feature module of ADJSCC (Xu et al. 2022): global average pool of the
  features, concatenated with the SNR in dB, Dense(c/16, ReLU), Dense(c, sigmoid), channel-wise scale.
* ``film`` -- FiLM: an MLP of the SNR gives a per-channel scale and shift, x * (1 + gamma) + beta;
  the last layer starts at zero, so a fresh module is the identity.
* ``hyper`` -- the hypernetwork variant (Xie et al.): an MLP of the SNR generates element-wise scales
  of a fixed backbone's parameters. [assume, as in ``../shared/notes/seed-001-methods.md``] one scale
  per output channel of the preceding convolution (and a shift of its bias); scaling the weights of
  output channel o by s_o equals scaling that channel's output, which is how it is applied. Starts at
  scale 1, shift 0.
* ``none`` -- the identity path (no conditioning).

Inputs: features float [B, C, H, W] or [B, C]; ``snr_db`` float [] / [B] / [B, K] (reduced to one
value per sample: the dB of the mean linear SNR). Output: features of the input's shape.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch
from torch import Tensor, nn

from semcom.errors import SemcomError

SNR_SCALE_DB = 20.0  # SNR inputs are fed as snr_db / 20 to the small MLPs (order one over [0, 20] dB)


def per_sample_snr_db(snr_db: Tensor | float, batch: int, device: torch.device | None = None) -> Tensor:
    """[] / [B] / [B, K] SNR in dB -> [B]: the dB of the mean linear SNR of each sample."""
    s = torch.as_tensor(snr_db, dtype=torch.float32, device=device)
    if s.ndim == 0:
        return s.expand(batch)
    if s.shape[0] != batch:
        raise SemcomError(f"SNR of shape {list(s.shape)} does not match a batch of {batch}")
    if s.ndim == 1:
        return s
    return 10.0 * torch.log10(torch.pow(10.0, s.reshape(batch, -1) / 10.0).mean(1))


class SNRConditioning(nn.Module, ABC):
    """Base: ``forward(x, snr_db)``; subclasses implement ``_modulate(x, s)`` with s = snr_db / 20, [B, 1]."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.channels = channels

    def forward(self, x: Tensor, snr_db: Tensor | float) -> Tensor:
        if x.shape[1] != self.channels:
            raise SemcomError(f"{type(self).__name__} built for {self.channels} channels, got features {list(x.shape)}")
        s = per_sample_snr_db(snr_db, x.shape[0], x.device).to(x.dtype)[:, None] / SNR_SCALE_DB
        return self._modulate(x, s)

    @abstractmethod
    def _modulate(self, x: Tensor, s: Tensor) -> Tensor:
        """Features x [B, C, ...] conditioned on s = snr_db / 20, [B, 1]."""

    @staticmethod
    def _bcast(v: Tensor, x: Tensor) -> Tensor:
        return v.reshape(*v.shape, *([1] * (x.ndim - 2)))


class NoConditioning(SNRConditioning):
    """The identity path."""

    def _modulate(self, x: Tensor, s: Tensor) -> Tensor:
        return x


class AttentionFeature(SNRConditioning):
    """ADJSCC's attention-feature module (Xu et al. 2022): pool, concat SNR, Dense(c/16) ReLU, Dense(c) sigmoid, scale."""

    def __init__(self, channels: int, reduction: int = 16) -> None:
        super().__init__(channels)
        hidden = max(channels // reduction, 4)
        self.mlp = nn.Sequential(nn.Linear(channels + 1, hidden), nn.ReLU(), nn.Linear(hidden, channels), nn.Sigmoid())

    def _modulate(self, x: Tensor, s: Tensor) -> Tensor:
        pooled = x.mean(dim=tuple(range(2, x.ndim))) if x.ndim > 2 else x
        return x * self._bcast(self.mlp(torch.cat([pooled, s * SNR_SCALE_DB], 1)), x)


class FiLM(SNRConditioning):
    """x * (1 + gamma(snr)) + beta(snr), per channel; identity at initialisation."""

    def __init__(self, channels: int, hidden: int = 32) -> None:
        super().__init__(channels)
        first, last = nn.Linear(1, hidden), nn.Linear(hidden, 2 * channels)  # creation order = parameter init order
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)
        self.mlp = nn.Sequential(first, nn.ReLU(), last)

    def _modulate(self, x: Tensor, s: Tensor) -> Tensor:
        gamma, beta = self.mlp(s).chunk(2, dim=1)
        return x * (1 + self._bcast(gamma, x)) + self._bcast(beta, x)


class HyperScale(SNRConditioning):
    """Hypernetwork: SNR-generated positive scales (softplus, 1 at init) of the preceding layer's output channels."""

    def __init__(self, channels: int, hidden: int = 32) -> None:
        super().__init__(channels)
        first, last = nn.Linear(1, hidden), nn.Linear(hidden, 2 * channels)  # creation order = parameter init order
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)
        self.mlp = nn.Sequential(first, nn.Tanh(), last)
        self._offset = float(torch.log(torch.expm1(torch.tensor(1.0))))  # softplus(offset) = 1

    def _modulate(self, x: Tensor, s: Tensor) -> Tensor:
        a, b = self.mlp(s).chunk(2, dim=1)
        return x * self._bcast(nn.functional.softplus(a + self._offset), x) + self._bcast(b, x)


def run_conditioned(layers: nn.Sequential | nn.ModuleList, conds: nn.ModuleList, x: Tensor,
                    snr_db: Tensor | float) -> Tensor:
    """Apply ``layers`` in order, each of the first ``len(conds)`` followed by its conditioning module."""
    for i, layer in enumerate(layers):
        x = layer(x)
        if i < len(conds):
            x = conds[i](x, snr_db)
    return x


CONDITIONERS: dict[str, type[SNRConditioning]] = {"none": NoConditioning, "af": AttentionFeature, "film": FiLM,
                                                  "hyper": HyperScale}


def create_conditioning(name: str, channels: int) -> SNRConditioning:
    """A conditioning module by name: ``none``, ``af``, ``film`` or ``hyper``."""
    if name not in CONDITIONERS:
        raise SemcomError(f"unknown SNR conditioning {name!r}; expected one of: {', '.join(CONDITIONERS)}")
    return CONDITIONERS[name](channels)
