"""``semcom complexity``: Table III of Li et al. 2025 -- parameters, memory and median inference time of the encoder,
precoder and decoder of each variant, measured in one run.

    semcom complexity --nf 128 --device cpu --repeats 50 --out results/mumimo/complexity_cpu.json

Per variant: parameter counts; memory as parameter bytes (float32) plus the peak of the part's own
activations for one sample (measured on CUDA with ``max_memory_allocated``; on CPU the parameter bytes only);
median wall time of ``repeats`` timed calls after warm-ups, for one sample of K users (encoder, precoder)
and one user (decoder, what a UE runs), batch 1.
"""

from __future__ import annotations

import json
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import torch

from semcom.data import atomic_write
from semcom.models.mumimo import count_parameters
from semcom.systems.mumimo import VARIANTS, MUMIMOSemanticSystem


def median_seconds(fn: Any, repeats: int, device: str) -> float:
    """Median wall time of ``repeats`` calls of ``fn`` after 3 warm-ups (CUDA synchronised around each)."""
    for _ in range(3):
        fn()
    times = []
    for _ in range(repeats):
        if device == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn()
        if device == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure(num_subcarriers: int = 128, device: str = "cpu", repeats: int = 30, variants: tuple[str, ...] = VARIANTS
            ) -> dict[str, Any]:
    from semcom.channels.tr38901 import MUMIMODownlinkChannel

    rows = []
    g = torch.Generator().manual_seed(0)
    for variant in variants:
        sys_ = MUMIMOSemanticSystem(MUMIMODownlinkChannel(None), num_subcarriers, variant).to(device).eval()
        img = torch.rand(1, 4, 3, 32, 32, device=device)
        h = (torch.complex(torch.randn(1, num_subcarriers, 14, 4, 4, generator=g),
                           torch.randn(1, num_subcarriers, 14, 4, 4, generator=g)) / 2**0.5).to(device)
        n0 = torch.tensor([0.1], device=device)
        with torch.no_grad():
            if variant == "djscc":
                enc = lambda: sys_.encoder.encode(img.flatten(0, 1))  # noqa: E731
            else:
                h_abs = h.abs().mean(2).permute(0, 2, 3, 1)
                enc = lambda: sys_.encoder(img, n0, h_abs)  # noqa: E731
            z = enc()
            s = torch.complex(z[..., 0::2], z[..., 1::2]).reshape(1, 4, -1)
            grid = sys_.grid.map(s[:, None].to(torch.complex64).cpu())[:, 0].to(device).permute(0, 3, 2, 1)
            pre = lambda: sys_.precoder(grid, h, n0)  # noqa: E731
            y = sys_(img, 10.0, h=h, generator=torch.Generator().manual_seed(0))
            if variant == "djscc":
                zr = torch.randn(1, 2 * sys_.n_sym, device=device)
                dec = lambda: sys_.decoder(zr)  # noqa: E731
            else:
                yr = torch.randn(1, 2, 14, num_subcarriers, device=device)
                ref = sys_.pilot_ref[:1].to(device)
                dec = lambda: sys_.decoder(yr, ref)  # noqa: E731
            del y
            row: dict[str, Any] = {"variant": variant, "num_subcarriers": num_subcarriers}
            for part, fn, mod in (("encoder", enc, sys_.encoder), ("precoder", pre, sys_.precoder), ("decoder", dec, sys_.decoder)):
                params = count_parameters(mod)
                peak = None
                if device == "cuda":
                    torch.cuda.reset_peak_memory_stats()
                    base = torch.cuda.memory_allocated()
                    fn()
                    peak = torch.cuda.max_memory_allocated() - base
                row[part] = {"parameters": params, "param_mib": round(params * 4 / 2**20, 3),
                             "activation_peak_mib": None if peak is None else round(peak / 2**20, 3),
                             "median_ms": round(1e3 * median_seconds(fn, repeats, device), 3)}
        rows.append(row)
    hw = torch.cuda.get_device_name(0) if device == "cuda" else f"CPU {platform.machine()}, {torch.get_num_threads()} threads"
    return {"what": "Li et al. 2025 Table III look-alike: one sample of 4 users (encoder, precoder), one user (decoder), batch 1",
            "device": hw, "torch": torch.__version__, "repeats": repeats, "rows": rows}


def table(res: dict[str, Any]) -> str:
    lines = [f"Device: {res['device']}", "", "| variant | N_f | encoder params | precoder params | decoder params | "
             "encoder ms | precoder ms | decoder ms |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in res["rows"]:
        lines.append(f"| {r['variant']} | {r['num_subcarriers']} | {r['encoder']['parameters'] / 1e6:.3f} M | "
                     f"{r['precoder']['parameters'] / 1e6:.3f} M | {r['decoder']['parameters'] / 1e6:.3f} M | "
                     f"{r['encoder']['median_ms']} | {r['precoder']['median_ms']} | {r['decoder']['median_ms']} |")
    return "\n".join(lines) + "\n"


def run(num_subcarriers: int, device: str, repeats: int, out: Path | None) -> dict[str, Any]:
    res = measure(num_subcarriers, device, repeats)
    if out is not None:
        atomic_write(out, lambda p: p.write_text(json.dumps(res, indent=1) + "\n"))
    return res
