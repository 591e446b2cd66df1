"""The latent-diffusion denoising receiver (the LDM-receiver paper; training-free at the receiver).

source image -> VAE encoder (diffusers ``AutoencoderKL``) -> latent, normalised to unit power per real
dimension -> complex symbols (unit energy) -> channel (AWGN or block fading with single-tap equalization)
-> SNR estimate -> Theorem 1 (timestep t*) and Theorem 2 (scale s) -> x_t* = s y -> reverse diffusion
with a denoiser trained on clean latents only (diffusers ``UNet2DModel``, DDPM linear schedule) -> VAE
decoder. Formulas: :mod:`semcom.models.ldm_math` (``../shared/notes/ldm-receiver-math.md``).

The receiver's two trained parts are two system kinds of :data:`semcom.systems.SYSTEMS`, trained on clean
images only (recipes in ``configs/ldm/``):

* ``ldm_codec`` (``model.name: ldm_vae``, :class:`LatentCodecSection`): diffusers ``AutoencoderKL``
  (:meth:`semcom.models.latent.LatentCodec.small`), loss MSE(x, decode(sample of q(z|x))) + ``kl_weight`` *
  mean KL(q(z|x) || N(0, I)) per latent value; after each epoch the latent scale (RMS of the posterior means)
  is measured on the first ``calib_images`` training images and stored in the checkpoint.
* ``ldm_denoiser`` (``model.name: ldm_denoiser``, :class:`LatentDenoiserSection`): diffusers ``UNet2DModel``
  (:meth:`semcom.models.diffusion.DiffusionDenoiser.small`) on the normalised latents of a trained codec
  (``model.codec``: its checkpoint), epsilon-prediction MSE, linear schedule, 1000 steps. The codec is
  frozen; no channel is involved in training.

``semcom ldm`` evaluates them (:mod:`semcom.evaluation.ldm`).

Convention: the normalised latent has power 1 per real dimension; it is sent as unit-energy complex
symbols (adjacent pairs / sqrt 2), so the channel's Es/N0 per complex symbol equals the SNR gamma per real
dimension that the theorems use. After equalization the receiver rescales by sqrt 2: the received latent
is y = sqrt(g) z + n with n of variance sigma^2 = N0 per real dimension (sqrt(g) = 1 after ZF).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from semcom.channels import complex_to_real, real_to_complex
from semcom.checkpoint import read_checkpoint, sub_state
from semcom.errors import SemcomError
from semcom.metrics import psnr_per_image
from semcom.models import ldm_math as L
from semcom.models.diffusion import DiffusionDenoiser, per_sample_view, reverse
from semcom.models.latent import LatentCodec
from semcom.systems.registry import SystemSpec, expect_kind, register_system
from semcom.training.base import TrainModule, to_float

#: ``steps="auto"``: one DDIM step per this many timesteps of t* (1 step at high SNR, ~7 at -5 dB).
AUTO_STRIDE = 100


class LDMReceiverSystem(nn.Module):
    """Latent codec + channel + training-free diffusion receiver.

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
        g = per_sample_view(p_tx.sqrt().float(), z)
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
        if self.snr_estimate == "power":
            gamma = L.received_snr(yr.double().pow(2).flatten(1).mean(1), sigma2)
        else:
            gamma = 1.0 / sigma2
        out: dict[str, Any] = {"snr_est_db": 10 * torch.log10(gamma).float()}
        if mode == "none":
            z_hat = yr
        elif mode == "lmmse":
            z_hat = per_sample_view((gamma / (1 + gamma)).float(), yr) * yr
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
            x_t = per_sample_view(s.float(), yr) * yr
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


@dataclass
class LatentCodecSection:
    """The recipe's ``model`` section of the latent codec."""

    name: str = "ldm_vae"
    latent_channels: int = 4
    width: int = 64
    kl_weight: float = 1e-4
    calib_images: int = 2048  # training images that calibrate the latent scale after each epoch


@dataclass
class LatentDenoiserSection:
    """The recipe's ``model`` section of the latent denoiser."""

    name: str = "ldm_denoiser"
    codec: Optional[str] = None  # the trained ldm_vae checkpoint (required)
    latent_channels: int = 4
    latent_size: int = 8
    width: int = 64


def build_codec(recipe: dict[str, Any]) -> LatentCodec:
    m = recipe["model"]
    return LatentCodec.small(latent_channels=int(m.get("latent_channels", 4)), width=int(m.get("width", 64)))


def build_denoiser(recipe: dict[str, Any]) -> DiffusionDenoiser:
    m = recipe["model"]
    return DiffusionDenoiser.small(int(m.get("latent_channels", 4)), int(m.get("latent_size", 8)),
                                   int(m.get("width", 64)))


def _load_codec(info: dict[str, Any], path: Path | str = "checkpoint") -> LatentCodec:
    codec = build_codec(info["recipe"])
    codec.load_state_dict(sub_state(info["state_dict"], "codec"))
    codec.recipe = info["recipe"]
    return codec.eval()


def _load_denoiser(info: dict[str, Any], path: Path | str = "checkpoint") -> DiffusionDenoiser:
    den = build_denoiser(info["recipe"])
    den.load_state_dict(sub_state(info["state_dict"], "denoiser"))
    den.recipe = info["recipe"]
    return den.eval()


def load_codec(path: str | Path) -> LatentCodec:
    """The trained :class:`LatentCodec` of an ``ldm_vae`` checkpoint (with its latent scale)."""
    info = read_checkpoint(path)
    expect_kind(path, info, "ldm_codec")
    return _load_codec(info, path)


def load_denoiser(path: str | Path) -> DiffusionDenoiser:
    """The trained :class:`DiffusionDenoiser` of an ``ldm_denoiser`` checkpoint."""
    info = read_checkpoint(path)
    expect_kind(path, info, "ldm_denoiser")
    return _load_denoiser(info, path)


class LatentCodecModule(TrainModule):
    """Trains the latent codec on clean images (loss and calibration: module docstring)."""

    generator_stream = 3  # the LDM trainings' own stream of the one generator rule

    def __init__(self, recipe: dict[str, Any]) -> None:
        super().__init__(recipe)
        m = recipe["model"]
        self.codec = build_codec(recipe)
        self.kl_weight = float(m.get("kl_weight", 1e-4))
        self.calib_images = int(m.get("calib_images", 2048))
        self._val: list[Tensor] = []

    @property
    def k(self) -> int:
        return self.codec.channel_uses((32, 32))

    def describe(self) -> str:
        return (f"{self.recipe['name']}: latent codec, latent of {2 * self.k} real values = {self.k} complex channel "
                f"uses per 3x32x32 image (K/N = {self.k / 3072:.4f}); trained on clean images only")

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        x = to_float(batch[0])
        post = self.codec.vae.encode(x * 2 - 1).latent_dist
        z = post.mean + post.std * torch.randn(post.mean.shape, generator=self.generator, device=x.device)
        recon = (self.codec.vae.decode(z).sample + 1) / 2
        rec = F.mse_loss(recon, x)
        kl = post.kl().mean() / post.mean[0].numel()
        loss = self.finite(rec + self.kl_weight * kl)
        self.log("train_mse", rec)
        self.log("train_kl", kl)
        self.log("train_loss", loss, prog_bar=True)
        return loss

    def on_train_epoch_end(self) -> None:
        ds = self.trainer.datamodule.train_ds  # type: ignore[attr-defined]
        n = min(self.calib_images, len(ds))
        imgs = torch.stack([to_float(ds[i][0]) for i in range(n)]).to(self.device)
        self.codec.calibrate(imgs)
        self.log("latent_scale", self.codec.latent_scale)

    def on_validation_epoch_start(self) -> None:
        self._val = []

    def validation_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        x = to_float(batch[0])
        with torch.no_grad():
            self._val.append(psnr_per_image(self.codec.decode(self.codec.encode(x)), x))

    def on_validation_epoch_end(self) -> None:
        if self._val:
            self.log("val_psnr", torch.cat(self._val).mean(), prog_bar=True)


class LatentDenoiserModule(TrainModule):
    """Trains the latent denoiser on the clean latents of a frozen, trained codec (``model.codec``)."""

    generator_stream = 3

    def __init__(self, recipe: dict[str, Any]) -> None:
        super().__init__(recipe)
        m = recipe["model"]
        if not m.get("codec"):
            raise SemcomError("recipe key 'model.codec' must name the trained ldm_vae checkpoint")
        self.codec = load_codec(m["codec"])
        for p in self.codec.parameters():
            p.requires_grad_(False)
        self.denoiser = build_denoiser(recipe)
        self._val: list[Tensor] = []

    @property
    def k(self) -> int:
        return self.codec.channel_uses((32, 32))

    def describe(self) -> str:
        return (f"{self.recipe['name']}: latent denoiser (DDPM) on the codec's {2 * self.k}-value latents; trained on "
                "clean latents only")

    def trainable_parameters(self) -> Any:
        return self.denoiser.parameters()

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        x = to_float(batch[0])
        with torch.no_grad():
            z0 = self.codec.encode(x)
        loss = self.finite(self.denoiser.loss(z0, generator=self.generator))
        self.log("train_loss", loss, prog_bar=True)
        return loss

    def on_validation_epoch_start(self) -> None:
        self._val = []

    def validation_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        x = to_float(batch[0])
        with torch.no_grad():
            g = torch.Generator(device=self.device).manual_seed(batch_idx)
            self._val.append(self.denoiser.loss(self.codec.encode(x), generator=g).reshape(1))

    def on_validation_epoch_end(self) -> None:
        if self._val:
            self.log("val_loss", torch.cat(self._val).mean(), prog_bar=True)


LDM_CODEC = register_system(SystemSpec(
    name="ldm_codec", summary="latent codec of the LDM receiver (diffusers AutoencoderKL, unit-power latents)",
    module=LatentCodecModule, build=build_codec, load=_load_codec, model_names=("ldm_vae",),
    section=LatentCodecSection, evaluate_with="semcom ldm --codec CKPT"))
LDM_DENOISER = register_system(SystemSpec(
    name="ldm_denoiser", summary="latent DDPM denoiser of the LDM receiver (diffusers UNet2DModel, trained on "
                                 "clean latents)",
    module=LatentDenoiserModule, build=build_denoiser, load=_load_denoiser, model_names=("ldm_denoiser",),
    section=LatentDenoiserSection, evaluate_with="semcom ldm --denoiser CKPT"))
