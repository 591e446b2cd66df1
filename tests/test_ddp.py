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
