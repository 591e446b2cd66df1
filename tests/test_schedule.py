"""Learning-rate schedules and the convergence stop of ``train``: formulas, exact resume, the zoo's rule."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch

from semcom.checkpoint import read_checkpoint
from semcom.training.converge import converged
from semcom.training.fit import fit
from semcom.training.recipe import load_recipe

BASE: dict[str, Any] = {
    "name": "t", "model": {"name": "djscc", "k": 16, "hidden": [4, 8]}, "sampler": {"name": "dlps"},
    "data": {"dataset": "embedded", "limit_train": 64, "limit_val": 16},
    "train": {"epochs": 6, "batch_size": 32, "accelerator": "cpu", "val_snr_db": [10.0], "progress_bar": False},
}


def run(tmp: Path, *over: str, resume: str | None = None) -> dict[str, Any]:
    return fit(load_recipe(BASE, [f"train.out_dir={tmp}", *over]), resume=resume, quiet=True)


def test_converged_rule() -> None:
    rising = [20.0 + i for i in range(30)]
    assert converged(rising, 0.05, 0.1, 20) is None
    flat = [20.0 + min(i, 15) * 0.5 for i in range(30)]  # no gain in the last 3 of 30 epochs
    d = converged(flat, 0.05, 0.1, 20)
    assert d is not None and d["window_epochs"] == 3 and d["gain"] == pytest.approx(0.0)
    assert converged(flat[:10], 0.05, 0.1, 20) is None  # before min_epochs
    slow = [20.0 + 0.01 * i for i in range(40)]  # +0.04 dB over the last 4 epochs: below 0.05
    assert converged(slow, 0.05, 0.1, 20) is not None and converged(slow, 0.03, 0.1, 20) is None


def test_step_and_plateau_schedules_set_the_learning_rate(tmp_path: Path) -> None:
    s = run(tmp_path, "name=step", "train.lr_schedule.name=step", "train.lr_schedule.step_epochs=2",
            "train.lr_schedule.factor=0.5", "train.epochs=5")
    ckpt = torch.load(tmp_path / "step" / "checkpoints" / "last.ckpt", weights_only=False)
    assert s["epochs"] == 5 and ckpt["optimizer_states"][0]["param_groups"][0]["lr"] == pytest.approx(1e-3 * 0.25)
    lrs = []
    for e in (1, 2, 3):  # never 100 dB better than the first epoch: lowered after every later epoch
        run(tmp_path, "name=plateau", "train.lr_schedule.name=plateau", "train.lr_schedule.patience=0",
            "train.lr_schedule.threshold=100", f"train.epochs={e}", resume="auto" if e > 1 else None)
        ckpt = torch.load(tmp_path / "plateau" / "checkpoints" / "last.ckpt", weights_only=False)
        lrs.append(ckpt["optimizer_states"][0]["param_groups"][0]["lr"])
    assert lrs == pytest.approx([1e-3, 5e-4, 2.5e-4])
    with pytest.raises(Exception, match="lr_schedule.name"):
        load_recipe(BASE, ["train.lr_schedule.name=cosine"])


def test_convergence_stop_ends_early_and_resume_decides_the_same(tmp_path: Path) -> None:
    over = ("train.converge.enabled=true", "train.converge.min_epochs=2", "train.converge.min_gain=100",
            "train.epochs=6")  # a gain of 100 dB is never reached: stops at min_epochs
    full = run(tmp_path, "name=full", *over)
    assert full["epochs"] == 2 and full["converged"]["epochs"] == 2 and len(full["monitor_history"]) == 2
    run(tmp_path, "name=split", *over[:-1], "train.epochs=1")
    split = run(tmp_path, "name=split", *over[:-1], "train.epochs=6", resume="auto")
    assert split["epochs"] == 2 and split["converged"] == full["converged"]
    a = read_checkpoint(tmp_path / "full" / "checkpoints" / "last.ckpt")["state_dict"]
    b = read_checkpoint(tmp_path / "split" / "checkpoints" / "last.ckpt")["state_dict"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    again = run(tmp_path, "name=full", *over, resume="auto")  # converged: nothing more is trained
    assert again["epochs"] == 2
    assert json.loads((tmp_path / "full" / "summary.json").read_text())["converged"]["epochs"] == 2


@pytest.mark.parametrize("schedule", [["train.lr_schedule.name=step", "train.lr_schedule.step_epochs=1"],
                                      ["train.lr_schedule.name=plateau", "train.lr_schedule.patience=0",
                                       "train.lr_schedule.threshold=100"]], ids=["step", "plateau"])
def test_resume_with_a_schedule_equals_the_uninterrupted_run(tmp_path: Path, schedule: list[str]) -> None:
    run(tmp_path, "name=full", "train.epochs=4", *schedule)
    run(tmp_path, "name=split", "train.epochs=2", *schedule)
    run(tmp_path, "name=split", "train.epochs=4", *schedule, resume="auto")
    a = read_checkpoint(tmp_path / "full" / "checkpoints" / "last.ckpt")["state_dict"]
    b = read_checkpoint(tmp_path / "split" / "checkpoints" / "last.ckpt")["state_dict"]
    assert all(torch.equal(a[k], b[k]) for k in a)
