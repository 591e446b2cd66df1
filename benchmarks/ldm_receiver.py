"""Images per second of the LDM-receiver paper's receiver (1, 10 and 50 DDIM steps; the single-step estimate) against the
DJSCC decoder at the same channel uses, measured in one run.

    .venv/bin/python benchmarks/ldm_receiver.py --codec runs/ldm/vae_animals/checkpoints/last.ckpt \\
        --denoiser runs/ldm/denoiser_animals/checkpoints/last.ckpt \\
        --djscc runs/ldm/djscc_animals_dlps/checkpoints/last.ckpt [--device cuda] [--out FILE]

Timed: the receiver only (from the received latent to the image: SNR estimate, t*/s, reverse process,
VAE decoder; for DJSCC its decoder), batch ``--batch`` of 32x32 images at 5 dB, median of ``--repeats``
calls after three warm-ups. Without checkpoints the untrained CPU-sized models are timed (same cost).
The ratio column is images/s of DJSCC over that receiver.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
from pathlib import Path
from typing import Any

import torch

from semcom.channels import AWGNChannel
from semcom.data import atomic_write
from semcom.evaluation.complexity import median_seconds


def run(codec: str | None, denoiser: str | None, djscc: str | None, device: str = "cpu", batch: int = 64,
        repeats: int = 5, steps: tuple[int, ...] = (1, 10, 50)) -> dict[str, Any]:
    from semcom.evaluation.point_to_point import load_checkpoint
    from semcom.models import create as create_model
    from semcom.models.diffusion import DiffusionDenoiser
    from semcom.models.latent import LatentCodec
    from semcom.systems.ldm import LDMReceiverSystem, load_codec, load_denoiser

    torch.manual_seed(0)
    c = (load_codec(codec) if codec else LatentCodec.small(width=32)).to(device).eval()
    d = (load_denoiser(denoiser) if denoiser else DiffusionDenoiser.small(width=32)).to(device).eval()
    if djscc:
        model = load_checkpoint(djscc).model.to(device).eval()
    else:
        model = create_model("djscc", k=128, adapter="linear").to(device).eval()
    x = torch.rand(batch, 3, 32, 32, device=device)
    rows = []
    with torch.no_grad():
        z = model.encode(x)
        y_dj = z + 0.3 * torch.randn_like(z)
        t_dj = median_seconds(lambda: model.decode(y_dj, (32, 32)), repeats, device)
        rows.append({"receiver": "djscc decoder", "s_per_batch": t_dj, "images_per_s": batch / t_dj, "djscc_ratio": 1.0})
        zl = c.encode(x)
        yr = zl + math.sqrt(10 ** -0.5) * torch.randn_like(zl)  # 5 dB: N0 / 2 per real dimension of z / sqrt(2)
        sigma2 = torch.full((batch,), 10 ** -0.5, dtype=torch.float64)
        for label, sampler, n in [("single-step", "single", 1)] + [(f"ddim:{n}", "ddim", n) for n in steps]:
            rx = LDMReceiverSystem(c, d, AWGNChannel(), sampler=sampler, steps=n)
            t = median_seconds(lambda: rx.receive(yr, sigma2), repeats, device)
            rows.append({"receiver": f"ldm {label}", "s_per_batch": t, "images_per_s": batch / t,
                         "djscc_ratio": (batch / t_dj) / (batch / t)})
    return {"benchmark": "ldm_receiver", "device": device, "torch": torch.__version__, "threads": torch.get_num_threads(),
            "cpu": platform.processor() or platform.machine(),
            "gpu": torch.cuda.get_device_name(0) if device == "cuda" else None, "batch": batch, "repeats": repeats,
            "codec": codec or "untrained LatentCodec.small(width=32)",
            "denoiser": denoiser or "untrained DiffusionDenoiser.small(width=32)",
            "djscc": djscc or "untrained djscc k=128", "rows": rows}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--codec")
    p.add_argument("--denoiser")
    p.add_argument("--djscc")
    p.add_argument("--device", default="cpu")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--out")
    a = p.parse_args(argv)
    res = run(a.codec, a.denoiser, a.djscc, a.device, a.batch, a.repeats)
    for r in res["rows"]:
        print(f"{r['receiver']:>20}: {r['images_per_s']:10.1f} images/s  (DJSCC decoder is {r['djscc_ratio']:.1f}x faster)")
    if a.out:
        atomic_write(Path(a.out), lambda t: t.write_text(json.dumps(res, indent=1) + "\n"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
