"""Speed of the pretrained zoo's models (issue 21): evaluation and training images/s, in one run.

    .venv/bin/python benchmarks/zoo_throughput.py [--device cpu|cuda] [--out results/benchmarks/zoo_cpu.json]

For each architecture of the zoo (DJSCC, Bourtsoulatze et al. 2019, at k/n = 1/12 and 1/6; ADJSCC, Xu et al.
2022, at 1/6 with the paper's 256 feature channels, plus a 64-channel variant sized for CPUs):

* ``eval_images_per_s``: the zoo model loaded by name (``semcom.zoo.load``; the committed float16 weights cast
  to float32; ADJSCC architectures with random weights of the same shapes when no ADJSCC entry is published yet)
  run through the AWGN link in eval mode without gradients, batch 500 CIFAR-sized images at 10 dB;
  ``eval_bare_images_per_s``: the bare encoder/decoder modules on the same inputs with the noise added by hand
  (the reference), so ``eval_overhead`` = bare / system time ratio of semcom's wrapper (power normalisation,
  channel module) measured in the same run;
* ``train_images_per_s``: one training step of the system exactly as the zoo recipes train it (batch 64,
  per-image SNR uniform in [0, 20] dB, MSE, Adam), forward + backward + update;
* ``flops_per_image``: forward + backward of a training step as torch's flop counter counts it, and
  ``train_gflops`` = that x ``train_images_per_s``, next to ``matmul_peak_gflops`` (the best float32 square
  matmul, 512-2048, in this run). torch's counter charges convolutions their direct-method FLOPs; oneDNN's
  convolutions here run above that rate (above the matmul peak for these models), so the ratio is not a
  utilisation and is not reported as one;
* ``hours_per_100_epochs``: 100 epochs of the 50,000 CIFAR-10 training images at ``train_images_per_s``
  (the zoo models converged after 100-124 epochs).

Each timing is the best of ``--repeats`` rounds of ``--steps`` steps after one warm-up step, the variants
alternated so that load changes hit all of them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import torch
from torch.nn import functional as F
from torch.utils.flop_counter import FlopCounterMode

from semcom.data import atomic_write

ARCHS: dict[str, dict[str, Any]] = {
    "djscc_k256": {"zoo": "bourtsoulatze2019-cifar10-k256-awgn-snr0-20", "model": {"name": "djscc", "k": 256}},
    "djscc_k512": {"zoo": "bourtsoulatze2019-cifar10-k512-awgn-snr0-20", "model": {"name": "djscc", "k": 512}},
    "adjscc_w256": {"zoo": "xu2022-cifar10-k512-awgn-snr0-20",
                    "model": {"name": "adjscc", "c": 16, "width": 256, "conditioning": "af"}},
    "adjscc_w64": {"zoo": None, "model": {"name": "adjscc", "c": 16, "width": 64, "conditioning": "af"}},
}


def matmul_peak(device: str, repeats: int = 3) -> float:
    """Best float32 GFLOP/s of square matmuls (512, 1024, 2048) on ``device``."""
    best = 0.0
    for n in (512, 1024, 2048):
        a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
        a @ b
        for _ in range(repeats):
            sync(device)
            t = time.perf_counter()
            a @ b
            sync(device)
            best = max(best, 2 * n**3 / (time.perf_counter() - t) / 1e9)
    return best


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def build(arch: str, device: str) -> tuple[Any, str]:
    """The point-to-point system of ``arch``: the zoo entry when published, else the recipe's architecture."""
    from semcom import zoo
    from semcom.systems.jscc import build_point_to_point

    spec = ARCHS[arch]
    if spec["zoo"] and spec["zoo"] in zoo.entries():
        return zoo.load(spec["zoo"]).to(device), "zoo weights"
    torch.manual_seed(0)
    recipe = {"model": dict(spec["model"]), "channel": {"name": "awgn"}}
    return build_point_to_point(recipe).to(device), "random weights (architecture only)"


class Bench:
    """The timed closures of one architecture (system in eval and train mode, and the bare reference)."""

    def __init__(self, arch: str, device: str, eval_batch: int, train_batch: int) -> None:
        self.arch, self.device = arch, device
        self.system, self.weights = build(arch, device)
        g = torch.Generator().manual_seed(0)
        self.x_eval = torch.rand(eval_batch, 3, 32, 32, generator=g).to(device)
        self.x_train = torch.rand(train_batch, 3, 32, 32, generator=g).to(device)
        self.snr_train = (torch.rand(train_batch, generator=g) * 20.0).to(device)
        self.opt = torch.optim.Adam(self.system.parameters(), lr=1e-3)

    @property
    def model(self) -> Any:
        return self.system.model

    def eval_system(self) -> None:
        self.system.eval()
        with torch.no_grad():
            self.system(self.x_eval, torch.tensor(10.0, device=self.device))

    def eval_bare(self) -> None:
        """Encoder -> unit average power per complex symbol -> CN(0, N0) at 10 dB by hand -> decoder."""
        m = self.model
        m.eval()
        snr = torch.full((self.x_eval.shape[0],), 10.0, device=self.device)
        kw = {"snr_db": snr} if getattr(m, "snr_conditioned", False) else {}
        with torch.no_grad():
            z = m.encode(self.x_eval, **kw)
            z = z / z.pow(2).mean(dim=1, keepdim=True).mul(2).sqrt()  # E|s|^2 = 1 over the K complex symbols
            n0 = 10 ** (-10.0 / 10)
            z = z + torch.randn_like(z) * (n0 / 2) ** 0.5
            m.decode(z, (32, 32), **kw)

    def train_step(self) -> None:
        self.system.train()
        self.opt.zero_grad(set_to_none=True)
        loss = F.mse_loss(self.system(self.x_train, self.snr_train), self.x_train)
        loss.backward()
        self.opt.step()

    def rate(self, fn: Any, images: int, steps: int) -> float:
        sync(self.device)
        t = time.perf_counter()
        for _ in range(steps):
            fn()
        sync(self.device)
        return images * steps / (time.perf_counter() - t)

    def train_flops_per_image(self) -> float:
        self.system.train()
        with FlopCounterMode(display=False) as fc:
            loss = F.mse_loss(self.system(self.x_train, self.snr_train), self.x_train)
            loss.backward()
        self.opt.zero_grad(set_to_none=True)
        return fc.get_total_flops() / self.x_train.shape[0]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="cpu")
    p.add_argument("--archs", default=",".join(ARCHS))
    p.add_argument("--eval-batch", type=int, default=500)
    p.add_argument("--train-batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--out", type=Path, default=None)
    a = p.parse_args(argv)
    archs = [s.strip() for s in a.archs.split(",") if s.strip()]
    unknown = [s for s in archs if s not in ARCHS]
    if unknown or a.steps < 1 or a.repeats < 1 or a.eval_batch < 1 or a.train_batch < 1:
        print(f"error: --archs from {sorted(ARCHS)} (got {unknown}); --steps, --repeats, batches >= 1", file=sys.stderr)
        return 2
    if a.device.startswith("cuda") and not torch.cuda.is_available():
        print(f"error: --device {a.device}: no CUDA device here; use --device cpu", file=sys.stderr)
        return 2
    peak = matmul_peak(a.device)
    print(f"float32 matmul peak: {peak:.1f} GFLOP/s ({torch.get_num_threads()} threads, {a.device})")
    benches = {s: Bench(s, a.device, a.eval_batch, a.train_batch) for s in archs}
    best: dict[str, dict[str, float]] = {s: {"eval": 0.0, "bare": 0.0, "train": 0.0} for s in archs}
    for b in benches.values():  # warm-up
        b.eval_system()
        b.eval_bare()
        b.train_step()
    for _ in range(a.repeats):
        for s, b in benches.items():
            best[s]["eval"] = max(best[s]["eval"], b.rate(b.eval_system, a.eval_batch, a.steps))
            best[s]["bare"] = max(best[s]["bare"], b.rate(b.eval_bare, a.eval_batch, a.steps))
            best[s]["train"] = max(best[s]["train"], b.rate(b.train_step, a.train_batch, a.steps))
    rows: dict[str, Any] = {}
    for s, b in benches.items():
        flops = b.train_flops_per_image()
        r = best[s]
        rows[s] = {
            "model": ARCHS[s]["model"], "zoo": ARCHS[s]["zoo"], "weights": b.weights,
            "parameters": sum(q.numel() for q in b.system.parameters()),
            "eval_images_per_s": round(r["eval"], 1), "eval_bare_images_per_s": round(r["bare"], 1),
            "eval_overhead": round(r["bare"] / r["eval"], 3),
            "train_images_per_s": round(r["train"], 1),
            "flops_per_image": round(flops), "train_gflops": round(flops * r["train"] / 1e9, 1),
            "hours_per_100_epochs": round(100 * 50_000 / r["train"] / 3600, 2),
        }
        print(f"{s:<12} eval {r['eval']:9.1f} img/s (bare {r['bare']:9.1f}, overhead x{r['bare'] / r['eval']:.2f})  "
              f"train {r['train']:8.1f} img/s  {flops / 1e6:8.1f} MFLOP/img  "
              f"{rows[s]['train_gflops']:.0f} GFLOP/s  {rows[s]['hours_per_100_epochs']:.2f} h / 100 epochs")
    report = {
        "benchmark": "zoo_throughput", "command": "python benchmarks/zoo_throughput.py " + " ".join(argv or sys.argv[1:]),
        "device": a.device, "threads": torch.get_num_threads(), "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "matmul_peak_gflops": round(peak, 1), "torch": torch.__version__, "machine": platform.machine(),
        "eval_batch": a.eval_batch, "train_batch": a.train_batch, "steps": a.steps, "repeats": a.repeats,
        "models": rows,
    }
    if a.out is not None:
        atomic_write(a.out, lambda tmp: tmp.write_text(json.dumps(report, indent=1) + "\n"))
        print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
