"""What a sweep launcher costs: the same 4 trials (a short DJSCC training on the embedded CIFAR-10 subset and its
evaluation each) run by hand, one after the other (``semcom train`` then ``semcom eval``, the reference), and
through ``semcom sweep`` with each launcher, one worker (sequential: the launcher's overhead) and two workers
(the speed-up over sequential), all in one run on an otherwise idle machine, one CPU thread per trial.

    python benchmarks/sweep_overhead.py --out results/benchmarks/sweep_cpu.json

Per launcher and worker count: wall seconds and ratio over by hand; for one worker the overhead per trial
((wall - by hand) / trials, with the sweep command's own start-up, checks and merge), for two workers the
speed-up over by hand. The
merged rows of every launcher are checked equal to the by-hand evaluation. SLURM is not timed here (no
cluster): its overhead is the queue's, and its job script is checked by ``tests/test_sweep.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RECIPE = ("name: bench\nmodel: {{name: djscc, k: 88, adapter: linear}}\n"
          "data: {{dataset: embedded, limit_train: {images}, limit_val: 100}}\n"
          "train: {{epochs: {epochs}, batch_size: 64, out_dir: {out}, progress_bar: false, accelerator: cpu}}\n")
EVAL = ["--dataset=embedded", "--snr=0,10,20", "--limit=100", "--metrics=psnr", "--no-plot"]
GRID = [("dlps", 0), ("blps", 0), ("dlps", 1), ("blps", 1)]


def _sweep_file(tmp: Path, recipe: Path) -> Path:
    path = tmp / "bench_sweep.yaml"
    path.write_text(
        f"name: bench\nrecipe: {recipe}\naxes:\n  train.seed: [0, 1]\n  sampler.name: [dlps, blps]\n"
        "trial_name: 'bench_{sampler.name}_seed{train.seed}'\nthreads: 1\n"
        "evaluate:\n  - {name: ev, command: eval, options: {dataset: embedded, snr: '0,10,20', limit: 100, "
        "metrics: psnr, no_plot: true}}\n")
    return path


def _run(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark command failed: {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    return time.perf_counter() - start


def run(images: int = 500, epochs: int = 3, launchers: tuple[str, ...] = ("local", "ray")) -> dict[str, Any]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    py = [sys.executable, "-m", "semcom"]
    out: dict[str, Any] = {"trials": len(GRID), "trial": f"djscc K=88 on {images} embedded CIFAR-10 images x {epochs} "
                           "epochs (batch 64), then PSNR at 0/10/20 dB on 100 images", "threads_per_trial": 1}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        recipe = tmp / "bench.yaml"
        recipe.write_text(RECIPE.format(images=images, epochs=epochs, out=tmp / "unused"))
        # by hand, one after the other
        start = time.perf_counter()
        ckpts = []
        for m, s in GRID:
            name = f"bench_{m}_seed{s}"
            _run([*py, "train", str(recipe), f"sampler.name={m}", f"train.seed={s}", f"name={name}",
                  f"train.out_dir={tmp / 'hand'}"], env)
            ckpt = tmp / "hand" / name / "checkpoints" / "last.ckpt"
            _run([*py, "eval", str(ckpt), *EVAL, f"--out={tmp / 'hand' / name}", "--name=ev"], env)
            ckpts.append(ckpt)
        hand = time.perf_counter() - start
        out["by_hand_s"] = round(hand, 2)
        rows = [r for m, s in GRID
                for r in json.loads((tmp / "hand" / f"bench_{m}_seed{s}" / "ev.json").read_text())["rows"]]
        order = {f"bench_{m}_seed{s}": i for i, (m, s) in enumerate(GRID)}
        rows.sort(key=lambda r: (order[r["model"]], r["snr_db"]))
        sweep = _sweep_file(tmp, recipe)
        for launcher in launchers:
            for workers in (1, 2):
                where = tmp / f"{launcher}{workers}"
                wall = _run([*py, "sweep", str(sweep), f"--launcher={launcher}", f"--workers={workers}",
                             f"--out={where}"], env)
                merged = json.loads((where / "ev.json").read_text())["rows"]
                merged.sort(key=lambda r: (order[r["model"]], r["snr_db"]))
                key = f"{launcher}_{workers}_workers"
                out[key] = {"wall_s": round(wall, 2), "ratio_over_by_hand": round(wall / hand, 3)}
                if workers == 1:  # sequential like the reference: the difference is the launcher's cost
                    out[key]["overhead_per_trial_s"] = round((wall - hand) / len(GRID), 2)
                out[key]["rows_equal_by_hand"] = merged == rows
                if workers == 2:
                    out[key]["speedup_over_sequential_by_hand"] = round(hand / wall, 3)
                print(key, out[key], flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=500)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--launchers", default="local,ray")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    res = run(args.images, args.epochs, tuple(x for x in args.launchers.split(",") if x))
    import torch

    res.update(hardware=f"CPU {platform.machine()}, {os.cpu_count()} cores", torch=torch.__version__,
               command="python benchmarks/sweep_overhead.py " + " ".join(sys.argv[1:]),
               slurm="not timed (no SLURM cluster on this machine): its overhead is the queue's; the job script "
                     "is checked by tests/test_sweep.py")
    try:
        import ray

        res["ray"] = ray.__version__
    except ImportError:
        pass
    text = json.dumps(res, indent=1) + "\n"
    print(text)
    if args.out:
        from semcom.data import atomic_write

        atomic_write(args.out, lambda p: p.write_text(text))


if __name__ == "__main__":
    main()
