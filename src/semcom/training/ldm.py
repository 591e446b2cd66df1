"""Training the two parts of seed 003's receiver on clean images only: the latent codec (KL autoencoder)
and the latent denoiser (DDPM). Recipes in ``configs/ldm/``; ``semcom train`` picks this module when
``model.name`` is ``ldm_vae`` or ``ldm_denoiser``.

* ``ldm_vae``: diffusers ``AutoencoderKL`` (:meth:`semcom.systems.ldm.LatentCodec.small`), loss
  MSE(x, decode(sample of q(z|x))) + ``kl_weight`` * mean KL(q(z|x) || N(0, I)) per latent value; after each
  epoch the latent scale (RMS of the posterior means) is measured on the first ``calib_images`` training
  images and stored in the checkpoint.
* ``ldm_denoiser``: diffusers ``UNet2DModel`` (:meth:`semcom.systems.ldm.DiffusionDenoiser.small`) on the
  normalised latents of a trained codec (``model.codec``: its checkpoint), epsilon-prediction MSE, linear
  schedule, 1000 steps. The codec is frozen; no channel is involved in training.
"""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
from torch import Tensor
from torch.nn import functional as F

from semcom.errors import SemcomError
from semcom.metrics import psnr_per_image


def _to_float(img: Tensor) -> Tensor:
    return img.float().div_(255.0) if img.dtype == torch.uint8 else img.float()


def load_codec(path: str) -> Any:
    """The trained :class:`LatentCodec` of an ``ldm_vae`` checkpoint (with its latent scale)."""
    from semcom.checkpoint import read_checkpoint
    from semcom.systems.ldm import LatentCodec

    info = read_checkpoint(path)
    m = info["recipe"]["model"]
    if m.get("name") != "ldm_vae":
        raise SemcomError(f"checkpoint {path} holds model {m.get('name')!r}, expected an 'ldm_vae' codec")
    codec = LatentCodec.small(latent_channels=int(m.get("latent_channels", 4)), width=int(m.get("width", 64)))
    state = {k[len("codec."):]: v for k, v in info["state_dict"].items() if k.startswith("codec.")}
    codec.load_state_dict(state)
    return codec.eval()


def load_denoiser(path: str) -> Any:
    from semcom.checkpoint import read_checkpoint
    from semcom.systems.ldm import DiffusionDenoiser

    info = read_checkpoint(path)
    m = info["recipe"]["model"]
    if m.get("name") != "ldm_denoiser":
        raise SemcomError(f"checkpoint {path} holds model {m.get('name')!r}, expected an 'ldm_denoiser'")
    den = DiffusionDenoiser.small(int(m.get("latent_channels", 4)), int(m.get("latent_size", 8)), int(m.get("width", 64)))
    den.load_state_dict({k[len("denoiser."):]: v for k, v in info["state_dict"].items() if k.startswith("denoiser.")})
    return den.eval()


class LDMTrainModule(L.LightningModule):
    """Trains an ``ldm_vae`` or an ``ldm_denoiser`` recipe (see the module docstring)."""

    def __init__(self, recipe: dict[str, Any]) -> None:
        super().__init__()
        from semcom.systems.ldm import DiffusionDenoiser, LatentCodec

        self.save_hyperparameters({"recipe": recipe})
        self.recipe = recipe
        m = recipe["model"]
        self.kind = m["name"]
        self.lr = float(recipe["train"]["lr"])
        self.seed = int(recipe["train"]["seed"])
        self._gen: torch.Generator | None = None
        if self.kind == "ldm_vae":
            self.codec = LatentCodec.small(latent_channels=int(m.get("latent_channels", 4)), width=int(m.get("width", 64)))
            self.kl_weight = float(m.get("kl_weight", 1e-4))
            self.calib_images = int(m.get("calib_images", 2048))
        elif self.kind == "ldm_denoiser":
            if not m.get("codec"):
                raise SemcomError("recipe key 'model.codec' must name the trained ldm_vae checkpoint")
            self.codec = load_codec(m["codec"])
            for p in self.codec.parameters():
                p.requires_grad_(False)
            self.denoiser = DiffusionDenoiser.small(int(m.get("latent_channels", 4)), int(m.get("latent_size", 8)),
                                                    int(m.get("width", 64)))
        else:
            raise SemcomError(f"LDMTrainModule trains 'ldm_vae' or 'ldm_denoiser', not {self.kind!r}")
        self._val: list[Tensor] = []

    def describe(self) -> str:
        k = self.codec.channel_uses((32, 32))
        return (f"{self.recipe['name']}: {self.kind}, latent of {2 * k} real values = {k} complex channel uses per "
                f"3x32x32 image (K/N = {k / 3072:.4f}); trained on clean images only")

    @property
    def k(self) -> int:
        return self.codec.channel_uses((32, 32))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        params = self.codec.parameters() if self.kind == "ldm_vae" else self.denoiser.parameters()
        return torch.optim.Adam(params, lr=self.lr)

    def on_train_epoch_start(self) -> None:
        self._gen = torch.Generator(device=self.device).manual_seed(self.seed * 1_000_003 + self.current_epoch)

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        x = _to_float(batch[0])
        if self._gen is None:
            self.on_train_epoch_start()
        if self.kind == "ldm_vae":
            post = self.codec.vae.encode(x * 2 - 1).latent_dist
            z = post.mean + post.std * torch.randn(post.mean.shape, generator=self._gen, device=x.device)
            recon = (self.codec.vae.decode(z).sample + 1) / 2
            rec = F.mse_loss(recon, x)
            kl = post.kl().mean() / post.mean[0].numel()
            loss = rec + self.kl_weight * kl
            self.log("train_mse", rec)
            self.log("train_kl", kl)
        else:
            with torch.no_grad():
                z0 = self.codec.encode(x)
            loss = self.denoiser.loss(z0, generator=self._gen)
        from semcom.training.module import check_finite

        check_finite(self, loss)
        self.log("train_loss", loss, prog_bar=True)
        return loss

    def on_train_epoch_end(self) -> None:
        if self.kind == "ldm_vae":
            ds = self.trainer.datamodule.train_ds  # type: ignore[attr-defined]
            n = min(self.calib_images, len(ds))
            imgs = torch.stack([_to_float(ds[i][0]) for i in range(n)]).to(self.device)
            self.codec.calibrate(imgs)
            self.log("latent_scale", self.codec.latent_scale)

    def on_validation_epoch_start(self) -> None:
        self._val = []

    def validation_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        x = _to_float(batch[0])
        with torch.no_grad():
            if self.kind == "ldm_vae":
                self._val.append(psnr_per_image(self.codec.decode(self.codec.encode(x)), x))
            else:
                g = torch.Generator(device=self.device).manual_seed(batch_idx)
                self._val.append(self.denoiser.loss(self.codec.encode(x), generator=g).reshape(1))

    def on_validation_epoch_end(self) -> None:
        if self._val:
            v = torch.cat(self._val).mean()
            self.log("val_psnr" if self.kind == "ldm_vae" else "val_loss", v, prog_bar=True)
