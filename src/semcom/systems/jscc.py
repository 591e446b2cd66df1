"""Point-to-point deep JSCC over a scalar channel: the system of Bourtsoulatze et al. 2019 and of
Kim et al., "Data-Level Parameter Sampling for Channel-Adaptive Semantic Communications" (the DLPS paper).

source image -> encoder -> real_to_complex -> power normalisation -> channel (AWGN or block fading
with single-tap equalization) -> complex_to_real -> decoder -> reconstruction.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import torch
from torch import Tensor, nn
from torch.nn import functional as F

import semcom.channels as channels
import semcom.models as models
from semcom.channels import Channel, complex_to_real, normalize_power, real_to_complex
from semcom.checkpoint import load_state, sub_state
from semcom.checks import images_01
from semcom.errors import SemcomError
from semcom.metrics import psnr_per_image
from semcom.systems.registry import SystemSpec, register_system
from semcom.training.base import TrainModule, build_sampler, to_float
from semcom.training.objectives import adversarial_delta, kl_penalty, objective_loss


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

    model: Any  # satisfies semcom.models.JSCCModel (encode, decode, k)

    def __init__(self, model: nn.Module, channel: Channel, head: nn.Module | None = None, snr_source: str = "true",
                 num_pilots: int = 64) -> None:
        super().__init__()
        from semcom.channels.snr_estimation import PilotSNREstimator

        if snr_source not in ("true", "pilot"):
            raise SemcomError(f"snr_source={snr_source!r}; expected 'true' or 'pilot'")
        self.model = model
        self.channel = channel
        self.head = head
        self.snr_source = snr_source
        self.estimator = PilotSNREstimator(num_pilots) if snr_source == "pilot" else None
        self.recipe: dict[str, Any] = {}  # the training recipe (attached by the checkpoint loader)

    @property
    def k(self) -> int:
        return int(self.model.k)

    def use_snr_source(self, snr_source: str, num_pilots: int | None = None) -> None:
        """Switch the receiver between the true SNR and the pilot estimate (e.g. for evaluation)."""
        from semcom.channels.snr_estimation import PilotSNREstimator

        if snr_source not in ("true", "pilot"):
            raise SemcomError(f"snr_source={snr_source!r}; expected 'true' or 'pilot'")
        self.snr_source = snr_source
        n = num_pilots or (self.estimator.num_pilots if self.estimator is not None else 64)
        self.estimator = PilotSNREstimator(n) if snr_source == "pilot" else None

    @property
    def bandwidth_ratio(self) -> float | None:
        """K over the source dimension the model was built for (None when the model does not say)."""
        r = getattr(self.model, "bandwidth_ratio", None)
        return None if r is None else float(r)

    @property
    def reuses_symbols(self) -> bool:
        """True when the transmitted symbols of an image do not depend on the SNR and nothing but the decoder
        runs after the channel: an SNR sweep may then encode every image once (:meth:`sweep_step`)."""
        return not self.conditioned and self.estimator is None and self.head is None

    def sweep_step(self, img: Tensor, snr_db: Tensor | float, generator: torch.Generator | None = None,
                   sent: Tensor | None = None) -> dict[str, Any]:
        """One evaluation step of an SNR sweep: :meth:`run`, or, with ``sent`` (``transmit(img)`` computed
        once and reused at every SNR, only when :attr:`reuses_symbols`), channel and decoder alone. Both
        draw the same channel randomness from ``generator``."""
        if sent is None:
            return self.run(img, snr_db, generator)
        if not self.reuses_symbols:
            raise SemcomError("sweep_step(sent=...) needs a system whose symbols do not depend on the SNR")
        y = self.channel(sent, snr_db, generator=generator)
        return {"recon": self.receive(y, (img.shape[-2], img.shape[-1])), "logits": None, "snr_rx_db": snr_db,
                "z_rx": complex_to_real(y)}

    @property
    def conditioned(self) -> bool:
        return bool(getattr(self.model, "snr_conditioned", False))

    def transmit(self, img: Tensor, snr_db: Tensor | float | None = None) -> Tensor:
        """Images -> unit-energy complex symbols [B, K] (an SNR-conditioned encoder also takes the SNR).
        Images must be float in [0, 1] without NaN (:func:`semcom.checks.images_01`)."""
        if not self.training:  # training batches come from the data module (to_float); no per-step sync there
            images_01(img, "PointToPointJSCC images")
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


def build_point_to_point(recipe: dict[str, Any], snr_source: str | None = None) -> PointToPointJSCC:
    """Model (``model.name`` or ``model.class_path``), channel, task head and receiver SNR source of a recipe
    (a plain dict; recipes written before the objective/system sections still load)."""
    model = models.from_section(recipe["model"])
    c = dict(recipe["channel"])
    channel = channels.create(c.pop("name"), **c)
    obj = recipe.get("objective") or {}
    head = None
    if obj.get("task") == "classification":
        head = models.ClassifierHead(2 * int(model.k), int(obj.get("num_classes", 10)), int(obj.get("head_hidden", 256)))
    sy = recipe.get("system") or {}
    return PointToPointJSCC(model, channel, head=head, snr_source=snr_source or sy.get("snr_source", "true"),
                            num_pilots=int(sy.get("num_pilots", 64)))


class JSCCModule(TrainModule):
    """Trains :class:`PointToPointJSCC` with the recipe's objective (MSE by default), SNR sampler and robust
    method. Randomness and checkpoints: :class:`semcom.training.base.TrainModule`. Validation: PSNR (and
    accuracy with a task head) at the recipe's ``train.val_snr_db``."""

    def __init__(self, recipe: dict[str, Any]) -> None:
        super().__init__(recipe)
        self.system = build_point_to_point(recipe)
        self.sampler = build_sampler(recipe)
        self._val_psnr: dict[float, list[Tensor]] = {}
        self._val_acc: dict[float, list[Tensor]] = {}

    @property
    def k(self) -> int:
        return self.system.k

    @property
    def bandwidth_ratio(self) -> float | None:
        return self.system.bandwidth_ratio

    def describe(self) -> str:
        m = self.system.model
        size = "x".join(map(str, (m.in_channels, *tuple(m.image_size)))) if hasattr(m, "image_size") else "input"
        ratio = f", bandwidth ratio K/N = {self.bandwidth_ratio:.4f}" if self.bandwidth_ratio is not None else ""
        return (f"{self.recipe['name']}: model {self.recipe['model'].get('name') or self.recipe['model'].get('class_path')}, "
                f"K = {self.k} complex channel uses per {size} image{ratio}; sampler {self.sampler!r}; "
                f"channel {self.system.channel}")

    def forward(self, img: Tensor, snr_db: Tensor | float, generator: torch.Generator | None = None) -> Tensor:
        return self.system(to_float(img), snr_db, generator=generator)

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        img, labels = to_float(batch[0]), batch[1]
        gen = self.generator
        snr = self.sampler(img.shape[0], self.system.k, device=self.device, generator=gen)
        obj = self.recipe.get("objective") or {}
        rob = self.recipe.get("robust") or {}
        method = rob.get("method", "none")
        if method == "none" and obj.get("task") is None and obj.get("recon", "mse") == "mse":
            loss = self.finite(F.mse_loss(self.system(img, snr, generator=gen), img))  # the DLPS paper's path
            self.log("train_loss", loss, prog_bar=True)
            return loss
        out = self.system.run(img, snr, generator=gen)
        if obj.get("task") and float(obj.get("lam", 1.0)) >= 1.0 and self.system.head is not None:
            out["logits"] = self.system.head(out["z_rx"].detach())  # probe: the encoder stays reconstruction-only
        loss, parts = objective_loss(out, img, labels, obj)
        if method == "kl":
            pen = kl_penalty(out, snr, obj, rob, generator=gen)
            self.log("train_kl", pen)
            loss = loss + pen
        elif method == "adversarial":
            size = (img.shape[-2], img.shape[-1])

            def loss_of(z: Tensor) -> Tensor:
                return objective_loss(self.system.decode_features(z, size, out["snr_rx_db"]), img, labels, obj)[0]

            delta = adversarial_delta(loss_of, out["z_rx"], float(rob.get("eps", 0.1)), int(rob.get("steps", 3)))
            w = float(rob.get("adv_weight", 0.5))
            adv = loss_of(out["z_rx"] + delta)
            self.log("train_adv_loss", adv)
            loss = (1 - w) * loss + w * adv
        for k, v in parts.items():
            self.log(f"train_{k}", v)
        self.finite(loss)
        self.log("train_loss", loss, prog_bar=True)
        return loss

    def on_validation_epoch_start(self) -> None:
        self._val_gen = self.validation_generator()
        self._val_psnr = {s: [] for s in self.val_snr_db}
        self._val_acc = {}

    def validation_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        img = to_float(batch[0])
        with torch.no_grad():
            for snr in self.val_snr_db:
                out = self.system.run(img, snr, generator=self._val_gen)
                self._val_psnr[snr].append(psnr_per_image(out["recon"], img))
                if out["logits"] is not None:
                    self._val_acc.setdefault(snr, []).append((out["logits"].argmax(1) == batch[1]).float())

    def on_validation_epoch_end(self) -> None:
        means = []
        for snr, values in self._val_psnr.items():
            if not values:
                continue
            v = torch.cat(values)
            total = cast(Tensor, self.all_gather(v.sum())).sum() if self.trainer.world_size > 1 else v.sum()
            count = cast(Tensor, self.all_gather(torch.tensor(v.numel(), device=self.device))).sum() \
                if self.trainer.world_size > 1 else torch.tensor(v.numel())
            mean = total / count
            means.append(mean)
            self.log(f"val_psnr_{snr:g}dB", mean, sync_dist=False)
        if means:
            self.log("val_psnr", torch.stack(means).mean(), prog_bar=True, sync_dist=False)
        for snr, values in getattr(self, "_val_acc", {}).items():
            self.log(f"val_acc_{snr:g}dB", torch.cat(values).mean(), sync_dist=self.trainer.world_size > 1)


def load_point_to_point(info: dict[str, Any], path: Path | str = "checkpoint", snr_source: str | None = None,
                        **options: Any) -> PointToPointJSCC:
    """The trained :class:`PointToPointJSCC` of a checkpoint (eval mode; ``recipe`` attached)."""
    if options:
        raise SemcomError(f"the point-to-point loader takes snr_source only, not {sorted(options)}")
    recipe = info["recipe"]
    system = build_point_to_point(recipe)
    load_state(system, sub_state(info["state_dict"], "system"),
               f"checkpoint {path} does not match the model its recipe describes")
    if snr_source is not None:
        system.use_snr_source(snr_source)
    system.recipe = recipe
    return system.eval()


POINT_TO_POINT = register_system(SystemSpec(
    name="point_to_point",
    summary="deep JSCC over a scalar channel (Bourtsoulatze et al. 2019; Kim et al. DLPS; ADJSCC, robust "
            "objectives of the robust-JSCC survey): any registered model or model.class_path",
    module=JSCCModule, build=build_point_to_point, load=load_point_to_point, model_names=(),
    section=None, evaluate_with="semcom eval"))
