"""Run folders: one writer at a time, no silent overwrite of an earlier run, and a run killed with SIGKILL and
resumed ends with the weights, optimiser state and metrics log of the uninterrupted run."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from semcom.errors import SemcomError
from semcom.training.fit import fit
from semcom.training.recipe import load_recipe
from semcom.training.run_folder import RunLock, keep_metrics, merge_metrics

RECIPE = ("model: {{name: djscc, k: 16, hidden: [4, 8]}}\n"
          "data: {{dataset: embedded, limit_train: {n}, limit_val: 16}}\n"
          "train: {{epochs: {epochs}, batch_size: 16, out_dir: {out}, progress_bar: false, val_snr_db: [10.0], "
          "accelerator: cpu, log_every_n_steps: 1}}\n")


def recipe(tmp: Path, name: str, epochs: int = 2, n: int = 64) -> Path:
    p = tmp / f"{name}.yaml"
    p.write_text(f"name: {name}\n" + RECIPE.format(n=n, epochs=epochs, out=tmp / "runs"))
    return p


def test_a_second_writer_of_a_run_is_refused_and_a_dead_ones_lock_is_taken_over(tmp_path: Path) -> None:
    r = load_recipe(recipe(tmp_path, "one", epochs=1))
    run = tmp_path / "runs" / "one"
    with RunLock(run):  # a live training (this process) holds the folder
        with pytest.raises(SemcomError, match="is in use by another training"):
            fit(r, quiet=True)
    assert not (run / "checkpoints").exists()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (run / ".lock").write_text(json.dumps({"pid": dead.pid, "host": os.uname().nodename, "started": "earlier"}))
    fit(r, quiet=True)  # the killed owner's lock is taken over
    assert (run / "checkpoints" / "last.ckpt").exists() and not (run / ".lock").exists()


def test_a_new_run_does_not_overwrite_an_earlier_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    r = load_recipe(recipe(tmp_path, "two", epochs=1))
    fit(r, resume="auto", quiet=False)
    assert "starts from scratch" in capsys.readouterr().out  # --resume auto on a run that does not exist says so
    with pytest.raises(SemcomError, match="already holds the checkpoints of an earlier run; continue it with --resume"):
        fit(r, quiet=True)


def test_metrics_rows_of_the_epochs_a_checkpoint_holds_survive_a_resume(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "metrics.csv").write_text("epoch,step,train_loss\n0,1,0.5\n1,2,0.4\n2,3,0.3\n")
    keep_metrics(tmp_path, last_epoch=1)  # the run is resumed from the end of epoch 1
    (logs / "metrics.csv").write_text("epoch,step,val_psnr\n2,3,20.0\n")  # Lightning starts the file afresh
    merge_metrics(tmp_path)
    with open(logs / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["epoch"], r["train_loss"], r["val_psnr"]) for r in rows] == [
        ("0", "0.5", ""), ("1", "0.4", ""), ("2", "", "20.0")]
    assert not (logs / "metrics.previous.csv").exists()


def _metrics(run: Path) -> list[tuple[str, ...]]:
    with open(run / "logs" / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    keys = sorted(k for k in rows[0] if k)
    return sorted(tuple(r.get(k, "") for k in keys) for r in rows)


def test_sigkill_mid_epoch_then_resume_equals_the_uninterrupted_run_with_the_whole_log(tmp_path: Path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "semcom", "train"]
    full = recipe(tmp_path, "full", epochs=3, n=512)  # an epoch of 512 images: ~0.3 s on an idle core
    subprocess.run([*cmd, str(full)], check=True, capture_output=True, env=env, timeout=600)
    killed = recipe(tmp_path, "killed", epochs=3, n=512)
    proc = subprocess.Popen([*cmd, str(killed)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    first = tmp_path / "runs" / "killed" / "checkpoints" / "epoch000.ckpt"
    deadline = time.time() + 300
    while not first.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.05)  # into epoch 1 (well before its end)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert (tmp_path / "runs" / "killed" / ".lock").exists()  # left by the killed process
    assert not (tmp_path / "runs" / "killed" / "checkpoints" / "epoch002.ckpt").exists()
    done = subprocess.run([*cmd, str(killed), "--resume", "auto"], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    a = torch.load(tmp_path / "runs" / "full" / "checkpoints" / "last.ckpt", weights_only=False)
    b = torch.load(tmp_path / "runs" / "killed" / "checkpoints" / "last.ckpt", weights_only=False)
    for k in a["state_dict"]:
        assert torch.equal(a["state_dict"][k], b["state_dict"][k]), k
    sa, sb = a["optimizer_states"][0]["state"], b["optimizer_states"][0]["state"]
    assert all(torch.equal(sa[i][m], sb[i][m]) for i in sa for m in ("exp_avg", "exp_avg_sq"))
    # the log of the resumed run is the log of the uninterrupted one: every epoch, the same values
    assert _metrics(tmp_path / "runs" / "killed") == _metrics(tmp_path / "runs" / "full")
