"""RZF precoding of a MU-MISO OFDM training batch: solved for every OFDM symbol (before) against once per
subcarrier and broadcast over the slot (``semcom.channels.precoding.rzf_matrix`` on a slot-static channel),
measured in one run on channels from a 3GPP UMi bank (generated here), forward and forward + backward.

    OMP_NUM_THREADS=1 python benchmarks/rzf_slot.py --out results/benchmarks/rzf_slot_cpu.json

Timed: the unnormalised RZF matrix times the symbols of a batch of 64 samples x N_f subcarriers x 14 symbols
(4 users, 4 antennas), median of ``--repeats`` calls after three warm-ups; the ratio is before / after.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
from pathlib import Path
from typing import Any

import torch

from semcom.data import atomic_write
from semcom.evaluation.complexity import median_seconds


def run(nf: int = 32, batch: int = 64, repeats: int = 20) -> dict[str, Any]:
    from semcom.channels.sionna_rng import import_sionna

    import_sionna()
    from sionna.phy.mimo import rzf_precoding_matrix

    from semcom.channels.ofdm import OFDMGrid
    from semcom.channels.precoding import rzf_matrix, static_over_slot
    from semcom.channels.tr38901 import ChannelBank, TR38901Downlink

    with tempfile.TemporaryDirectory() as tmp:  # through a bank, as training draws them
        ChannelBank.generate(Path(tmp) / "bank", TR38901Downlink("umi", OFDMGrid(nf)), batch, seed=0)
        h = ChannelBank(Path(tmp) / "bank").draw(batch, torch.Generator().manual_seed(0))
    g = torch.Generator().manual_seed(0)
    s = torch.complex(torch.randn(*h.shape[:-1], generator=g), torch.randn(*h.shape[:-1], generator=g))
    alpha = torch.tensor(1.0, requires_grad=True)
    reg = (alpha * torch.full((batch, 1, 1), 0.1)).detach()
    assert static_over_slot(h, reg), "the bank's channel varies over the slot: nothing to share"

    def before(grad: bool) -> None:
        x = (rzf_precoding_matrix(h, alpha * 0.1, precision="single") @ s[..., None])[..., 0]
        if grad:
            x.abs().sum().backward()

    def after(grad: bool) -> None:
        x = (rzf_matrix(h, alpha * 0.1) @ s[..., None])[..., 0]
        if grad:
            x.abs().sum().backward()

    rows = {}
    for name, grad in (("forward", False), ("forward_backward", True)):
        t_before = median_seconds(lambda grad=grad: before(grad), repeats, "cpu")
        t_after = median_seconds(lambda grad=grad: after(grad), repeats, "cpu")
        rows[name] = {"before_ms": round(1e3 * t_before, 3), "after_ms": round(1e3 * t_after, 3),
                      "speedup": round(t_before / t_after, 2)}
    return {"command": "OMP_NUM_THREADS=1 python benchmarks/rzf_slot.py", "machine": platform.machine(),
            "threads": torch.get_num_threads(), "torch": torch.__version__, "nf": nf, "batch": batch,
            "shape": list(h.shape), "repeats": repeats, "rows": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nf", type=int, default=32)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()
    res = run(a.nf, a.batch, a.repeats)
    print(json.dumps(res, indent=1))
    if a.out:
        atomic_write(a.out, lambda p: p.write_text(json.dumps(res, indent=1) + "\n"))


if __name__ == "__main__":
    main()
