"""Publish converged zoo trainings (issue 21): slim float16 weights into src/semcom/zoo/weights, the manifest
entry (training record, SHA-256, golden numbers on the embedded images, the full CIFAR-10 test split at 0-20 dB)
and results/zoo/eval/NAME.json. On purpose only (it rewrites the committed goldens of the models it names).

    .venv/bin/python scripts/zoo_publish.py bourtsoulatze2019_cifar10_k512_awgn_snr0-20 [...]
    .venv/bin/python scripts/zoo_publish.py --all      # every configs/zoo recipe whose run has converged
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from semcom.zoo.publish import publish

RUNS, TRAIN = Path("runs/zoo"), Path("results/zoo/train")


def converged(name: str) -> bool:
    summary = TRAIN / f"{name}.summary.json"
    return summary.is_file() and bool(json.loads(summary.read_text()).get("converged"))


def main(names: list[str]) -> int:
    if names == ["--all"]:
        names = sorted(p.stem for p in Path("configs/zoo").glob("*.yaml") if converged(p.stem))
    for name in names:
        if not converged(name):
            print(f"error: {name} has not converged (no converged summary in {TRAIN})", file=sys.stderr)
            return 2
        ckpt = RUNS / name / "checkpoints" / "last.ckpt"
        if not ckpt.is_file():
            ckpt = Path("results/zoo/resume") / f"{name}.ckpt"
        entry = publish(name, ckpt, summary=TRAIN / f"{name}.summary.json", results_dir=Path("results/zoo/eval"))
        print(f"published {entry.name}: {entry.file} sha256 {entry.sha256[:16]}... golden PSNR "
              + ", ".join(f"{s:g} dB {p:.2f}" for s, p in zip(entry.golden["snr_db"], entry.golden["psnr"])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
