"""Regenerate tests/golden/tiny_djscc.ckpt (only on purpose: the golden JSON depends on it).

    .venv/bin/python tests/golden/make_checkpoint.py
    .venv/bin/python -m pytest tests/test_golden.py --regen-golden    # then the expected JSON
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import torch

from semcom.data import atomic_write
from semcom.training.fit import fit
from semcom.training.recipe import load_recipe

RECIPE = {
    "name": "golden_tiny_djscc",
    "model": {"name": "djscc", "k": 32, "hidden": [8, 16]},
    "channel": {"name": "awgn"},
    "sampler": {"name": "dlps", "snr_min_db": 0.0, "snr_max_db": 20.0},
    "data": {"dataset": "embedded", "limit_val": 20},
    "train": {"epochs": 12, "batch_size": 16, "seed": 0, "accelerator": "cpu", "val_snr_db": [10.0],
              "progress_bar": False},
}


def main() -> Path:
    out = Path(__file__).with_name("tiny_djscc.ckpt")
    with tempfile.TemporaryDirectory() as tmp:
        summary = fit(load_recipe(RECIPE, [f"train.out_dir={tmp}"]), quiet=True)
        ckpt = torch.load(summary["last_checkpoint"], map_location="cpu", weights_only=False)
    slim = {k: ckpt[k] for k in ("state_dict", "hyper_parameters", "epoch", "global_step", "pytorch-lightning_version")}
    slim["hyper_parameters"]["recipe"]["train"]["out_dir"] = "runs"
    atomic_write(out, lambda p: torch.save(slim, p))
    return out


if __name__ == "__main__":
    print(main())
