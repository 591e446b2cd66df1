"""The latent-diffusion denoising receiver of seed 003 (training-free at the receiver).

source image -> VAE encoder (diffusers ``AutoencoderKL``) -> latent, normalised to unit power per real
dimension -> complex symbols (unit energy) -> channel (AWGN or block fading with single-tap equalization)
-> SNR estimate -> Theorem 1 (timestep t*) and Theorem 2 (scale s) -> x_t* = s y -> reverse diffusion
with a denoiser trained on clean latents only (diffusers ``UNet2DModel``, DDPM linear schedule) -> VAE
decoder. Formulas: :mod:`semcom.systems.ldm_math` (``../shared/notes/ldm-receiver-math.md``).

Status: the codec wrapper, the channel path, the SNR estimate, the closed forms and the samplers (single
step, DDIM with any number of steps, DDPM ancestral), plus the no-denoiser and LMMSE baselines. Training
recipes and results for CIFAR-10 are the open part of the issue.

Convention: the normalised latent has power 1 per real dimension; it is sent as unit-energy complex
symbols (adjacent pairs / sqrt 2), so the channel's Es/N0 per complex symbol equals the SNR gamma per real
dimension that the theorems use. After equalization the receiver rescales by sqrt 2: the received latent
is y = sqrt(g) z + n with n of variance sigma^2 = N0 per real dimension (sqrt(g) = 1 after ZF).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from semcom.channels import complex_to_real, real_to_complex
from semcom.errors import SemcomError
from semcom.systems import ldm_math as L


class LatentCodec(nn.Module):
    """A diffusers ``AutoencoderKL`` with its latents normalised to unit power per real dimension.

    ``encode(img [B, 3, H, W] in [0, 1]) -> z [B, C, h, w]`` (posterior mean / ``latent_scale``);
    ``decode(z) -> img in [0, 1]``. ``latent_scale`` is the RMS of the raw latents, measured on training
    images with :meth:`calibrate` and stored with the model (a buffer).

    ``LatentCodec.small()`` is the CIFAR-10 configuration trained here (4 latent channels at 1/4
    resolution); ``LatentCodec.from_pretrained(path)`` loads any diffusers-format VAE (e.g. a Stable
    Diffusion VAE folder) from a user's path: nothing is downloaded.
    """

    def __init__(self, vae: nn.Module) -> None:
        super().__init__()
        self.vae = vae
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


class DiffusionDenoiser(nn.Module):
    """A latent denoiser eps_theta(x_t, t) (diffusers ``UNet2DModel``) with the DDPM linear schedule.

    ``DiffusionDenoiser.small(latent_channels, latent_size)`` is the configuration trained here;
    ``from_pretrained(path)`` loads a diffusers UNet folder. Trained on clean latents only
    (:meth:`loss`: the epsilon-prediction MSE of DDPM), never on channel outputs.
    """

    def __init__(self, unet: nn.Module, num_steps: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02) -> None:
        super().__init__()
        self.unet = unet
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


def _bc(v: Tensor, x: Tensor) -> Tensor:
    return v.reshape(-1, *([1] * (x.ndim - 1))).to(x.dtype)


@torch.no_grad()
def reverse(den: DiffusionDenoiser, x: Tensor, t_star: Tensor, steps: int = 1, sampler: str = "ddim",
            generator: torch.Generator | None = None) -> Tensor:
    """From x_t* (per-sample t* [B], int) down to an estimate of x_0.

    ``sampler``: ``"single"`` (one step, x0 = (x - sqrt(1 - abar) eps) / sqrt(abar)), ``"ddim"`` (eta = 0,
    ``steps`` evenly spaced timesteps from t* to 0) or ``"ddpm"`` (ancestral, every step from t* down).
    """
    t_star = t_star.long().to(x.device)
    abar = den.abar
    if sampler == "single" or steps <= 1 and sampler == "ddim":
        return L.one_step_estimate(x, den.eps(x, t_star), _bc(abar[t_star], x))
    if sampler == "ddim":
        frac = torch.linspace(1.0, 0.0, steps + 1, device=x.device)
        sched = (t_star[None, :].float() * frac[:, None]).round().long()  # [steps + 1, B], ends at 0
        for i in range(steps):
            t, t_next = sched[i], sched[i + 1]
            e = den.eps(x, t)
            a = _bc(abar[t], x)
            x0 = (x - (1 - a).sqrt() * e) / a.sqrt()
            last = i == steps - 1
            a_next = _bc(abar[t_next], x)
            x = x0 if last else a_next.sqrt() * x0 + (1 - a_next).sqrt() * e
        return x
    if sampler == "ddpm":
        betas = den.betas
        t = t_star.clone()
        while True:
            e = den.eps(x, t)
            a, b = _bc(abar[t], x), _bc(betas[t], x)
            a_prev = _bc(torch.where(t > 0, abar[(t - 1).clamp_min(0)], torch.ones_like(abar[t])), x)
            x0 = (x - (1 - a).sqrt() * e) / a.sqrt()
            mean = (a_prev.sqrt() * b / (1 - a)) * x0 + ((1 - b).sqrt() * (1 - a_prev) / (1 - a)) * x
            var = b * (1 - a_prev) / (1 - a)
            noise = torch.randn(x.shape, generator=generator, device=generator.device if generator else x.device,
                                dtype=x.dtype).to(x.device)
            active = _bc((t > 0).float(), x)
            x = torch.where(active > 0, mean + var.sqrt() * noise, x0)
            if not (t > 0).any():
                return x
            t = (t - 1).clamp_min(0)
    raise SemcomError(f"sampler={sampler!r}; expected 'single', 'ddim' or 'ddpm'")


#: ``steps="auto"``: one DDIM step per this many timesteps of t* (1 step at high SNR, ~7 at -5 dB).
AUTO_STRIDE = 100


class LDMReceiverSystem(nn.Module):
    """Latent codec + channel + training-free diffusion receiver (seed 003).

    ``forward(img, snr_db, generator=None, mode="diffusion")`` -> dict with ``recon`` [B, 3, H, W], the sent
    and estimated latents ``z`` / ``z_hat``,
    ``snr_est_db`` [B] (the receiver's estimate), ``snr_img_db`` [B] (the true SNR of this image's latent:
    its power over the effective noise; 1 / N0 on average over the codec's training images), ``t_star`` [B],
    ``scale`` [B]. ``mode``: ``"diffusion"``
    (Theorems 1 and 2 + ``sampler``/``steps``), ``"none"`` (decode the received latent) or ``"lmmse"``
    (z_hat = gamma / (1 + gamma) y, the linear MMSE estimate for unit-power latents).
    ``snr_estimate``: ``"power"`` (received power and the known noise floor N0; the estimate is clipped into
    the schedule's SNR range) or ``"true"`` (an SNR outside that range raises). ``t_factor`` / ``s_factor``
    multiply the derived t* and s (the paper's perturbation ablation; 1 = the derived values). ``steps``: a
    number of reverse steps, or ``"auto"``: ceil(t* / AUTO_STRIDE) DDIM steps per sample (more at low SNR).
    ``power``: ``"dataset"`` sends the normalised latent as it is (unit power on average over the codec's
    training images: other images may be sent with more or less power), ``"image"`` normalises every image
    to unit power, like DJSCC, and sends that power as side information (one real number per image).
    """

    def __init__(self, codec: LatentCodec, denoiser: DiffusionDenoiser | None, channel: nn.Module,
                 sampler: str = "ddim", steps: int | str = 1, snr_estimate: str = "power", t_factor: float = 1.0,
                 s_factor: float = 1.0, power: str = "dataset") -> None:
        super().__init__()
        if power not in ("dataset", "image"):
            raise SemcomError(f"power={power!r}; expected 'dataset' (unit power on average over the codec's training "
                              "set) or 'image' (every image normalised, its power sent as side information)")
        self.power = power
        if snr_estimate not in ("power", "true"):
            raise SemcomError(f"snr_estimate={snr_estimate!r}; expected 'power' or 'true'")
        if steps != "auto" and (not isinstance(steps, int) or steps < 1):
            raise SemcomError(f"steps={steps!r}; expected a number of reverse steps >= 1 or 'auto'")
        if t_factor <= 0 or s_factor <= 0:
            raise SemcomError(f"t_factor={t_factor}, s_factor={s_factor}: the perturbation factors must be > 0")
        self.codec, self.denoiser, self.channel = codec, denoiser, channel
        self.sampler, self.steps, self.snr_estimate = sampler, steps, snr_estimate
        self.t_factor, self.s_factor = t_factor, s_factor

    def forward(self, img: Tensor, snr_db: float | Tensor, generator: torch.Generator | None = None,
                mode: str = "diffusion") -> dict[str, Any]:
        z = self.codec.encode(img)
        shape = z.shape
        # unit energy per complex symbol: on average over the codec's training set ("dataset"), or for every
        # image ("image": the power, one number per image, travels as side information)
        p_tx = z.double().pow(2).flatten(1).mean(1) if self.power == "image" else torch.ones(shape[0], dtype=torch.float64,
                                                                                            device=z.device)
        g = _bc(p_tx.sqrt().float(), z)
        x = real_to_complex((z / g).flatten(1)) / math.sqrt(2.0)
        y, info = self.channel(x, snr_db, return_info=True, generator=generator)
        yr = complex_to_real(y).reshape(shape) * math.sqrt(2.0)  # power 1 (+ noise) per real dimension
        n0 = info["noise_var"]
        if "h_hat" in info:  # ZF-equalized fading: effective noise N0 / |h_hat|^2
            n0 = n0 / info["h_hat"].abs().pow(2)
        sigma2 = torch.as_tensor(n0, dtype=torch.float64).reshape(-1)
        sigma2 = sigma2.expand(shape[0]) if sigma2.numel() == 1 else sigma2.reshape(shape[0], -1).mean(1)
        # with per-image power, the side information scales the estimate back to the codec's latent
        out = self.receive(yr, sigma2, generator=generator, mode=mode, gain=g if self.power == "image" else None)
        out["tx_power"] = (z / g).double().pow(2).flatten(1).mean(1)
        # the SNR this image's latent actually has at the receiver: its power over the (effective) noise
        p_img = out["tx_power"]
        out["snr_img_db"] = 10 * torch.log10(p_img / sigma2.to(p_img.device)).float()
        out["z"] = z
        return out

    def receive(self, yr: Tensor, sigma2: Tensor, generator: torch.Generator | None = None,
                mode: str = "diffusion", gain: Tensor | None = None) -> dict[str, Any]:
        """The receiver alone: received latent ``yr`` [B, C, h, w] (real, unit signal power + noise of variance
        ``sigma2`` [B] per real dimension, float64) -> dict with ``recon``, ``z_hat``, ``snr_est_db`` (and
        ``t_star``, ``scale`` in diffusion mode)."""
        shape = yr.shape
        if self.snr_estimate == "power":
            gamma = L.received_snr(yr.double().pow(2).flatten(1).mean(1), sigma2)
        else:
            gamma = 1.0 / sigma2
        out: dict[str, Any] = {"snr_est_db": 10 * torch.log10(gamma).float()}
        if mode == "none":
            z_hat = yr
        elif mode == "lmmse":
            z_hat = _bc((gamma / (1 + gamma)).float(), yr) * yr
        elif mode == "diffusion":
            if self.denoiser is None:
                raise SemcomError("mode='diffusion' needs a denoiser")
            abar = self.denoiser.abar.double().cpu()
            if self.snr_estimate == "power":  # a noisy estimate is clipped into the schedule's range
                gamma = gamma.clamp(*L.schedule_snr_range(abar))
            a_star = L.abar_star(gamma)
            t_star = L.timestep_discrete(gamma, abar).to(yr.device)
            s = L.scale(yr.double().pow(2).flatten(1).mean(1), a_star)
            if self.t_factor != 1.0:  # the ablation: t* perturbed (rounded, kept inside the schedule)
                t_star = (t_star.double() * self.t_factor).round().clamp(0, self.denoiser.num_steps - 1).long()
            s = s * self.s_factor
            x_t = _bc(s.float(), yr) * yr
            if self.steps == "auto":  # SNR-dependent: one DDIM step per AUTO_STRIDE timesteps of t* (at least 1)
                n = torch.clamp(torch.ceil(t_star.double() / AUTO_STRIDE), min=1).long()
                z_hat = torch.empty_like(x_t)
                for k in n.unique().tolist():
                    sel = n == k
                    z_hat[sel] = reverse(self.denoiser, x_t[sel], t_star[sel], int(k), self.sampler, generator)
                out["steps"] = n
            else:
                z_hat = reverse(self.denoiser, x_t, t_star, int(self.steps), self.sampler, generator)
            out.update({"t_star": t_star, "scale": s.float()})
        else:
            raise SemcomError(f"mode={mode!r}; expected 'diffusion', 'none' or 'lmmse'")
        if gain is not None:
            z_hat = z_hat * gain
        out["recon"] = self.codec.decode(z_hat)
        out["z_hat"] = z_hat
        return out
