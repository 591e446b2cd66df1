"""Point-to-point deep JSCC over a scalar channel: the system of Bourtsoulatze et al. 2019 and of
Kim et al., "Data-Level Parameter Sampling for Channel-Adaptive Semantic Communications" (seed 000).

source image -> encoder -> real_to_complex -> power normalisation -> channel (AWGN or block fading
with single-tap equalization) -> complex_to_real -> decoder -> reconstruction.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from semcom.channels import Channel, complex_to_real, normalize_power, real_to_complex


class PointToPointJSCC(nn.Module):
    """A JSCC model (``encode``/``decode``, e.g. :class:`semcom.models.DeepJSCC`) around a channel.

    Inputs of ``forward(img, snr_db, generator=None)``:
        img: float images [B, C, H, W] in [0, 1].
        snr_db: Es/N0 in dB, shape [] (per batch), [B] (per sample) or [B, K] (per symbol).
        generator: optional ``torch.Generator`` for the channel's randomness.

    Output:
        reconstructions [B, C, H, W] in [0, 1]. The transmitted block has unit average energy
        per complex symbol (exactly, per sample); K = ``model.k`` channel uses per image.
    """

    def __init__(self, model: nn.Module, channel: Channel) -> None:
        super().__init__()
        self.model = model
        self.channel = channel

    @property
    def k(self) -> int:
        return int(self.model.k)

    def transmit(self, img: Tensor) -> Tensor:
        """Images -> unit-energy complex symbols [B, K]."""
        return normalize_power(real_to_complex(self.model.encode(img)))

    def receive(self, y: Tensor, image_size: tuple[int, int]) -> Tensor:
        """Received (equalized) complex symbols [B, K] -> images."""
        return self.model.decode(complex_to_real(y), image_size)

    def forward(self, img: Tensor, snr_db: Tensor | float, generator: torch.Generator | None = None) -> Tensor:
        x = self.transmit(img)
        y = self.channel(x, snr_db, generator=generator)
        return self.receive(y, (img.shape[-2], img.shape[-1]))
