"""The latent codec of the LDM receiver: a diffusers ``AutoencoderKL`` with unit-power latents."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from semcom.errors import SemcomError


class LatentCodec(nn.Module):
    """A diffusers ``AutoencoderKL`` with its latents normalised to unit power per real dimension.

    ``encode(img [B, 3, H, W] in [0, 1]) -> z [B, C, h, w]`` (posterior mean / ``latent_scale``);
    ``decode(z) -> img in [0, 1]``. ``latent_scale`` is the RMS of the raw latents, measured on training
    images with :meth:`calibrate` and stored with the model (a buffer).

    ``LatentCodec.small()`` is the CIFAR-10 configuration trained here (4 latent channels at 1/4
    resolution); ``LatentCodec.from_pretrained(path)`` loads any diffusers-format VAE (e.g. a Stable
    Diffusion VAE folder) from a user's path: nothing is downloaded.
    """

    vae: Any  # a diffusers AutoencoderKL
    latent_scale: Tensor

    def __init__(self, vae: Any) -> None:
        super().__init__()
        self.vae = vae
        self.recipe: dict[str, Any] = {}  # the training recipe (attached by the checkpoint loader)
        self.register_buffer("latent_scale", torch.tensor(1.0))

    @classmethod
    def small(cls, latent_channels: int = 4, width: int = 64) -> "LatentCodec":
        from diffusers import AutoencoderKL

        vae = AutoencoderKL(block_out_channels=(width // 2, width, width), down_block_types=("DownEncoderBlock2D",) * 3,
                            up_block_types=("UpDecoderBlock2D",) * 3, latent_channels=latent_channels,
                            norm_num_groups=16, layers_per_block=1)
        return cls(vae)

    @classmethod
    def from_pretrained(cls, path: str | Path) -> "LatentCodec":
        from diffusers import AutoencoderKL

        p = Path(path)
        if not p.exists():
            raise SemcomError(f"no VAE at {p}: give a folder in diffusers format (config.json + weights); "
                              "nothing can be downloaded here")
        return cls(AutoencoderKL.from_pretrained(str(p)))

    def raw_latents(self, img: Tensor) -> Tensor:
        return self.vae.encode(img * 2 - 1).latent_dist.mean

    @torch.no_grad()
    def calibrate(self, images: Tensor, batch_size: int = 256) -> float:
        """Set ``latent_scale`` to the RMS of the raw latents of ``images`` (float [N, 3, H, W] in [0, 1])."""
        acc, n = 0.0, 0
        for i in range(0, len(images), batch_size):
            z = self.raw_latents(images[i:i + batch_size])
            acc += float(z.double().pow(2).sum())
            n += z.numel()
        self.latent_scale.fill_(math.sqrt(acc / n))
        return float(self.latent_scale)

    def encode(self, img: Tensor) -> Tensor:
        return self.raw_latents(img) / self.latent_scale

    def decode(self, z: Tensor) -> Tensor:
        return ((self.vae.decode(z * self.latent_scale).sample + 1) / 2).clamp(0, 1)

    def channel_uses(self, image_size: tuple[int, int]) -> int:
        """Complex channel uses per image: (latent values) / 2."""
        with torch.no_grad():
            z = self.raw_latents(torch.zeros(1, 3, *image_size))
        return z[0].numel() // 2
