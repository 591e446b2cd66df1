"""DT-JSCC over a digital link (Xie et al., IEEE JSAC 2023): learned codebook -> index -> one M-QAM symbol per
latent vector -> channel -> hard decision -> received codeword -> decoder; trained with the variational robust
information bottleneck (RIB) objective, task loss + beta * KL(p(z|x) || uniform).

Noise convention: semcom's, SNR = Es/N0 of the transmitted unit-average-energy constellation (Sionna's QAM,
average over its M points = 1), noise CN(0, N0). The reference code of the paper models the channel as index
flips with a probability derived from the PSNR of an M-PSK link; here the indices go through semcom's own QAM
modem and channel (AWGN, or block Rayleigh with single-tap equalization and perfect or pilot CSI), so the
channel-induced index transitions are those of the constellation's geometry (neighbours are confused first).

Training [paper]: hard Gumbel-softmax (temperature ``tau``) over the codeword logits, its one-hot modulated
(w @ points: a constellation point exactly, with the straight-through gradient of the relaxed sample); the
channel output is hard-demapped and the received one-hot passes the gradient straight through to the sent
one (the channel is the identity for gradients). Inference: argmax. The KL term to the uniform prior over the
M codewords, log M - H(p), pushes each position's distribution towards spreading over the codebook, the
redundancy the RIB trades against the task loss (beta = 0: task loss only).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import torch
from torch import Tensor, nn
from torch.nn import functional as F

import semcom.channels as channels
from semcom.channels.core import complex_to_real
from semcom.channels.digital import QAMModem
from semcom.checkpoint import load_state, sub_state
from semcom.checks import images_01
from semcom.errors import SemcomError
from semcom.metrics import psnr_per_image
from semcom.models.dt_jscc import DTJSCC
from semcom.systems.registry import SystemSpec, register_system
from semcom.training.base import TrainModule, build_sampler, to_float


@dataclass
class DTJSCCSection:
    """The recipe's ``model`` section of a DT-JSCC system."""

    name: str = "xie2023"
    codebook_size: int = 16  # = the QAM order M
    task: str = "classification"  # classification | reconstruction
    latent_dim: int = 16
    width: int = 64
    downsample: int = 2  # 2: 64 symbols per 32x32 image, 1: 256
    num_classes: int = 10
    tau: float = 0.5  # Gumbel-softmax temperature in training [paper]
    beta: float = 1.0e-3  # weight of KL(p(z|x) || uniform), the RIB term


def rib_kl(logits: Tensor) -> Tensor:
    """Mean over images and positions of KL(softmax(logits) || uniform over M) = log M - H(p); logits [B, n, M]."""
    logp = F.log_softmax(logits, dim=-1)
    return (logp.exp() * logp).sum(-1).mean() + torch.log(torch.tensor(float(logits.shape[-1])))


class DigitalJSCC(nn.Module):
    """A DT-JSCC model, its QAM modem and a scalar channel (see the module docstring).

    ``run(img, snr_db, generator=None)``: img float [B, 3, 32, 32] in [0, 1]; snr_db [] or [B] (Es/N0, dB).
    Returns ``recon`` (images, or None for classification), ``logits`` (class logits, or None), ``sent`` and
    ``received`` (int64 indices [B, n]), ``z_rx`` (the equalized received symbols as real pairs [B, 2n]),
    ``snr_rx_db`` and ``index_errors`` (float [B]: fraction of the image's indices received wrong).
    K = n QAM symbols per image; every transmitted symbol is a point of the unit-energy constellation.
    """

    estimator = None  # the receiver knows no SNR and needs none: hard decisions

    def __init__(self, model: DTJSCC, channel: nn.Module, tau: float = 0.5) -> None:
        super().__init__()
        self.model = model
        self.modem = QAMModem(model.codebook_size)
        self.channel = channel
        self.tau = tau
        self.recipe: dict[str, Any] = {}

    @property
    def k(self) -> int:
        return self.model.k

    @property
    def bandwidth_ratio(self) -> float:
        return self.model.bandwidth_ratio

    @property
    def task(self) -> str:
        return self.model.task

    @property
    def reuses_symbols(self) -> bool:
        """An SNR sweep may encode every image once (argmax choices do not depend on the SNR) unless class
        labels are needed alongside (the sweep then streams images with their labels)."""
        return self.task == "reconstruction"

    def choose(self, img: Tensor, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        """(one-hot choices [B, n, M], codeword logits [B, n, M]): a hard Gumbel-softmax sample with the
        straight-through gradient in training, the argmax otherwise."""
        logits = self.model.logits(img)
        if self.training:
            u = torch.rand(logits.shape, generator=generator, device=logits.device).clamp_(1e-10, 1.0 - 1e-7)
            soft = F.softmax((logits - torch.log(-torch.log(u))) / self.tau, dim=-1)
            hard = F.one_hot(soft.argmax(-1), logits.shape[-1]).to(soft.dtype)
            return hard + soft - soft.detach(), logits
        return F.one_hot(logits.argmax(-1), logits.shape[-1]).to(logits.dtype), logits

    def transmit(self, img: Tensor) -> Tensor:
        """Images -> the QAM symbols of their codeword indices, complex64 [B, n] (inference: argmax)."""
        if not self.training:
            images_01(img, "DigitalJSCC images")
        return self.modem.modulate_onehot(self.choose(img)[0])

    def receive(self, x: Tensor, onehot: Tensor, snr_db: Tensor | float,
                generator: torch.Generator | None) -> dict[str, Any]:
        y = self.channel(x, snr_db, generator=generator)
        received = self.modem.demodulate(y)
        rx = F.one_hot(received, self.model.codebook_size).to(onehot.dtype)
        rx = rx + onehot - onehot.detach()  # straight through the channel for the gradient
        out = self.model.decode(rx)
        sent = onehot.detach().argmax(-1)
        return {"recon": out if self.task == "reconstruction" else None,
                "logits": out if self.task == "classification" else None, "sent": sent, "received": received,
                "z_rx": complex_to_real(y), "snr_rx_db": snr_db,
                "index_errors": (received != sent).float().mean(-1)}

    def run(self, img: Tensor, snr_db: Tensor | float, generator: torch.Generator | None = None) -> dict[str, Any]:
        onehot, logits = self.choose(img, generator)
        out = self.receive(self.modem.modulate_onehot(onehot), onehot, snr_db, generator)
        out["codeword_logits"] = logits
        return out

    def sweep_step(self, img: Tensor, snr_db: Tensor | float, generator: torch.Generator | None = None,
                   sent: Tensor | None = None) -> dict[str, Any]:
        """One evaluation step (``semcom eval``): :meth:`run`, or with ``sent`` (:meth:`transmit` computed once)
        the channel and decoder alone, drawing the same channel randomness."""
        if sent is None:
            return self.run(img, snr_db, generator)
        onehot = F.one_hot(self.modem.demodulate(sent), self.model.codebook_size).float()  # exact: sent are points
        return self.receive(sent, onehot, snr_db, generator)

    def forward(self, img: Tensor, snr_db: Tensor | float, generator: torch.Generator | None = None) -> Tensor:
        out = self.run(img, snr_db, generator)
        return cast(Tensor, out["recon"] if out["recon"] is not None else out["logits"])


def build_digital_jscc(recipe: dict[str, Any]) -> DigitalJSCC:
    m = dict(recipe["model"])
    sec = DTJSCCSection(**{k: v for k, v in m.items() if k in DTJSCCSection.__dataclass_fields__})
    if not 0.0 < sec.tau:
        raise SemcomError(f"model.tau={sec.tau}; expected a positive Gumbel-softmax temperature")
    if sec.beta < 0.0:
        raise SemcomError(f"model.beta={sec.beta}; expected a non-negative RIB weight")
    model = DTJSCC(sec.codebook_size, sec.task, sec.latent_dim, sec.width, sec.downsample, sec.num_classes)
    c = dict(recipe["channel"])
    return DigitalJSCC(model, channels.create(c.pop("name"), **c), tau=sec.tau)


class DigitalJSCCModule(TrainModule):
    """Trains :class:`DigitalJSCC` with CE (classification) or MSE (reconstruction) + beta * KL to the uniform
    codeword prior, at the recipe's SNR sampler (Xie et al. train at one SNR). Validation: accuracy or PSNR
    and the index error rate at ``train.val_snr_db``."""

    generator_stream = 24680

    def __init__(self, recipe: dict[str, Any]) -> None:
        super().__init__(recipe)
        self.system = build_digital_jscc(recipe)
        self.beta = float(recipe["model"].get("beta", DTJSCCSection.beta))
        self.sampler = build_sampler(recipe)
        self._val: dict[float, list[Tensor]] = {}
        self._val_err: dict[float, list[Tensor]] = {}

    @property
    def k(self) -> int:
        return self.system.k

    def describe(self) -> str:
        m = self.system.model
        return (f"{self.recipe['name']}: DT-JSCC (xie2023), {m.task}, codebook {m.codebook_size} = "
                f"{m.codebook_size}-QAM, K = {self.k} symbols per 3x32x32 image ({self.k * self.system.modem.bits_per_symbol}"
                f" bits), beta = {self.beta:g}; sampler {self.sampler!r}; channel {self.system.channel}")

    def loss(self, out: dict[str, Any], img: Tensor, labels: Tensor) -> tuple[Tensor, Tensor]:
        task = F.cross_entropy(out["logits"], labels) if out["logits"] is not None else F.mse_loss(out["recon"], img)
        return task, rib_kl(out["codeword_logits"])

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        img, labels = to_float(batch[0]), batch[1]
        gen = self.generator
        snr = self.sampler(img.shape[0], 1, device=self.device, generator=gen)
        out = self.system.run(img, snr, generator=gen)
        task, kl = self.loss(out, img, labels)
        loss = self.finite(task + self.beta * kl)
        self.log_dict({"train_loss": loss, "train_task": task, "train_kl": kl,
                       "train_index_errors": out["index_errors"].mean()}, prog_bar=False)
        return loss

    def on_validation_epoch_start(self) -> None:
        self._val_gen = self.validation_generator()
        self._val = {s: [] for s in self.val_snr_db}
        self._val_err = {s: [] for s in self.val_snr_db}

    def validation_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        img = to_float(batch[0])
        with torch.no_grad():
            for snr in self.val_snr_db:
                out = self.system.run(img, snr, generator=self._val_gen)
                value = ((out["logits"].argmax(1) == batch[1]).float() if out["logits"] is not None
                         else psnr_per_image(out["recon"], img))
                self._val[snr].append(value)
                self._val_err[snr].append(out["index_errors"])

    def on_validation_epoch_end(self) -> None:
        name = "acc" if self.system.task == "classification" else "psnr"
        means = []
        for snr, values in self._val.items():
            if values:
                mean = torch.cat(values).mean()
                means.append(mean)
                self.log(f"val_{name}_{snr:g}dB", mean, sync_dist=self.trainer.world_size > 1)
                self.log(f"val_index_errors_{snr:g}dB", torch.cat(self._val_err[snr]).mean(),
                         sync_dist=self.trainer.world_size > 1)
        if means:
            self.log(f"val_{name}", torch.stack(means).mean(), prog_bar=True, sync_dist=self.trainer.world_size > 1)


def load_digital_jscc(info: dict[str, Any], path: Path | str = "checkpoint", snr_source: str | None = None,
                      **options: Any) -> DigitalJSCC:
    """The trained :class:`DigitalJSCC` of a checkpoint (eval mode, ``recipe`` attached). ``snr_source`` is
    accepted for the evaluation commands and must be None or ``true``: the receiver uses no SNR."""
    if options:
        raise SemcomError(f"the DT-JSCC loader takes no options, not {sorted(options)}")
    if snr_source not in (None, "true"):
        raise SemcomError(f"checkpoint {path} is a DT-JSCC system: its receiver uses no SNR, so --snr-source "
                          f"{snr_source} does not apply")
    system = build_digital_jscc(info["recipe"])
    load_state(system, sub_state(info["state_dict"], "system"),
               f"checkpoint {path} does not match the model its recipe describes")
    system.recipe = info["recipe"]
    return system.eval()


DIGITAL_JSCC = register_system(SystemSpec(
    name="xie2023_digital",
    summary="DT-JSCC (Xie et al., JSAC 2023): learned codebook of the QAM order, one QAM symbol per latent vector, "
            "hard decisions, robust-information-bottleneck training (classification or reconstruction)",
    module=DigitalJSCCModule, build=build_digital_jscc, load=load_digital_jscc, model_names=("xie2023", "dt_jscc"),
    section=DTJSCCSection, evaluate_with="semcom eval"))
