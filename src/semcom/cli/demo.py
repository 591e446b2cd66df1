"""``semcom demo``: train DLPS, BLPS, LvLPS and a dedicated model briefly on the embedded CIFAR-10
subset, evaluate them over SNR beside the committed converged zoo model (:mod:`semcom.zoo`, trained for hours on
the full CIFAR-10), and write a PSNR-vs-SNR plot and a reconstruction grid."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch

from semcom.data import EmbeddedCIFAR10
from semcom.errors import SemcomError
from semcom.evaluation.plot import plot_reconstructions
from semcom.evaluation.point_to_point import evaluate, load_checkpoint
from semcom.evaluation.results import table, write_results
from semcom.training.fit import fit
from semcom.training.recipe import load_recipe, to_dict

SAMPLERS: dict[str, dict[str, Any]] = {
    "dlps": {"name": "dlps"},
    "blps": {"name": "blps"},
    "lvlps": {"name": "lvlps"},
    "dedicated10dB": {"name": "dedicated", "snr_db": 10.0},
}


def demo_recipe(label: str, out_dir: Path, epochs: int, k: int, seed: int) -> dict[str, Any]:
    return to_dict(load_recipe({
        "name": f"demo_{label}",
        "model": {"name": "djscc", "k": k},
        "channel": {"name": "awgn"},
        "sampler": {**SAMPLERS[label], "snr_min_db": 0.0, "snr_max_db": 20.0},
        "data": {"dataset": "embedded", "limit_val": 100},
        "train": {"epochs": epochs, "batch_size": 16, "lr": 1e-3, "seed": seed, "accelerator": "cpu",
                  "out_dir": str(out_dir / "runs"), "val_snr_db": [10.0], "progress_bar": False},
    }))


#: the zoo models the demo shows beside its brief trainings, the first one committed wins (k/n 1/12 is the
#: demo's K = 264, then 1/6)
DEMO_ZOO = ("bourtsoulatze2019-cifar10-k256-awgn-snr0-20", "bourtsoulatze2019-cifar10-k512-awgn-snr0-20")


def zoo_model() -> tuple[str, Path] | None:
    """(label, weights) of the zoo model the demo shows; None (with a line saying why) when none is found."""
    from semcom.zoo import entries, locate

    known = entries()
    for name in DEMO_ZOO:
        if name in known:
            try:
                path = locate(name, download=False)
            except SemcomError as exc:
                print(f"zoo model not shown: {exc}")
                return None
            e = known[name]
            return f"zoo {name.split('-')[0]} 1/{1 / e.bandwidth_ratio:.0f} ({e.training['epochs']} ep.)", path
    print("zoo model not shown: none of " + ", ".join(DEMO_ZOO) + " is in the zoo")
    return None


def run(out_dir: str | Path = "demo_out", epochs: int = 40, k: int = 264, samplers: list[str] | None = None,
        seed: int = 0, snr: list[float] | None = None, zoo: bool = True) -> dict[str, Path]:
    """Run the demo; returns the paths of what it wrote (``zoo``: also evaluate the converged zoo model)."""
    out = Path(out_dir)
    labels = samplers or list(SAMPLERS)
    start = time.perf_counter()
    ckpts = []
    for label in labels:
        t0 = time.perf_counter()
        summary = fit(demo_recipe(label, out, epochs, k, seed), quiet=True)
        ckpts.append(summary["last_checkpoint"])
        print(f"trained {label:>14}: {epochs} epochs on 500 images in {time.perf_counter() - t0:5.1f} s "
              f"({summary['train_images_per_s']} img/s), K={summary['k']}, K/N={summary['bandwidth_ratio']:.4f}")
    shown = zoo_model() if zoo else None
    if shown is not None:
        labels, ckpts = [*labels, shown[0]], [*ckpts, str(shown[1])]
    snrs = snr or [float(s) for s in range(-5, 26, 2)]
    results = evaluate(ckpts, snrs, ["awgn", "rayleigh"], ["perfect"], dataset="embedded", split="test",
                       seed=0, labels=labels)
    results["title"] = (f"semcom demo: DJSCC K={k} trained briefly on the 500 embedded CIFAR-10 training images (JPEG q75 copy)"
                        + (", and the converged zoo model (50,000 images, AWGN 0-20 dB)" if shown else "")
                        + "; evaluated on the 100 embedded test images")
    paths = write_results(results, out, "demo_psnr")
    print(table(results, snr_db=[-5.0, 1.0, 5.0, 11.0, 15.0, 21.0, 25.0]))
    # reconstruction grid: 8 held-out images (one per class where possible) at 0, 10 and 20 dB over AWGN
    images = EmbeddedCIFAR10("test").images[::12][:8].float() / 255.0
    recons: dict[str, torch.Tensor] = {}
    with torch.no_grad():
        for label, ck in zip(labels, ckpts):
            system = load_checkpoint(ck)
            for s in (0.0, 10.0, 20.0):
                recons[f"{label}\n{s:g} dB"] = system(images, s, generator=torch.Generator().manual_seed(0))
    paths["grid"] = plot_reconstructions(images, recons, out / "demo_reconstructions.png")
    print(f"demo finished in {time.perf_counter() - start:.0f} s; wrote " + ", ".join(str(p) for p in paths.values()))
    return paths
