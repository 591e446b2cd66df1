"""Latent diffusion denoisers and their reverse samplers (the LDM receiver's generative part).

:class:`DiffusionDenoiser` wraps a diffusers ``UNet2DModel`` with the DDPM linear schedule. The reverse
samplers sit in a registry (:data:`DIFFUSION_SAMPLERS`), like the SNR samplers; each is called as
``sampler(denoiser, x_t, t_star [B] int, steps, generator) -> x_0 estimate`` (no gradient):

* ``single``: one step from t*, x0 = (x - sqrt(1 - abar) eps) / sqrt(abar);
* ``ddim``: DDIM (eta = 0) with ``steps`` evenly spaced timesteps from t* to 0;
* ``ddpm``: ancestral sampling through every timestep from t* down.

SNR-dependent step counts (``steps="auto"``) are the receiver's choice
(:class:`semcom.systems.ldm.LDMReceiverSystem`); the closed forms are :mod:`semcom.models.ldm_math`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from semcom.errors import SemcomError
from semcom.models import ldm_math as L
from semcom.registry import Registry

DIFFUSION_SAMPLERS: Registry[Any] = Registry("diffusion sampler")


class DiffusionDenoiser(nn.Module):
    """A latent denoiser eps_theta(x_t, t) (diffusers ``UNet2DModel``) with the DDPM linear schedule.

    ``DiffusionDenoiser.small(latent_channels, latent_size)`` is the configuration trained here;
    ``from_pretrained(path)`` loads a diffusers UNet folder. Trained on clean latents only
    (:meth:`loss`: the epsilon-prediction MSE of DDPM), never on channel outputs.
    """

    unet: Any  # a diffusers UNet2DModel
    betas: Tensor
    abar: Tensor

    def __init__(self, unet: Any, num_steps: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02) -> None:
        super().__init__()
        self.unet = unet
        self.recipe: dict[str, Any] = {}  # the training recipe (attached by the checkpoint loader)
        betas = L.linear_betas(num_steps, beta_start, beta_end)
        self.register_buffer("betas", betas.float())
        self.register_buffer("abar", L.alphas_cumprod(betas).float())
        self.num_steps = num_steps
        self.strict_size = False

    @classmethod
    def small(cls, latent_channels: int = 4, latent_size: int = 8, width: int = 64) -> "DiffusionDenoiser":
        from diffusers import UNet2DModel

        unet = UNet2DModel(sample_size=latent_size, in_channels=latent_channels, out_channels=latent_channels,
                           block_out_channels=(width, 2 * width), down_block_types=("DownBlock2D", "AttnDownBlock2D"),
                           up_block_types=("AttnUpBlock2D", "UpBlock2D"), norm_num_groups=16, layers_per_block=2)
        den = cls(unet)
        den.strict_size = True
        return den

    @classmethod
    def from_pretrained(cls, path: str | Path) -> "DiffusionDenoiser":
        from diffusers import UNet2DModel

        p = Path(path)
        if not p.exists():
            raise SemcomError(f"no UNet at {p}: give a folder in diffusers format; nothing can be downloaded here")
        return cls(UNet2DModel.from_pretrained(str(p)))

    def check_latent(self, x: Tensor) -> None:
        """A clear error for latents of a shape the UNet was not trained for (channels; side for ``small()``
        models, whose ``strict_size`` is set: a public UNet may run at other sizes)."""
        cfg = getattr(self.unet, "config", None)
        if cfg is None:  # a bare callable (tests' oracle): nothing to check against
            return
        size = cfg.sample_size if isinstance(cfg.sample_size, int) else tuple(cfg.sample_size)[0]
        if x.ndim != 4 or x.shape[1] != cfg.in_channels or (
                getattr(self, "strict_size", False) and tuple(x.shape[-2:]) != (size, size)):
            raise SemcomError(f"the denoiser was trained on latents [B, {cfg.in_channels}, {size}, {size}], got "
                              f"{list(x.shape)}; use the codec it was trained with, or cut the image into blocks of the "
                              "training size (semcom ldm does this for larger images)")

    def eps(self, x: Tensor, t: Tensor) -> Tensor:
        self.check_latent(x)
        return self.unet(x, t).sample

    def loss(self, z0: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """DDPM training loss on clean latents z0 [B, C, h, w]: || eps - eps_theta(x_t, t) ||^2."""
        b = z0.shape[0]
        t = torch.randint(0, self.num_steps, (b,), generator=generator, device=z0.device)
        noise = torch.randn(z0.shape, generator=generator, device=z0.device, dtype=z0.dtype)
        a = self.abar[t].reshape(b, 1, 1, 1)
        x_t = a.sqrt() * z0 + (1 - a).sqrt() * noise
        return nn.functional.mse_loss(self.eps(x_t, t), noise)


def per_sample_view(v: Tensor, x: Tensor) -> Tensor:
    """A per-sample [B] tensor shaped to broadcast against x [B, ...], in x's dtype."""
    return v.reshape(-1, *([1] * (x.ndim - 1))).to(x.dtype)


@DIFFUSION_SAMPLERS.register("single")
@torch.no_grad()
def single_step(den: DiffusionDenoiser, x: Tensor, t_star: Tensor, steps: int = 1,
                generator: torch.Generator | None = None) -> Tensor:
    """One step: x0 = (x - sqrt(1 - abar) eps) / sqrt(abar) (``steps`` is ignored)."""
    t_star = t_star.long().to(x.device)
    return L.one_step_estimate(x, den.eps(x, t_star), per_sample_view(den.abar[t_star], x))


@DIFFUSION_SAMPLERS.register("ddim")
@torch.no_grad()
def ddim(den: DiffusionDenoiser, x: Tensor, t_star: Tensor, steps: int = 1,
         generator: torch.Generator | None = None) -> Tensor:
    """DDIM (eta = 0) over ``steps`` evenly spaced timesteps from t* to 0 (one step = :func:`single_step`)."""
    if steps <= 1:
        return single_step(den, x, t_star)
    t_star = t_star.long().to(x.device)
    abar = den.abar
    frac = torch.linspace(1.0, 0.0, steps + 1, device=x.device)
    sched = (t_star[None, :].float() * frac[:, None]).round().long()  # [steps + 1, B], ends at 0
    for i in range(steps):
        t, t_next = sched[i], sched[i + 1]
        e = den.eps(x, t)
        a = per_sample_view(abar[t], x)
        x0 = (x - (1 - a).sqrt() * e) / a.sqrt()
        last = i == steps - 1
        a_next = per_sample_view(abar[t_next], x)
        x = x0 if last else a_next.sqrt() * x0 + (1 - a_next).sqrt() * e
    return x


@DIFFUSION_SAMPLERS.register("ddpm")
@torch.no_grad()
def ddpm(den: DiffusionDenoiser, x: Tensor, t_star: Tensor, steps: int = 1,
         generator: torch.Generator | None = None) -> Tensor:
    """DDPM ancestral sampling, every step from t* down to 0 (``steps`` is ignored)."""
    t_star = t_star.long().to(x.device)
    abar = den.abar
    betas = den.betas
    t = t_star.clone()
    while True:
        e = den.eps(x, t)
        a, b = per_sample_view(abar[t], x), per_sample_view(betas[t], x)
        a_prev = per_sample_view(torch.where(t > 0, abar[(t - 1).clamp_min(0)], torch.ones_like(abar[t])), x)
        x0 = (x - (1 - a).sqrt() * e) / a.sqrt()
        mean = (a_prev.sqrt() * b / (1 - a)) * x0 + ((1 - b).sqrt() * (1 - a_prev) / (1 - a)) * x
        var = b * (1 - a_prev) / (1 - a)
        noise = torch.randn(x.shape, generator=generator, device=generator.device if generator else x.device,
                            dtype=x.dtype).to(x.device)
        active = per_sample_view((t > 0).float(), x)
        x = torch.where(active > 0, mean + var.sqrt() * noise, x0)
        if not (t > 0).any():
            return x
        t = (t - 1).clamp_min(0)


def reverse(den: DiffusionDenoiser, x: Tensor, t_star: Tensor, steps: int = 1, sampler: str = "ddim",
            generator: torch.Generator | None = None) -> Tensor:
    """From x_t* (per-sample t* [B], int) down to an estimate of x_0 with the registered ``sampler``
    (:data:`DIFFUSION_SAMPLERS`: ``single``, ``ddim``, ``ddpm``, or one a user registers)."""
    if sampler not in DIFFUSION_SAMPLERS:
        raise SemcomError(f"sampler={sampler!r}; expected one of: {', '.join(DIFFUSION_SAMPLERS.names())}")
    return DIFFUSION_SAMPLERS.get(sampler)(den, x, t_star, steps, generator)
