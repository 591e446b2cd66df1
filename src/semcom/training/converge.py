"""Epoch-end decisions on a validation metric: the plateau learning-rate schedule (``train.lr_schedule.name:
plateau``) and stopping a training when it has converged (the zoo's rule, ``train.converge``).

Both run as callbacks at the end of validation, before the epoch's checkpoint is written (Lightning runs
checkpoint callbacks last), so each checkpoint holds the learning rate and history the next epoch uses. (Lightning's
own ``ReduceLROnPlateau`` handling steps after the checkpoint and skips that step on resume, so a resumed run
would keep a learning rate the uninterrupted one had lowered; hence the schedule here.)

Convergence:

After each validation, the monitored metric (higher is better, e.g. ``val_psnr``) is appended to a history. With
E epochs done (E >= ``min_epochs``) and a window of w = ceil(``window`` x E) epochs, the run stops when the mean
of the last w values exceeds the mean of the w values before them by less than ``min_gain``: every epoch has the
same image passes, so this is "gained less than 0.05 dB over the last 10 % of the image passes". The history is part
of the callback's state in every checkpoint, so a resumed run decides exactly as the uninterrupted one would.
"""

from __future__ import annotations

import math
from typing import Any

from lightning.pytorch.callbacks import Callback


def converged(history: list[float], min_gain: float, window: float, min_epochs: int) -> dict[str, Any] | None:
    """The stop decision on a metric history (one value per epoch): None to go on, else what was measured.

    The gain is the mean of the last w values minus the mean of the w before them (w = ceil(window x E)): the
    average gain over the last ``window`` of the run, robust to the epoch-to-epoch noise of a validation metric
    (a best-of comparison stops early on a lucky epoch)."""
    e = len(history)
    w = max(1, math.ceil(window * e))
    if e < max(min_epochs, 2 * w):
        return None
    recent, before = sum(history[-w:]) / w, sum(history[-2 * w:-w]) / w
    gain = recent - before
    if gain >= min_gain:
        return None
    return {"epochs": e, "window_epochs": w, "gain": gain, "best": max(history), "min_gain": min_gain}


class ConvergenceStop(Callback):
    """Lightning callback of :func:`converged` (see the module docstring)."""

    def __init__(self, monitor: str = "val_psnr", min_gain: float = 0.05, window: float = 0.1, min_epochs: int = 20) -> None:
        self.monitor, self.min_gain, self.window, self.min_epochs = monitor, min_gain, window, min_epochs
        self.history: list[float] = []
        self.decision: dict[str, Any] | None = None

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        # a resumed run decides again on its history with the recipe's current rule (a stopped run stays stopped
        # unless the rule was changed)
        self.decision = converged(self.history, self.min_gain, self.window, self.min_epochs)
        if self.decision is not None:
            trainer.should_stop = True

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        if trainer.sanity_checking:
            return
        value = trainer.callback_metrics.get(self.monitor)
        if value is None:
            from semcom.errors import SemcomError

            raise SemcomError(f"train.converge.monitor={self.monitor!r} is not logged by this system; logged: "
                              f"{', '.join(sorted(trainer.callback_metrics))}")
        self.history.append(float(value))
        self.decision = converged(self.history, self.min_gain, self.window, self.min_epochs)
        if self.decision is not None:
            trainer.should_stop = True

    def state_dict(self) -> dict[str, Any]:
        return {"history": list(self.history), "decision": self.decision}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.history = list(state.get("history", []))
        self.decision = state.get("decision")


class PlateauLR(Callback):
    """Multiply the learning rate of every parameter group by ``factor`` when ``monitor`` (higher is better) has not
    risen above its best by more than ``threshold`` for more than ``patience`` validations; never below ``min_lr``
    (torch's ReduceLROnPlateau rule, mode "max", absolute threshold, no cooldown)."""

    def __init__(self, monitor: str = "val_psnr", factor: float = 0.5, patience: int = 10, threshold: float = 0.01,
                 min_lr: float = 1e-6) -> None:
        self.monitor, self.factor, self.patience, self.threshold, self.min_lr = monitor, factor, patience, threshold, min_lr
        self.best = float("-inf")
        self.bad = 0
        self.reductions: list[int] = []  # epochs after which the rate was lowered

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        if trainer.sanity_checking:
            return
        value = trainer.callback_metrics.get(self.monitor)
        if value is None:
            from semcom.errors import SemcomError

            raise SemcomError(f"train.lr_schedule.monitor={self.monitor!r} is not logged by this system")
        if float(value) > self.best + self.threshold:
            self.best, self.bad = float(value), 0
            return
        self.bad += 1
        if self.bad > self.patience:
            for opt in trainer.optimizers:
                for group in opt.param_groups:
                    group["lr"] = max(group["lr"] * self.factor, self.min_lr)
            self.bad = 0
            self.reductions.append(int(trainer.current_epoch))

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "bad": self.bad, "reductions": list(self.reductions)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.bad = float(state["best"]), int(state["bad"])
        self.reductions = list(state.get("reductions", []))
