"""The Lightning module and data module that train any point-to-point JSCC system from a recipe."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO
from torch import Tensor
from torch.nn import functional as F
from torch.utils.data import DataLoader, DistributedSampler

import semcom.channels as channels
import semcom.models as models
from semcom.data import build_dataset
from semcom.errors import SemcomError
from semcom.metrics import psnr_per_image
from semcom.systems import PointToPointJSCC
from semcom.training.objectives import adversarial_delta, kl_penalty, objective_loss
from semcom.training.snr import SNRSampler, create_sampler


def build_system(recipe: dict[str, Any], snr_source: str | None = None) -> PointToPointJSCC:
    """Model, channel, task head and receiver SNR source of a recipe (a plain dict, e.g.
    ``to_dict(load_recipe(...))``; recipes written before the objective/system sections still load)."""
    m = dict(recipe["model"])
    name = m.pop("name")
    model = models.create(name, **m)
    c = dict(recipe["channel"])
    channel = channels.create(c.pop("name"), **c)
    obj = recipe.get("objective") or {}
    head = None
    if obj.get("task") == "classification":
        head = models.ClassifierHead(2 * int(model.k), int(obj.get("num_classes", 10)), int(obj.get("head_hidden", 256)))
    sy = recipe.get("system") or {}
    return PointToPointJSCC(model, channel, head=head, snr_source=snr_source or sy.get("snr_source", "true"),
                            num_pilots=int(sy.get("num_pilots", 64)))


def build_sampler(recipe: dict[str, Any]) -> SNRSampler:
    s = recipe["sampler"]
    return create_sampler(s["name"], snr_min_db=s["snr_min_db"], snr_max_db=s["snr_max_db"],
                          distribution=s["distribution"], snr_db=s.get("snr_db"))


def check_finite(module: L.LightningModule, loss: Tensor) -> Tensor:
    """Stop training at the first non-finite loss with one clear line; the checkpoints already written
    (one per finished epoch) are the last good ones and are left as they are."""
    if not torch.isfinite(loss).all():
        trainer = getattr(module, "_trainer", None)
        where = ""
        if trainer is not None:
            ckpt = Path(trainer.default_root_dir) / "checkpoints" / "last.ckpt"
            where = (f"; last good checkpoint: {ckpt}" if ckpt.exists() else "; no checkpoint was written yet")
        msg = (f"training loss became {float(loss.detach().float().mean())} at epoch {module.current_epoch}, "
               f"step {module.global_step}: the run is stopped{where} (lower the learning rate, or use a "
               "regularised precoder/equalizer where a matrix inverse can blow up)")
        if trainer is not None and trainer.is_global_zero:  # a record of the stop next to the run's logs
            import json

            from semcom.data import atomic_write

            rec = {"stopped": "non-finite loss", "loss": str(float(loss.detach().float().mean())),
                   "epoch": module.current_epoch, "global_step": module.global_step, "message": msg}
            atomic_write(Path(trainer.default_root_dir) / "stopped.json",
                         lambda p: p.write_text(json.dumps(rec, indent=1) + "\n"))
        raise SemcomError(msg)
    return loss


def _epoch_seed(seed: int, epoch: int, rank: int) -> int:
    return (seed * 1_000_003 + epoch * 7919 + rank * 104_729 + 12345) % (2**63 - 1)


def to_float(img: Tensor) -> Tensor:
    """uint8 images -> float32 in [0, 1] (float inputs pass through)."""
    return img.float().div_(255.0) if img.dtype == torch.uint8 else img.float()


class JSCCModule(L.LightningModule):
    """Trains ``PointToPointJSCC`` with MSE and an SNR sampler; the recipe is saved in checkpoints.

    Randomness is keyed on (seed, epoch, rank): the SNR draws and channel noise of epoch e come
    from a generator seeded with those numbers, so a run resumed at an epoch boundary continues
    exactly as the uninterrupted run (the data order comes from a seeded ``DistributedSampler``).
    Validation uses its own fixed generator at the recipe's ``train.val_snr_db``.
    """

    def __init__(self, recipe: dict[str, Any]) -> None:
        super().__init__()
        self.save_hyperparameters({"recipe": recipe})
        self.recipe = recipe
        self.system = build_system(recipe)
        self.sampler = build_sampler(recipe)
        self.lr = float(recipe["train"]["lr"])
        self.seed = int(recipe["train"]["seed"])
        self.val_snr_db = [float(v) for v in recipe["train"]["val_snr_db"]]
        self._gen: torch.Generator | None = None
        self._val_psnr: dict[float, list[Tensor]] = {}

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=self.lr)

    def forward(self, img: Tensor, snr_db: Tensor | float, generator: torch.Generator | None = None) -> Tensor:
        return self.system(to_float(img), snr_db, generator=generator)

    def _generator(self, seed: int) -> torch.Generator:
        g = torch.Generator(device=self.device)
        g.manual_seed(seed)
        return g

    def on_train_epoch_start(self) -> None:
        self._gen = self._generator(_epoch_seed(self.seed, self.current_epoch, self.global_rank))

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        img, labels = to_float(batch[0]), batch[1]
        if self._gen is None:
            self.on_train_epoch_start()
        snr = self.sampler(img.shape[0], self.system.k, device=self.device, generator=self._gen)
        obj = self.recipe.get("objective") or {}
        rob = self.recipe.get("robust") or {}
        method = rob.get("method", "none")
        if method == "none" and obj.get("task") is None and obj.get("recon", "mse") == "mse":
            loss = check_finite(self, F.mse_loss(self.system(img, snr, generator=self._gen), img))  # seed 000's path
            self.log("train_loss", loss, prog_bar=True)
            return loss
        out = self.system.run(img, snr, generator=self._gen)
        if obj.get("task") and float(obj.get("lam", 1.0)) >= 1.0 and self.system.head is not None:
            out["logits"] = self.system.head(out["z_rx"].detach())  # probe: the encoder stays reconstruction-only
        loss, parts = objective_loss(out, img, labels, obj)
        if method == "kl":
            pen = kl_penalty(out, snr, obj, rob, generator=self._gen)
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
        check_finite(self, loss)
        self.log("train_loss", loss, prog_bar=True)
        return loss

    def on_validation_epoch_start(self) -> None:
        self._val_gen = self._generator(_epoch_seed(self.seed, 10**6, self.global_rank))
        self._val_psnr = {s: [] for s in self.val_snr_db}
        self._val_acc: dict[float, list[Tensor]] = {}

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
            total = self.all_gather(v.sum()).sum() if self.trainer.world_size > 1 else v.sum()
            count = self.all_gather(torch.tensor(v.numel(), device=self.device)).sum() \
                if self.trainer.world_size > 1 else torch.tensor(v.numel())
            mean = total / count
            means.append(mean)
            self.log(f"val_psnr_{snr:g}dB", mean, sync_dist=False)
        if means:
            self.log("val_psnr", torch.stack(means).mean(), prog_bar=True, sync_dist=False)
        for snr, values in getattr(self, "_val_acc", {}).items():
            self.log(f"val_acc_{snr:g}dB", torch.cat(values).mean(), sync_dist=self.trainer.world_size > 1)


class ImageDataModule(L.LightningDataModule):
    """Train and validation loaders from the recipe's ``data`` section.

    The training order comes from ``DistributedSampler(num_replicas=world_size, rank=rank,
    seed=train.seed)`` with ``set_epoch`` (called by Lightning), so it depends only on the seed and
    the epoch, on one device or several.
    """

    def __init__(self, recipe: dict[str, Any]) -> None:
        super().__init__()
        self.recipe = recipe
        self.d = recipe["data"]
        self.batch_size = int(recipe["train"]["batch_size"])
        self.seed = int(recipe["train"]["seed"])
        self.train_ds: Any = None
        self.val_ds: Any = None

    def setup(self, stage: str | None = None) -> None:
        d = self.d
        if self.train_ds is None:
            self.train_ds = build_dataset(d["dataset"], split=d["train_split"], root=d["root"],
                                          limit=d["limit_train"], download=d["download"], crop=d["crop"], train=True,
                                          classes=d.get("classes"))
            val = build_dataset(d["dataset"], split=d["val_split"], root=d["root"], download=d["download"],
                                crop=d["crop"], train=False, classes=d.get("classes"))
            # evenly spaced: the CIFAR-10 test split is sorted by class, its first images are all airplanes
            self.val_ds = val.spread(d["limit_val"]) if hasattr(val, "spread") else build_dataset(
                d["dataset"], split=d["val_split"], root=d["root"], limit=d["limit_val"], download=d["download"],
                crop=d["crop"], train=False)

    def _loader(self, ds: Any, train: bool) -> DataLoader[Any]:
        world = self.trainer.world_size if self.trainer is not None else 1
        rank = self.trainer.global_rank if self.trainer is not None else 0
        sampler = DistributedSampler(ds, num_replicas=world, rank=rank, shuffle=train, seed=self.seed,
                                     drop_last=False)
        workers = int(self.d["num_workers"])
        return DataLoader(ds, batch_size=self.batch_size, sampler=sampler, num_workers=workers,
                          persistent_workers=workers > 0, pin_memory=torch.cuda.is_available())

    def train_dataloader(self) -> DataLoader[Any]:
        return self._loader(self.train_ds, True)

    def val_dataloader(self) -> DataLoader[Any]:
        return self._loader(self.val_ds, False)


class AtomicCheckpointIO(TorchCheckpointIO):
    """Writes each checkpoint to a temporary file in the same folder, then renames it into place."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Any = None) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            torch.save(checkpoint, tmp)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def check_resume_compatible(recipe: dict[str, Any], ckpt_path: str | Path) -> None:
    """Refuse to resume from a checkpoint of another model or channel."""
    from semcom.checkpoint import read_checkpoint

    other = read_checkpoint(ckpt_path)["recipe"]
    for key in ("model", "channel"):
        if other[key] != recipe[key]:
            raise SemcomError(
                f"checkpoint {ckpt_path} holds {key} {other[key]}, but the recipe asks for {recipe[key]}; "
                "resume with the recipe it was trained with or start a new run"
            )
