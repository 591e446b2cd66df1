"""Point-to-point deep JSCC over a scalar channel: the system of Bourtsoulatze et al. 2019 and of
Kim et al., "Data-Level Parameter Sampling for Channel-Adaptive Semantic Communications" (seed 000).

source image -> encoder -> real_to_complex -> power normalisation -> channel (AWGN or block fading
with single-tap equalization) -> complex_to_real -> decoder -> reconstruction.
"""

from __future__ import annotations

from typing import Any

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
        ``run(img, snr_db, generator)`` returns a dict with ``recon``, ``z_rx`` (received real
        features [B, 2K]), ``logits`` (with a head) and ``snr_rx_db`` (the SNR the decoder was given).

    SNR-conditioned models (``model.snr_conditioned``) get the SNR at the encoder (the transmitter
    knows it, as in ADJSCC) and at the decoder: the true SNR (``snr_source="true"``) or the estimate
    from ``num_pilots`` pilots sent through the same channel realization (``snr_source="pilot"``,
    :class:`semcom.channels.snr_estimation.PilotSNREstimator`).
    ``head``: an optional task head on the received features (e.g. :class:`semcom.models.ClassifierHead`).
    """

    def __init__(self, model: nn.Module, channel: Channel, head: nn.Module | None = None, snr_source: str = "true",
                 num_pilots: int = 64) -> None:
        super().__init__()
        from semcom.channels.snr_estimation import PilotSNREstimator
        from semcom.errors import SemcomError

        if snr_source not in ("true", "pilot"):
            raise SemcomError(f"snr_source={snr_source!r}; expected 'true' or 'pilot'")
        self.model = model
        self.channel = channel
        self.head = head
        self.snr_source = snr_source
        self.estimator = PilotSNREstimator(num_pilots) if snr_source == "pilot" else None

    @property
    def k(self) -> int:
        return int(self.model.k)

    def use_snr_source(self, snr_source: str, num_pilots: int | None = None) -> None:
        """Switch the receiver between the true SNR and the pilot estimate (e.g. for evaluation)."""
        from semcom.channels.snr_estimation import PilotSNREstimator
        from semcom.errors import SemcomError

        if snr_source not in ("true", "pilot"):
            raise SemcomError(f"snr_source={snr_source!r}; expected 'true' or 'pilot'")
        self.snr_source = snr_source
        n = num_pilots or (self.estimator.num_pilots if self.estimator is not None else 64)
        self.estimator = PilotSNREstimator(n) if snr_source == "pilot" else None

    @property
    def conditioned(self) -> bool:
        return bool(getattr(self.model, "snr_conditioned", False))

    def transmit(self, img: Tensor, snr_db: Tensor | float | None = None) -> Tensor:
        """Images -> unit-energy complex symbols [B, K] (an SNR-conditioned encoder also takes the SNR)."""
        z = self.model.encode(img, snr_db) if self.conditioned and snr_db is not None else self.model.encode(img)
        return normalize_power(real_to_complex(z))

    def receive(self, y: Tensor, image_size: tuple[int, int], snr_db: Tensor | float | None = None) -> Tensor:
        """Received (equalized) complex symbols [B, K] -> images."""
        if self.conditioned:
            return self.model.decode(complex_to_real(y), image_size, snr_db)
        return self.model.decode(complex_to_real(y), image_size)

    def through_channel(self, x: Tensor, snr_db: Tensor | float,
                        generator: torch.Generator | None = None) -> tuple[Tensor, Tensor | float]:
        """(received symbols, the SNR the receiver uses: the true one or the pilot estimate)."""
        if self.estimator is not None:
            return self.estimator(self.channel, x, snr_db, generator=generator)
        return self.channel(x, snr_db, generator=generator), snr_db

    def run(self, img: Tensor, snr_db: Tensor | float, generator: torch.Generator | None = None,
            perturb: Any = None) -> dict[str, Any]:
        """Every output: ``recon``, ``z_rx``, ``logits`` (None without a head), ``snr_rx_db``. ``perturb``
        (optional) maps the received real features to perturbed ones (adversarial training)."""
        x = self.transmit(img, snr_db)
        y, snr_rx = self.through_channel(x, snr_db, generator)
        z_rx = complex_to_real(y)
        if perturb is not None:
            z_rx = perturb(z_rx)
        return self.decode_features(z_rx, (img.shape[-2], img.shape[-1]), snr_rx)

    def decode_features(self, z_rx: Tensor, image_size: tuple[int, int], snr_rx: Tensor | float) -> dict[str, Any]:
        """Heads on received real features [B, 2K]."""
        if self.conditioned:
            recon = self.model.decode(z_rx, image_size, snr_rx)
        else:
            recon = self.model.decode(z_rx, image_size)
        logits = self.head(z_rx) if self.head is not None else None
        return {"recon": recon, "z_rx": z_rx, "logits": logits, "snr_rx_db": snr_rx}

    def forward(self, img: Tensor, snr_db: Tensor | float, generator: torch.Generator | None = None) -> Tensor:
        return self.run(img, snr_db, generator)["recon"]
