"""Seed 002's scenario-adaptive MU-MIMO OFDM semantic system and its ablations.

One sample = K users' images and one channel realization H [N_f, N_t, K, M] of the 3GPP downlink:

    images [B, K, 3, 32, 32] -> encoder (noise + scenario adaptation) -> N_sf x N_st complex symbols per
    user, unit energy -> OFDM grid with the seed-002 pilots (OFDM symbols 2 and 11, orthogonal across users)
    -> precoder (hybrid learnable residual RZF, or classical RZF) -> channel y = H x + n (Es/N0 per resource
    element, total transmit power 1) -> each user's lightweight decoder (pilot-guided attention) ->
    reconstruction [B, K, 3, 32, 32] and class logits [B, K, C].

Variants (seed 002, Section IV): ``full`` (Ours (Full)); ``no_pilot`` (Ours (w/o Pilot): no pilot-guided
attention); ``rzf`` (Ours (RZF): classical RZF alpha = 1, no adaptation modules, no pilot attention);
``djscc`` (DJSCC adapted to MU-MIMO OFDM: the Bourtsoulatze encoder per user, classical RZF, its decoder
symmetric to the encoder; same grid, channel and bandwidth). ``precoder="zf"`` gives the alpha = 0 case of
Fig. 10 (it diverges on ill-conditioned channels; training stops with a clear message at the first NaN).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

from semcom.errors import SemcomError
from semcom.models.mumimo import AsymmetricEncoder, LightweightDecoder, SymmetricDJSCCDecoder
from semcom.models.precoders import HybridRZF, LinearRZF

VARIANTS = ("full", "no_pilot", "rzf", "djscc")


class MUMIMOSemanticSystem(nn.Module):
    """See the module docstring. ``forward(img, snr_db, generator=None, h=None)`` -> dict with ``recon``,
    ``logits``, ``h`` and ``noise_var``; ``channel`` is a :class:`semcom.channels.tr38901.MUMIMODownlinkChannel`
    (anything with ``draw(B, generator)`` and ``forward(x, snr_db, h=h, generator=)``)."""

    def __init__(self, channel: nn.Module, num_subcarriers: int = 32, variant: str = "full", num_users: int = 4,
                 num_antennas: int = 4, num_classes: int = 10, precoder: str | None = None, alpha_init: float = 1.0) -> None:
        super().__init__()
        from semcom.channels.ofdm import OFDMGrid
        from semcom.models import create as create_model

        if variant not in VARIANTS:
            raise SemcomError(f"variant {variant!r}; expected one of: {', '.join(VARIANTS)}")
        self.channel, self.variant, self.k_users, self.m = channel, variant, num_users, num_antennas
        self.grid = OFDMGrid(num_subcarriers, pilot_symbols="seed002", num_streams=num_users)
        self.n_sym = self.grid.num_data_symbols  # N_sf x N_st per user
        pg = self.grid.pilot_grid()[0]  # [K, T, F]
        self.register_buffer("pilot_ref", torch.stack([pg.real, pg.imag], 1).float(), persistent=False)  # [K, 2, T, F]
        if variant == "djscc":
            self.encoder: nn.Module = create_model("djscc", k=self.n_sym)
            self.decoder: nn.Module = SymmetricDJSCCDecoder(self.n_sym, num_classes)
        else:
            self.encoder = AsymmetricEncoder(self.n_sym, num_antennas, adaptation=variant in ("full", "no_pilot"))
            self.decoder = LightweightDecoder(self.grid.num_ofdm_symbols, num_subcarriers, self.grid.pilot_symbols,
                                              pilot_attention=variant == "full", num_classes=num_classes)
        kind = precoder or ("hybrid_rzf" if variant in ("full", "no_pilot") else "rzf")
        if kind == "hybrid_rzf":
            self.precoder: nn.Module = HybridRZF(num_antennas, num_users, alpha_init=alpha_init)
        elif kind in ("rzf", "zf"):
            self.precoder = LinearRZF(alpha=alpha_init if kind == "rzf" else 0.0)
        else:
            raise SemcomError(f"precoder {kind!r}; expected hybrid_rzf, rzf or zf")
        self.precoder_kind = kind

    @property
    def channel_uses_per_user(self) -> int:
        return self.n_sym

    def forward(self, img: Tensor, snr_db: Tensor | float, generator: torch.Generator | None = None,
                h: Tensor | None = None) -> dict[str, Any]:
        b, k = img.shape[:2]
        if k != self.k_users:
            raise SemcomError(f"expected {self.k_users} images per sample, got {k}")
        if h is None:
            h = self.channel.draw(b, generator).to(img.device)
        snr = torch.as_tensor(snr_db, dtype=torch.float32, device=img.device)
        n0 = torch.pow(10.0, -snr / 10.0)
        n0 = n0.expand(b) if n0.ndim == 0 else n0
        # encoder -> unit-energy complex symbols per user
        if self.variant == "djscc":
            z = self.encoder.encode(img.flatten(0, 1)).reshape(b, k, -1)
        else:
            h_abs = h.abs().mean(2).permute(0, 2, 3, 1)  # [B, K, M, N_f]: |H| over frequency, per user and antenna
            z = self.encoder(img, n0, h_abs)
        s = torch.complex(z[..., 0::2], z[..., 1::2])
        s = s / torch.sqrt(s.abs().pow(2).mean(-1, keepdim=True).clamp_min(1e-12))
        grid = self.grid.map(s[:, None].to(torch.complex64))[:, 0]  # [B, K, T, F] with pilots
        s_grid = grid.permute(0, 3, 2, 1)  # [B, F, T, K]
        x = self.precoder(s_grid, h, n0)  # [B, F, T, M], mean power 1 per RE
        y = self.channel(x, snr, h=h, generator=generator)  # [B, F, T, K]
        y_users = y.permute(0, 3, 2, 1)  # [B, K, T, F]
        y_real = torch.stack([y_users.real, y_users.imag], 2).flatten(0, 1).float()  # [B K, 2, T, F]
        if self.variant == "djscc":
            data = self.grid.unmap(y_users[:, None])[:, 0]  # [B, K, N_sym]
            zr = torch.stack([data.real, data.imag], -1).flatten(0, 1).flatten(1).float()
            recon, logits = self.decoder(zr)
        else:
            ref = self.pilot_ref.to(img.device).repeat(b, 1, 1, 1)  # each user its own pilots: [B K, 2, T, F]
            recon, logits = self.decoder(y_real, ref)
        return {"recon": recon.reshape(b, k, *recon.shape[1:]), "logits": logits.reshape(b, k, -1), "h": h,
                "noise_var": n0, "x": x}



def bandwidth_ratio(num_subcarriers: int) -> float:
    """Complex channel uses per user image over its 3 x 32 x 32 source dimensions."""
    return num_subcarriers * 12 / 3072


__all__ = ["MUMIMOSemanticSystem", "VARIANTS", "bandwidth_ratio", "math"]
