"""The one training base: a Lightning module that owns the recipe, the optimiser, the per-(seed, epoch,
rank) generators and the non-finite-loss stop; the image data module; atomic checkpoint writes.

Every system's Lightning module (registered with it in :data:`semcom.systems.SYSTEMS`) subclasses
:class:`TrainModule` and keeps only its steps: ``training_step`` draws its randomness from
``self.generator`` (re-seeded at every epoch start from :func:`epoch_seed` with the process rank, so
DDP ranks draw different noise and a run resumed at an epoch boundary continues exactly), calls
:meth:`TrainModule.finite` on its loss, and validation uses :meth:`TrainModule.validation_generator`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO
from torch import Tensor
from torch.utils.data import DataLoader, DistributedSampler

from semcom.data import build_dataset
from semcom.errors import SemcomError
from semcom.training.snr import SNRSampler, create_sampler


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


#: Validation draws use ``epoch_seed(seed, VALIDATION_EPOCH, rank, stream)``: the same noise every epoch.
VALIDATION_EPOCH = 10**6


def epoch_seed(seed: int, epoch: int, rank: int, stream: int = 12345) -> int:
    """The one rule for training randomness: the seed of the generator of (recipe seed, epoch, process rank).

    ``stream`` separates the draws of different system kinds (each module's ``generator_stream``); ranks
    and epochs never share a seed, so DDP ranks draw different noise and channels, and a run resumed at an
    epoch boundary draws what the uninterrupted run drew.
    """
    return (seed * 1_000_003 + epoch * 7919 + rank * 104_729 + stream) % (2**63 - 1)


class TrainModule(L.LightningModule):
    """Base of every system's Lightning module (see the module docstring).

    Subclasses build their system in ``__init__`` after calling ``super().__init__(recipe)`` and implement
    ``training_step`` / ``validation_step``; they may set:

    * ``generator_stream`` (int): separates their draws from other kinds' (kept per kind so that the
      committed runs' rank-0 draws are unchanged);
    * ``generator_on_cpu`` (bool): draw on a CPU generator (channel banks live on the CPU) instead of
      one on the module's device;
    * :meth:`trainable_parameters`: what the optimiser updates (default: all parameters).

    Attributes: ``recipe`` (plain dict, saved in every checkpoint's hyper-parameters), ``lr``, ``seed``,
    ``val_snr_db`` (list of dB values), ``generator`` (this epoch's ``torch.Generator``).
    """

    generator_stream: int = 12345
    generator_on_cpu: bool = False

    def __init__(self, recipe: dict[str, Any]) -> None:
        super().__init__()
        self.save_hyperparameters({"recipe": recipe})
        self.recipe = recipe
        t = recipe["train"]
        self.lr = float(t["lr"])
        self.seed = int(t["seed"])
        self.val_snr_db = [float(v) for v in t.get("val_snr_db", [])]
        self._gen: torch.Generator | None = None

    # --- randomness -------------------------------------------------------------------------------
    def _new_generator(self, seed: int) -> torch.Generator:
        g = torch.Generator() if self.generator_on_cpu else torch.Generator(device=self.device)
        g.manual_seed(seed)
        return g

    def on_train_epoch_start(self) -> None:
        self._gen = self._new_generator(epoch_seed(self.seed, self.current_epoch, self.global_rank,
                                                   self.generator_stream))

    @property
    def generator(self) -> torch.Generator:
        """This epoch's training generator (created on first use when a step runs outside a trainer loop)."""
        if self._gen is None:
            self.on_train_epoch_start()
        assert self._gen is not None
        return self._gen

    def validation_generator(self) -> torch.Generator:
        """A generator for validation: the same draws at every epoch (per rank)."""
        return self._new_generator(epoch_seed(self.seed, VALIDATION_EPOCH, self.global_rank, self.generator_stream))

    # --- optimisation -----------------------------------------------------------------------------
    def trainable_parameters(self) -> Any:
        return self.parameters()

    def configure_optimizers(self) -> Any:
        """Adam at ``train.lr``, with the recipe's ``train.lr_schedule`` (its state travels in the checkpoints, so a
        resumed run continues the schedule exactly)."""
        opt = torch.optim.Adam(self.trainable_parameters(), lr=self.lr)
        s = (self.recipe["train"].get("lr_schedule") or {})
        name = s.get("name", "none")
        if name == "none":
            return opt
        if name == "plateau":  # the fit's PlateauLR callback (semcom.training.converge) lowers the rate
            return opt
        factor, every, floor = float(s["factor"]), int(s["step_epochs"]), float(s["min_lr"])
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda epoch: max(factor ** (epoch // every), floor / self.lr))
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "epoch"}}

    def finite(self, loss: Tensor) -> Tensor:
        """``loss`` if it is finite, else the run stops with one line (see :func:`check_finite`)."""
        return check_finite(self, loss)

    # --- description for ``semcom train`` and the run summary --------------------------------------
    @property
    def bandwidth_ratio(self) -> float | None:
        """Channel uses per image (``k``, defined by subclasses) over the 3 x 32 x 32 source dimension."""
        k = getattr(self, "k", None)
        return None if k is None else k / 3072

    def describe(self) -> str:
        """One line for the start of ``semcom train`` (subclasses say what they train and its channel uses)."""
        k = getattr(self, "k", None)
        return f"{self.recipe['name']}: {type(self).__name__}" + (f", K = {k} complex channel uses per image" if k else "")


def to_float(img: Tensor) -> Tensor:
    """uint8 images -> float32 in [0, 1] (float inputs pass through)."""
    return img.float().div_(255.0) if img.dtype == torch.uint8 else img.float()


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
                                          classes=d.get("classes"), size=d.get("size"))
            val = build_dataset(d["dataset"], split=d["val_split"], root=d["root"], download=d["download"],
                                crop=d["crop"], train=False, classes=d.get("classes"), size=d.get("size"))
            # evenly spaced: the CIFAR-10 test split is sorted by class, its first images are all airplanes
            self.val_ds = val.spread(d["limit_val"]) if hasattr(val, "spread") else build_dataset(
                d["dataset"], split=d["val_split"], root=d["root"], limit=d["limit_val"], download=d["download"],
                crop=d["crop"], train=False)

    def _loader(self, ds: Any, train: bool) -> DataLoader[Any]:
        world = self.trainer.world_size if self.trainer is not None else 1
        rank = self.trainer.global_rank if self.trainer is not None else 0
        sampler: DistributedSampler[Any] = DistributedSampler(ds, num_replicas=world, rank=rank, shuffle=train, seed=self.seed,
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
