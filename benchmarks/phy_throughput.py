"""Physical-layer speed: 38.901 channel generation per sample, channel-bank draws against calling
Sionna per batch (same run, ratio reported), and 5G LDPC decoding throughput.

    .venv/bin/python benchmarks/phy_throughput.py [--batch 64] [--out results/benchmarks/phy_cpu.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from semcom.channels.digital import DigitalLink
from semcom.channels.ofdm import OFDMGrid
from semcom.channels.tr38901 import ChannelBank, TR38901Downlink
from semcom.data import atomic_write
from semcom.training.fit import hardware


def timed(fn: Any, repeats: int) -> float:
    fn()  # warm-up
    t0 = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - t0) / repeats


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--bank-size", type=int, default=512)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    res: dict[str, Any] = {"benchmark": "phy_throughput", "hardware": hardware(), "torch": torch.__version__,
                           "python": platform.python_version(), "batch": args.batch, "generation_ms_per_sample": {}}
    for sc in ("umi", "uma", "rma"):
        for nf in (32, 128):
            gen = TR38901Downlink(sc, OFDMGrid(nf), seed=0)
            dt = timed(lambda: gen.generate(args.batch), args.repeats)
            res["generation_ms_per_sample"][f"{sc}_nf{nf}"] = round(1e3 * dt / args.batch, 3)
    gen = TR38901Downlink("umi", OFDMGrid(128), seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        bank = ChannelBank.generate(Path(tmp) / "bank", gen, args.bank_size, batch_size=64)
        g = torch.Generator().manual_seed(0)
        t_bank = timed(lambda: bank.draw(args.batch, g), 20)
        t_sionna = timed(lambda: gen.generate(args.batch), args.repeats)
    res["bank_umi_nf128"] = {"draws_per_s_bank": round(args.batch / t_bank, 1),
                             "draws_per_s_sionna": round(args.batch / t_sionna, 1),
                             "speedup": round(t_sionna / t_bank, 1), "goal": ">= 10x"}
    res["ldpc_decode"] = {}
    for k, rate in ((1024, "1/2"), (1024, "2/3")):
        link = DigitalLink(k, rate, 2)
        llr = torch.randn(32, link.n) * 4
        dt = timed(lambda: link.decoder(llr), args.repeats)
        res["ldpc_decode"][f"k{k}_r{rate.replace('/', '-')}"] = {"info_Mbit_per_s": round(32 * k / dt / 1e6, 3),
                                                                 "iterations": 20, "batch": 32}
    res["command"] = "python benchmarks/phy_throughput.py " + " ".join(argv if argv is not None else sys.argv[1:])
    print(json.dumps(res, indent=2))
    if args.out:
        atomic_write(args.out, lambda p: p.write_text(json.dumps(res, indent=2) + "\n"))
    return res


if __name__ == "__main__":
    main()
