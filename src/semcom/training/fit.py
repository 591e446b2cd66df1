"""``semcom train``: fit a recipe with Lightning on CPU, one GPU or several (DDP).

The recipe's system kind (:func:`semcom.systems.spec_for`) gives the Lightning module; nothing here names
a kind.
"""

from __future__ import annotations

import json
import platform
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback, ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
from omegaconf import DictConfig, OmegaConf

from semcom.allocator import retain_freed_memory
from semcom.checkpoint import check_resume_compatible
from semcom.data import atomic_write
from semcom.errors import SemcomError
from semcom.systems import spec_for
from semcom.training.base import AtomicCheckpointIO, ImageDataModule
from semcom.training.recipe import to_dict, validate
from semcom.training.run_folder import RunLock, is_rank_zero_process, keep_metrics, merge_metrics
from semcom.training.summary import whole_run


class _Throughput(Callback):
    """Counts training images and time for the run summary: ``seconds`` is the time inside training
    steps; ``epoch_seconds`` the wall time of each training epoch from its start to the end of its
    last step (data loading and loop overhead included, validation and checkpointing excluded)."""

    def __init__(self) -> None:
        self.images = 0
        self.seconds = 0.0
        self._t = 0.0
        self.epoch_seconds: list[float] = []
        self.epoch_images: list[int] = []
        self._t_epoch = 0.0
        self._t_last = 0.0

    def on_train_epoch_start(self, trainer: Any, pl_module: Any) -> None:
        self._t_epoch = time.perf_counter()
        self.epoch_images.append(0)

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        self.epoch_seconds.append(self._t_last - self._t_epoch)

    def on_train_batch_start(self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int) -> None:
        self._t = time.perf_counter()

    def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        self._t_last = time.perf_counter()
        self.seconds += self._t_last - self._t
        self.images += int(batch[0].shape[0])
        if self.epoch_images:
            self.epoch_images[-1] += int(batch[0].shape[0])


def hardware() -> str:
    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name(0)} x{torch.cuda.device_count()}"
    return f"CPU {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"


def run_dir(recipe: dict[str, Any]) -> Path:
    return Path(recipe["train"]["out_dir"]) / recipe["name"]


def fit(cfg: DictConfig | dict[str, Any], *, resume: str | None = None, quiet: bool = False) -> dict[str, Any]:
    """Train the recipe; returns a summary (paths, epochs, wall time, images per second).

    Args:
        cfg: the recipe (from :func:`semcom.training.recipe.load_recipe`).
        resume: a checkpoint path, ``"auto"`` (the run's ``last.ckpt`` if it exists) or None.
    """
    recipe = to_dict(cfg) if isinstance(cfg, DictConfig) else cfg
    validate(recipe, f"recipe {recipe.get('name')!r}")
    t = recipe["train"]
    out = run_dir(recipe)
    ckpt_dir = out / "checkpoints"
    last = ckpt_dir / "last.ckpt"
    rank0 = is_rank_zero_process()
    ckpt_path: str | None = None
    if resume == "auto":
        ckpt_path = str(last) if last.exists() else None
        if ckpt_path is None and rank0 and not quiet:
            print(f"note: --resume auto: no checkpoint at {last}, so run {recipe['name']!r} starts from scratch")
    elif resume:
        if not Path(resume).is_file():
            raise SemcomError(f"checkpoint to resume from {resume} does not exist")
        ckpt_path = resume
    elif rank0 and last.exists():
        raise SemcomError(f"run folder {out} already holds the checkpoints of an earlier run; continue it with "
                          "--resume auto, or give this run another name=")
    ckpt_epoch = check_resume_compatible(recipe, ckpt_path) if ckpt_path else None
    if str(t["accelerator"]) in ("gpu", "cuda") and not torch.cuda.is_available():
        raise SemcomError(f"train.accelerator={t['accelerator']}: no CUDA GPU is visible on this machine; use "
                          "train.accelerator=cpu (or auto)")
    with ExitStack() as stack:
        return _fit(recipe, out, ckpt_dir, ckpt_path, ckpt_epoch, rank0, quiet, stack)


def _fit(recipe: dict[str, Any], out: Path, ckpt_dir: Path, ckpt_path: str | None, ckpt_epoch: int | None,
         rank0: bool, quiet: bool, stack: ExitStack) -> dict[str, Any]:
    t = recipe["train"]

    retain_freed_memory()  # large activations reused, not page-faulted in again each step (semcom.allocator)
    L.seed_everything(int(t["seed"]), workers=True, verbose=False)
    spec = spec_for(recipe)
    module: Any = spec.module(recipe)
    data = ImageDataModule(recipe)
    data.setup("fit")  # fail on bad data before anything is written
    if not quiet:
        print(module.describe())
    if rank0:  # from here on the run folder is written: one training at a time
        stack.enter_context(RunLock(out))
        if ckpt_path and ckpt_epoch is not None:
            keep_metrics(out, ckpt_epoch)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / "recipe.yaml", lambda p: p.write_text(OmegaConf.to_yaml(OmegaConf.create(recipe))))

    keep = t.get("keep_checkpoints")  # the newest N epoch files (monitoring the step keeps the latest ones)
    checkpoint = ModelCheckpoint(dirpath=ckpt_dir, filename="epoch{epoch:03d}", auto_insert_metric_name=False,
                                 save_top_k=-1 if keep is None else int(keep), monitor=None if keep is None else "step",
                                 mode="max", every_n_epochs=1, save_last=True)
    meter = _Throughput()
    callbacks: list[Any] = [checkpoint, meter]
    conv = t.get("converge") or {}
    stopper = None
    if conv.get("enabled"):
        from semcom.training.converge import ConvergenceStop

        stopper = ConvergenceStop(conv.get("monitor", "val_psnr"), float(conv.get("min_gain", 0.05)),
                                  float(conv.get("window", 0.1)), int(conv.get("min_epochs", 20)))
        callbacks.append(stopper)
    sch = t.get("lr_schedule") or {}
    if sch.get("name") == "plateau":
        from semcom.training.converge import PlateauLR

        callbacks.append(PlateauLR(sch.get("monitor", "val_psnr"), float(sch["factor"]), int(sch["patience"]),
                                   float(sch["threshold"]), float(sch["min_lr"])))
    trainer = L.Trainer(
        max_epochs=int(t["epochs"]), accelerator=t["accelerator"], devices=t["devices"], num_nodes=int(t.get("num_nodes", 1)),
        strategy=t["strategy"],
        precision=t["precision"], default_root_dir=str(out), plugins=[AtomicCheckpointIO()],
        callbacks=callbacks,
        logger=[CSVLogger(str(out), name="logs", version=""), TensorBoardLogger(str(out), name="tb", version="")],
        log_every_n_steps=int(t["log_every_n_steps"]), enable_progress_bar=bool(t["progress_bar"]) and not quiet,
        enable_model_summary=not quiet, limit_train_batches=t["limit_train_batches"],
        deterministic=True,
    )
    start = time.perf_counter()
    trainer.fit(module, datamodule=data, ckpt_path=ckpt_path)
    wall = time.perf_counter() - start
    world = trainer.world_size
    summary = {
        "name": recipe["name"], "run_dir": str(out), "last_checkpoint": str(ckpt_dir / "last.ckpt"),
        "epochs": trainer.current_epoch, "global_step": trainer.global_step, "resumed_from": ckpt_path,
        "wall_time_s": round(wall, 2), "train_images": meter.images * world,
        "train_images_per_s": round(world * meter.images / meter.seconds, 1) if meter.seconds else None,
        "epoch_seconds": [round(x, 3) for x in meter.epoch_seconds],
        "epoch_images_per_s": [round(world * n / x, 1) for n, x in zip(meter.epoch_images, meter.epoch_seconds) if x],
        "hardware": hardware(), "devices": t["devices"], "world_size": world, "rank": trainer.global_rank,
        "torch": torch.__version__,
        "system": spec.name,
        "k": module.k,
        "bandwidth_ratio": module.bandwidth_ratio,
        "val_psnr": {k: round(float(v), 4) for k, v in trainer.callback_metrics.items() if k.startswith("val_psnr")},
        **({"converged": stopper.decision, "monitor_history": [round(v, 4) for v in stopper.history]}
           if stopper is not None else {}),
        **({"val_iou": ious} if (ious := {k: round(float(v), 4) for k, v in trainer.callback_metrics.items()
                                          if k.startswith(("val_miou", "val_iou"))}) else {}),
        **({"val_acc": accs} if (accs := {k: round(float(v), 4) for k, v in trainer.callback_metrics.items()
                                          if k.startswith("val_acc")}) else {}),
    }
    prev_path = out / "summary.json"
    if ckpt_path and prev_path.exists():  # a resumed run: the summary covers the whole run, not the last part
        prev = whole_run(json.loads(prev_path.read_text()))
        if meter.images == 0:  # nothing left to train: keep the summary of the run as it is
            if trainer.is_global_zero:
                merge_metrics(out)
            return prev
        prev_s = prev["train_images"] / prev["train_images_per_s"] if prev.get("train_images_per_s") else 0.0
        images = prev["train_images"] + summary["train_images"]
        seconds = prev_s + world * meter.seconds
        summary.update({
            "wall_time_s": None if prev["wall_time_s"] is None else round(prev["wall_time_s"] + wall, 2),
            "train_images": images,
            "train_images_per_s": round(images / seconds, 1) if seconds else None,
            "epoch_seconds": prev.get("epoch_seconds", []) + summary["epoch_seconds"],
            "epoch_images_per_s": prev.get("epoch_images_per_s", []) + summary["epoch_images_per_s"],
            "resumed_from": ckpt_path, "resumes": int(prev.get("resumes", 0)) + 1})
        if "timed_epochs" in prev:  # an old summary's untimed first segment stays marked as such
            summary.update({
                "timed_epochs": [prev["timed_epochs"][0], summary["epochs"]], "repaired": prev.get("repaired"),
                "timed_train_images": prev["timed_train_images"] + world * meter.images,
                "timed_wall_time_s": round((prev.get("timed_wall_time_s") or 0.0) + wall, 2)})
    if trainer.is_global_zero:
        merge_metrics(out)
        atomic_write(out / "summary.json", lambda p: p.write_text(json.dumps(summary, indent=2)))
    return summary
