"""Training-step speed of the MU-MIMO OFDM system (Li et al. 2025): the fast path against the reference, one run.

    .venv/bin/python benchmarks/mumimo_step.py [--variants full,no_pilot,rzf,djscc] [--nf 32] [--samples 64]
        [--threads 2] [--repeats 3] [--steps 3] [--device cpu|cuda] [--out results/benchmarks/mumimo_step_cpu.json]

One training step = forward through encoder, precoder (classical or hybrid RZF), channel y = H x + n on a
fixed random channel realisation per sample (constant over the slot, like a channel bank), decoder, the
MSE + 0.01 CE loss, backward and an Adam step, on ``--samples`` samples of 4 users (batch 64 x 4 = 256 images,
the paper's). For each variant, the same initial weights and inputs go through

* **reference**: the NCHW layout with out-of-place ReLUs, glibc's default allocator thresholds (the step as it
  was before the fast path);
* **fast**: :meth:`MUMIMOSemanticSystem.use_fast_path` (NHWC networks and inputs, in-place ReLUs) and
  :func:`semcom.allocator.retain_freed_memory` (large activations reused instead of page-faulted in);
  the RZF is solved once per subcarrier on slot-static channels (both paths: it is part of the precoder).

They alternate ``--repeats`` times (``--steps`` steps each, after warm-up steps); the best rate of each is kept,
``speedup`` = fast / reference from this run. FLOPs per image come from torch's flop counter over one
forward+backward, with its grouped-convolution weight gradient corrected (torch counts the depthwise
``grad_weight`` ``groups`` times; ``flops_per_image_torch_raw`` keeps its raw figure). ``fraction_of_peak`` =
FLOPs x images/s over the float32 matmul peak measured in this run (the best of square matmuls 512-2048 with the
same threads). ``stage_share`` = the fast path's step time per stage (forward of encoder, precoder, channel,
decoder, loss; backward; optimizer), from CUDA-synchronised wall clocks around each stage.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch.nn import functional as F
from torch.utils.flop_counter import FlopCounterMode, conv_flop_count

from semcom.allocator import retain_freed_memory
from semcom.channels.tr38901 import MUMIMODownlinkChannel
from semcom.data import atomic_write
from semcom.systems.mumimo import VARIANTS, MUMIMOSemanticSystem


def _t(shape: Any) -> list[int]:
    return [shape[1], shape[0], *list(shape[2:])]


def conv_backward_flops(grad_out_shape: Any, x_shape: Any, w_shape: Any, _bias: Any, _stride: Any, _padding: Any,
                        _dilation: Any, transposed: bool, _output_padding: Any, groups: int, output_mask: Any,
                        out_shape: Any, **_: Any) -> int:
    """torch's convolution-backward FLOP formula with the weight gradient divided by ``groups`` (torch counts it as
    if the convolution were dense, ``groups`` times too many for a depthwise one)."""
    n = 0
    if output_mask[0]:
        n += conv_flop_count(list(grad_out_shape), list(w_shape), list(out_shape[0]), not transposed)
    if output_mask[1]:
        gw = list(out_shape[1])
        n += (conv_flop_count(_t(grad_out_shape), _t(x_shape), _t(gw)) if transposed
              else conv_flop_count(_t(x_shape), _t(grad_out_shape), _t(gw))) // groups
    return n


def matmul_peak(device: str) -> float:
    """Best float32 GFLOP/s of square matmuls (512, 1024, 2048) on this device with the current threads."""
    best = 0.0
    for n in (512, 1024, 2048):
        a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
        c = torch.empty(n, n, device=device)
        reps = max(3, int(1e10 / (2 * n ** 3)))
        for _ in range(2):
            torch.mm(a, b, out=c)
        for _ in range(3):
            sync(device)
            t0 = time.perf_counter()
            for _ in range(reps):
                torch.mm(a, b, out=c)
            sync(device)
            best = max(best, 2 * n ** 3 * reps / (time.perf_counter() - t0) / 1e9)
    return best


def sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


class Step:
    """One variant's training step on fixed inputs (see the module docstring)."""

    def __init__(self, variant: str, nf: int, samples: int, fast: bool, device: str,
                 state: dict[str, Any] | None = None) -> None:
        torch.manual_seed(0)
        self.system = MUMIMOSemanticSystem(MUMIMODownlinkChannel(None), nf, variant, fast_path=fast).to(device).train()
        if state is not None:
            self.system.load_state_dict(state)
        self.fast, self.device, self.b = fast, device, samples
        g = torch.Generator().manual_seed(1)
        self.img = torch.rand(samples, 4, 3, 32, 32, generator=g).to(device)
        self.labels = torch.randint(0, 10, (samples, 4), generator=g).to(device)
        h = torch.randn(samples, nf, 1, 4, 4, dtype=torch.complex64, generator=g) / 2 ** 0.5
        self.h = h.expand(samples, nf, 14, 4, 4).contiguous().to(device)  # slot-static, like a channel bank
        self.opt = torch.optim.Adam(self.system.parameters(), lr=1e-3)
        self.gen = torch.Generator().manual_seed(2)
        self.times: dict[str, float] = {}

    def loss(self) -> torch.Tensor:
        snr = (torch.rand(self.b, generator=self.gen) * 14 - 7).to(self.device)
        out = self.system(self.img, snr, generator=self.gen, h=self.h)
        return F.mse_loss(out["recon"], self.img) + 0.01 * F.cross_entropy(out["logits"].flatten(0, 1),
                                                                         self.labels.flatten())

    def __call__(self) -> None:
        loss = self.loss()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()

    def rate(self, steps: int) -> float:
        """Images per second over ``steps`` steps, the allocator set as this path wants it."""
        retain_freed_memory(self.fast)
        sync(self.device)
        t0 = time.perf_counter()
        for _ in range(steps):
            self()
        sync(self.device)
        return steps * self.b * 4 / (time.perf_counter() - t0)

    def flops_per_image(self) -> tuple[float, float]:
        """(corrected, torch's raw) FLOPs of one forward+backward per image."""
        counts = []
        for mapping in ({torch.ops.aten.convolution_backward: conv_backward_flops}, {}):
            fc = FlopCounterMode(display=False, custom_mapping=mapping)
            with fc:
                self.loss().backward()
            self.opt.zero_grad(set_to_none=True)
            counts.append(fc.get_total_flops() / (self.b * 4))
        return counts[0], counts[1]

    def stage_share(self, steps: int) -> dict[str, float]:
        """Share of the step time per stage (wall clocks around each stage's forward, backward, optimizer)."""
        s = self.system
        acc: dict[str, float] = {}
        marks: dict[str, float] = {}

        def pre(name: str) -> Callable[..., None]:
            def hook(*_: Any) -> None:
                sync(self.device)
                marks[name] = time.perf_counter()
            return hook

        def post(name: str) -> Callable[..., None]:
            def hook(*_: Any) -> None:
                sync(self.device)
                acc[name] = acc.get(name, 0.0) + time.perf_counter() - marks[name]
            return hook

        handles = []
        for name in ("encoder", "precoder", "channel", "decoder"):
            part = getattr(s, name)
            handles += [part.register_forward_pre_hook(pre(name)), part.register_forward_hook(post(name))]
        retain_freed_memory(self.fast)
        total = 0.0
        try:
            for _ in range(steps):
                sync(self.device)
                t0 = time.perf_counter()
                loss = self.loss()
                sync(self.device)
                t1 = time.perf_counter()
                self.opt.zero_grad(set_to_none=True)
                loss.backward()
                sync(self.device)
                t2 = time.perf_counter()
                self.opt.step()
                sync(self.device)
                t3 = time.perf_counter()
                acc["forward"] = acc.get("forward", 0.0) + t1 - t0
                acc["backward"] = acc.get("backward", 0.0) + t2 - t1
                acc["optimizer"] = acc.get("optimizer", 0.0) + t3 - t2
                total += t3 - t0
        finally:
            for h in handles:
                h.remove()
        parts = {f"forward_{k}": acc.get(k, 0.0) for k in ("encoder", "precoder", "channel", "decoder")}
        parts["forward_rest"] = acc["forward"] - sum(parts.values())  # grid mapping, loss, normalisation
        parts["backward"], parts["optimizer"] = acc["backward"], acc["optimizer"]
        return {k: round(v / total, 4) for k, v in parts.items()}


def check_outputs(ref: Step, fast: Step) -> dict[str, float]:
    """Largest output and gradient differences of the two paths on one step's inputs (same weights, same draws)."""
    res = []
    for st in (ref, fast):
        st.gen.manual_seed(3)
        st.opt.zero_grad(set_to_none=True)
        snr = (torch.rand(st.b, generator=st.gen) * 14 - 7).to(st.device)
        out = st.system(st.img, snr, generator=st.gen, h=st.h)
        loss = F.mse_loss(out["recon"], st.img) + 0.01 * F.cross_entropy(out["logits"].flatten(0, 1),
                                                                        st.labels.flatten())
        loss.backward()
        grads = {n: p.grad.detach().clone() for n, p in st.system.named_parameters() if p.grad is not None}
        res.append((out["recon"].detach(), grads))
        st.opt.zero_grad(set_to_none=True)
    scale = max(g.abs().max().item() for g in res[0][1].values())
    dg = max((res[0][1][n] - res[1][1][n]).abs().max().item() for n in res[0][1])
    return {"max_abs_recon_diff": (res[0][0] - res[1][0]).abs().max().item(), "max_grad_diff_over_max_grad": dg / scale}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--variants", default="full,no_pilot,rzf,djscc")
    ap.add_argument("--nf", type=int, default=32)
    ap.add_argument("--samples", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    ap.add_argument("--out", type=Path)
    a = ap.parse_args(argv)
    variants = [v for v in a.variants.split(",") if v]
    bad = [v for v in variants if v not in VARIANTS]
    if bad or not variants:
        print(f"error: --variants {a.variants!r}: expected a comma list of {', '.join(VARIANTS)}", file=sys.stderr)
        return 2
    for name in ("nf", "samples", "threads", "repeats", "steps"):
        if getattr(a, name) < 1:
            print(f"error: --{name} {getattr(a, name)} must be >= 1", file=sys.stderr)
            return 2
    if a.device == "cuda" and not torch.cuda.is_available():
        print("error: --device cuda but no CUDA device is visible", file=sys.stderr)
        return 2
    torch.set_num_threads(a.threads)
    peak = matmul_peak(a.device)
    print(f"float32 matmul peak: {peak:.1f} GFLOP/s ({a.threads} threads, {a.device})")
    rows: dict[str, Any] = {}
    for v in variants:
        ref = Step(v, a.nf, a.samples, False, a.device)
        fast = Step(v, a.nf, a.samples, True, a.device, state=ref.system.state_dict())
        agree = check_outputs(ref, fast)
        for st in (ref, fast):
            retain_freed_memory(st.fast)
            for _ in range(2):
                st()
        best = {"reference": 0.0, "fast": 0.0}
        for _ in range(a.repeats):
            best["reference"] = max(best["reference"], ref.rate(a.steps))
            best["fast"] = max(best["fast"], fast.rate(a.steps))
        flops, raw = fast.flops_per_image()
        share = fast.stage_share(a.steps)
        rows[v] = {
            "images_per_s": round(best["fast"], 1), "images_per_s_reference": round(best["reference"], 1),
            "speedup": round(best["fast"] / best["reference"], 3),
            "flops_per_image": round(flops), "flops_per_image_torch_raw": round(raw),
            "fraction_of_peak": round(flops * best["fast"] / (peak * 1e9), 3),
            "fraction_of_peak_reference": round(flops * best["reference"] / (peak * 1e9), 3),
            "stage_share": share, **agree,
        }
        print(f"{v:9s} reference {best['reference']:7.1f} img/s, fast {best['fast']:7.1f} img/s "
              f"(x{rows[v]['speedup']:.2f}), {flops / 1e6:.0f} MFLOP/img, "
              f"{rows[v]['fraction_of_peak']:.0%} of peak (reference {rows[v]['fraction_of_peak_reference']:.0%})")
        del ref, fast
    retain_freed_memory(False)
    result = {
        "benchmark": "mumimo_step", "command": "python benchmarks/" + Path(__file__).name + " " + " ".join(
            sys.argv[1:] if argv is None else argv),
        "device": a.device, "threads": a.threads, "num_subcarriers": a.nf, "samples_per_batch": a.samples,
        "images_per_batch": a.samples * 4, "repeats": a.repeats, "steps_per_repeat": a.steps,
        "matmul_peak_gflops": round(peak, 1), "torch": torch.__version__, "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "cuda_device": torch.cuda.get_device_name() if a.device == "cuda" else None,
        "variants": rows,
    }
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(a.out, lambda p: p.write_text(json.dumps(result, indent=1) + "\n"))
        print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
