"""Training throughput: semcom's Lightning path against a bare PyTorch loop, in the same run.

    .venv/bin/python benchmarks/train_throughput.py [--device cpu|cuda] [--images 5120] [--epochs 3]

Both paths train the DLPS paper's Fig. 3 model (DJSCC, K = 88, DLPS over [0, 20] dB, AWGN, Adam
1e-3, batch 256) on the same CIFAR-10 training images (the first ``--images``; the embedded subset
when CIFAR-10 is not found), with the same DataLoader. semcom's path is ``semcom.training.fit.fit``
exactly as ``semcom train`` runs it (Lightning Trainer, CSV + TensorBoard logging, a checkpoint per
epoch); the bare path is a hand-written loop. One warm-up epoch, then ``--epochs`` measured epochs
each; a training epoch is timed from its start to the end of its last step (validation and
checkpoint writing excluded on both sides). The two are run alternately ``--repeats`` times and the
best epoch rate of each is kept. Prints and (with ``--out``) writes a JSON summary with the ratio
bare / semcom (goal: <= 1.1).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
from torch.nn import functional as F
from torch.utils.data import DataLoader, DistributedSampler

from semcom.data import atomic_write
from semcom.systems.jscc import build_point_to_point as build_system
from semcom.training.base import ImageDataModule, build_sampler, to_float
from semcom.training.fit import fit, hardware
from semcom.training.recipe import load_recipe, to_dict


def recipe(images: int, epochs: int, device: str, out_dir: str) -> dict[str, Any]:
    from semcom.data.cifar10 import default_root

    have_cifar = any(default_root().glob("cifar10-train-*")) or (default_root() / "cifar-10-batches-py").exists()
    data = ({"dataset": "cifar10", "limit_train": images, "limit_val": 256} if have_cifar
            else {"dataset": "embedded", "limit_val": 100})
    return to_dict(load_recipe({
        "name": "bench", "model": {"name": "djscc", "k": 88}, "channel": {"name": "awgn"},
        "sampler": {"name": "dlps", "snr_min_db": 0.0, "snr_max_db": 20.0}, "data": data,
        "train": {"epochs": epochs, "batch_size": 256, "lr": 1e-3, "seed": 0, "val_snr_db": [10.0],
                  "accelerator": "gpu" if device == "cuda" else "cpu", "devices": 1, "out_dir": out_dir,
                  "progress_bar": False},
    }))


def bare_loop(rec: dict[str, Any], epochs: int, device: str) -> list[float]:
    """Images per second of each epoch of a plain PyTorch loop over the same data and model."""
    torch.manual_seed(0)
    dm = ImageDataModule(rec)
    dm.setup("fit")
    loader = DataLoader(dm.train_ds, batch_size=256,
                        sampler=DistributedSampler(dm.train_ds, num_replicas=1, rank=0, shuffle=True, seed=0),
                        pin_memory=device == "cuda")
    system = build_system(rec).to(device)
    sampler = build_sampler(rec)
    opt = torch.optim.Adam(system.parameters(), lr=1e-3)
    rates = []
    for epoch in range(epochs):
        loader.sampler.set_epoch(epoch)  # type: ignore[attr-defined]
        gen = torch.Generator(device=device).manual_seed(epoch)
        n = 0
        if device == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        for img, _ in loader:
            img = to_float(img.to(device, non_blocking=True))
            snr = sampler(img.shape[0], system.k, device=device, generator=gen)
            loss = F.mse_loss(system(img, snr, generator=gen), img)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            n += img.shape[0]
        if device == "cuda":
            torch.cuda.synchronize()
        rates.append(n / (time.perf_counter() - t0))
    return rates


def semcom_fit(rec: dict[str, Any], quiet: bool = True) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        rec = {**rec, "train": {**rec["train"], "out_dir": tmp}}
        summary = fit(rec, quiet=quiet)
    return list(summary["epoch_images_per_s"])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu", choices=["cpu", "cuda"])
    ap.add_argument("--images", type=int, default=5120, help="training images per epoch")
    ap.add_argument("--epochs", type=int, default=3, help="measured epochs per path (after one warm-up)")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--out", type=Path, default=None, help="write the JSON summary here")
    args = ap.parse_args(argv)
    import warnings

    warnings.filterwarnings("ignore")
    rec = recipe(args.images, args.epochs + 1, args.device, "unused")
    bare, lit = [], []
    for _ in range(args.repeats):
        bare += bare_loop(rec, args.epochs + 1, args.device)[1:]
        lit += semcom_fit(rec)[1:]
    result = {
        "benchmark": "train_throughput", "model": "djscc K=88 (bourtsoulatze2019, linear adapter)",
        "batch_size": 256, "dataset": rec["data"]["dataset"], "images_per_epoch": args.images,
        "device": args.device, "hardware": hardware(), "python": platform.python_version(), "torch": torch.__version__,
        "bare_images_per_s": round(max(bare), 1), "semcom_images_per_s": round(max(lit), 1),
        "bare_epochs": [round(x, 1) for x in bare], "semcom_epochs": [round(x, 1) for x in lit],
        "ratio_bare_over_semcom": round(max(bare) / max(lit), 3),
        "ratio_of_medians": round(statistics.median(bare) / statistics.median(lit), 3), "goal": "ratio <= 1.1",
        "command": "python benchmarks/train_throughput.py " + " ".join(argv if argv is not None else sys.argv[1:]),
    }
    print(json.dumps(result, indent=2))
    if args.out:
        atomic_write(args.out, lambda p: p.write_text(json.dumps(result, indent=2) + "\n"))
    return result


if __name__ == "__main__":
    main()
