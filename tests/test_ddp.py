"""The same recipe on several devices (DDP on two CPU processes), through the real command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_recipe_runs_unchanged_under_ddp(tmp_path: Path) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "name: ddp\nmodel: {name: djscc, k: 16, hidden: [4, 8]}\n"
        "data: {dataset: embedded, limit_train: 128, limit_val: 32}\n"
        f"train: {{epochs: 2, batch_size: 16, out_dir: {tmp_path / 'runs'}, progress_bar: false}}\n"
    )
    proc = subprocess.run([sys.executable, "-m", "semcom", "train", str(recipe), "--devices", "2",
                           "--accelerator", "cpu"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    summary = json.loads(out[out.index('{\n  "name"'):])
    assert summary["world_size"] == 2
    # 128 images split over 2 ranks: 4 steps of 16 per rank per epoch
    assert summary["global_step"] == 8 and summary["train_images"] == 256
    assert (tmp_path / "runs" / "ddp" / "checkpoints" / "last.ckpt").exists()


SCRIPT = '''
import json, os, sys
from semcom.systems import spec_for
from semcom.training.fit import fit
from semcom.training.recipe import load_recipe

recipe = load_recipe(sys.argv[1], sys.argv[3:])
module_cls = spec_for(dict(recipe)).module
start = module_cls.on_train_epoch_start

def recording(self):
    start(self)
    out = os.path.join(sys.argv[2], f"rank{self.global_rank}_epoch{self.current_epoch}.json")
    with open(out, "w") as f:
        json.dump({"seed": self.generator.initial_seed(), "draw": float(self.generator.initial_seed() % 997)}, f)

module_cls.on_train_epoch_start = recording
resume = os.environ.get("RESUME") or None
summary = fit(recipe, resume=resume, quiet=True)
'''


def _ddp(tmp: Path, recipe: Path, record: Path, *over: str, resume: str | None = None) -> None:
    import os

    record.mkdir(parents=True, exist_ok=True)
    script = tmp / "ddp_run.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "OMP_NUM_THREADS": "1", **({"RESUME": resume} if resume else {})}
    proc = subprocess.run([sys.executable, str(script), str(recipe), str(record), "train.devices=2",
                           "train.accelerator=cpu", "train.strategy=ddp", *over],
                          capture_output=True, text=True, timeout=900, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["mumimo", "ldm_codec"])
def test_mumimo_and_ldm_modules_under_ddp_draw_per_rank_and_resume_exactly(tmp_path: Path, kind: str) -> None:
    """Two CPU processes: each rank draws from its own generator (seed, epoch, rank); 2 epochs in one go and
    1 epoch + resume give identical weights."""
    import torch

    from semcom.checkpoint import read_checkpoint
    from semcom.training.base import epoch_seed

    runs = tmp_path / "runs"
    if kind == "mumimo":
        from semcom.cli import main

        assert main(["channels", "generate", "--scenario", "umi", "--nf", "32", "--n", "16",
                     "--out", str(tmp_path / "bank")]) == 0
        model = "{name: mumimo_semcom, variant: djscc, num_subcarriers: 32}"
        channel = f"{{name: umi, bank: {tmp_path / 'bank'}}}"
        batch, stream = 16, 17
        extra = ["train.strategy=ddp_find_unused_parameters_true"]  # the DJSCC variant's pilot grid goes unused
    else:
        model = "{name: ldm_vae, width: 32, calib_images: 16}"
        channel = "{name: awgn}"
        batch, stream = 16, 3
        extra = []
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"name: full\nmodel: {model}\nchannel: {channel}\nsampler: {{name: dlps, snr_min_db: -5, "
                      f"snr_max_db: 5}}\ndata: {{dataset: embedded, limit_train: 64, limit_val: 16}}\n"
                      f"train: {{epochs: 2, batch_size: {batch}, out_dir: {runs}, progress_bar: false, "
                      "val_snr_db: [0.0]}\n")
    _ddp(tmp_path, recipe, tmp_path / "rec_full", *extra)
    seeds = {p.stem: json.loads(p.read_text())["seed"] for p in (tmp_path / "rec_full").glob("*.json")}
    assert seeds["rank0_epoch0"] == epoch_seed(0, 0, 0, stream) and seeds["rank1_epoch0"] == epoch_seed(0, 0, 1, stream)
    assert len(set(seeds.values())) == 4  # 2 ranks x 2 epochs, all different
    _ddp(tmp_path, recipe, tmp_path / "rec_split", "name=split", "train.epochs=1", *extra)
    _ddp(tmp_path, recipe, tmp_path / "rec_split", "name=split", *extra, resume=str(runs / "split" / "checkpoints" / "last.ckpt"))
    a = read_checkpoint(runs / "full" / "checkpoints" / "last.ckpt")["state_dict"]
    b = read_checkpoint(runs / "split" / "checkpoints" / "last.ckpt")["state_dict"]
    for k in a:
        assert torch.equal(a[k], b[k]), k
