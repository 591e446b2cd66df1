"""Adding a converged training to the zoo (maintainers; on purpose only): ``python scripts/zoo_publish.py NAME``.

:func:`publish` writes the slim float16 weights into ``semcom/zoo/weights``, measures the golden numbers from
that file (embedded images, AWGN, seed 0) and the full CIFAR-10 test split, and writes the manifest entry with
the training record taken from the run's ``summary.json``. Re-running it on the same checkpoint gives the same
file, hash and numbers.
"""

from __future__ import annotations

import json
import platform
import subprocess
from pathlib import Path
from typing import Any

from semcom.checkpoint import export_checkpoint, read_checkpoint
from semcom.data import atomic_write
from semcom.errors import SemcomError
from semcom.zoo import MANIFEST, WEIGHTS, ZooEntry, canonical, sha256_file

__all__ = ["GOLDEN_SNR_DB", "PAPERS", "TEST_SNR_DB", "golden_numbers", "publish"]

#: the system papers of the zoo's model names
PAPERS = {
    "djscc": "Bourtsoulatze, Kurka, Gunduz 2019, IEEE TCCN 5(3) (deep JSCC)",
    "adjscc": "Xu, Ai, Chen, Yang, Sun, Rodrigues 2022, IEEE TCSVT 32(4) (ADJSCC, attention modules)",
}
GOLDEN_SNR_DB = [0.0, 10.0, 20.0]
#: the full-test-split points: every dB from 0 to 20 (the grids of Bourtsoulatze Fig. 3 and ADJSCC Figs. 4-6)
TEST_SNR_DB = [float(s) for s in range(0, 21)]


def _points(results: dict[str, Any], channel: str) -> dict[str, Any]:
    rows = [r for r in results["rows"] if r["channel"] == channel]
    return {"snr_db": [r["snr_db"] for r in rows], "psnr": [round(r["psnr"], 4) for r in rows],
            "psnr_of_mean_mse": [round(r["psnr_of_mean_mse"], 4) for r in rows],
            "num_images": rows[0]["num_images"] if rows else 0}


def golden_numbers(weights: str | Path, channel: str = "awgn", snr_db: list[float] | None = None,
                   dataset: str = "embedded", eval_seed: int = 0, batch_size: int = 500) -> dict[str, Any]:
    """PSNR of a weights file at ``snr_db`` over ``channel`` (perfect CSI for fading) on ``dataset``'s test split."""
    from semcom.evaluation.point_to_point import evaluate

    results = evaluate([weights], snr_db or GOLDEN_SNR_DB, [channel], ["perfect"], dataset=dataset, split="test",
                       seed=eval_seed, batch_size=batch_size, metrics=("psnr",))
    return {"dataset": dataset, "split": "test", "eval_seed": eval_seed, "channel": channel,
            "csi": "perfect" if channel != "awgn" else None, **_points(results, channel), "_results": results}


def _git_commit(repo: Path) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


def _training_record(summary: dict[str, Any], info: dict[str, Any], repo: Path) -> dict[str, Any]:
    epochs = int(summary.get("epochs") or (info["epoch"] or 0) + 1)
    record: dict[str, Any] = {
        "published_at_commit": _git_commit(repo),
        "hardware": summary.get("hardware"), "torch": summary.get("torch"), "devices": summary.get("devices"),
        "epochs": epochs, "global_step": summary.get("global_step"),
        "image_passes": summary.get("train_images"),
        "wall_time_s": summary.get("wall_time_s"),
        "final_val_psnr_db": summary.get("val_psnr"),
        "converged": summary.get("converged"),
        "resumes": summary.get("resumes", 0),
    }
    if summary.get("wall_time_s") is None and summary.get("timed_wall_time_s") is not None:
        record["timed_wall_time_s"] = summary["timed_wall_time_s"]
        record["timed_epochs"] = summary.get("timed_epochs")
        record["wall_time_note"] = ("the epochs before the first resume were not timed; timed_wall_time_s covers "
                                    "timed_epochs = [first, end) only")
    return record


def publish(name: str, checkpoint: str | Path, summary: str | Path | None = None, test: bool = True,
            results_dir: str | Path | None = None, manifest: str | Path = MANIFEST, weights: str | Path = WEIGHTS,
            url: str | None = None, repo: str | Path = ".") -> ZooEntry:
    """Add (or replace) zoo model ``name`` from a training checkpoint; returns its entry.

    ``summary``: the run's ``summary.json`` (the training record); ``test``: also measure the full CIFAR-10 test
    split at :data:`TEST_SNR_DB` (writes ``results_dir/NAME.json``/``.csv`` in the result schema when given).
    """
    from semcom.evaluation.results import write_results
    from semcom.systems.registry import spec_for

    key = canonical(name)
    info = read_checkpoint(checkpoint)
    recipe = info["recipe"]
    spec = spec_for(recipe)
    if spec.name != "point_to_point":
        raise SemcomError(f"the zoo holds point-to-point models; {checkpoint} holds a {spec.name!r} system")
    model = recipe["model"]["name"]
    if model not in PAPERS:
        raise SemcomError(f"no paper known for model {model!r}; add it to semcom.zoo.publish.PAPERS")
    sampler = recipe["sampler"]
    train_snr = ([float(sampler["snr_db"])] if sampler["name"] == "dedicated"
                 else [float(sampler["snr_min_db"]), float(sampler["snr_max_db"])])
    channel = recipe["channel"]["name"]
    weights = Path(weights)
    weights.mkdir(parents=True, exist_ok=True)
    file = f"{key}.ckpt"
    export_checkpoint(checkpoint, weights / file, half=True)
    golden = golden_numbers(weights / file, channel=channel)
    golden.pop("_results")
    test_numbers = None
    if test:
        measured = golden_numbers(weights / file, channel=channel, snr_db=TEST_SNR_DB, dataset="cifar10",
                                  batch_size=1000)
        res = measured.pop("_results")
        res["command"] = f"python scripts/zoo_publish.py {key}  (= semcom zoo eval {key} --channel {channel} --snr 0:20:1)"
        test_numbers = {**measured, "note": "CIFAR-10 test split, JPEG-decoded copy (quality 75)"}
        if results_dir is not None:
            write_results(res, Path(results_dir), key, plot=False)
    summary_dict = json.loads(Path(summary).read_text()) if summary is not None else {}
    system: Any = spec.load(info, Path(checkpoint))  # a point-to-point system (k, bandwidth_ratio)
    entry = ZooEntry(
        name=key, paper=PAPERS[model], system=spec.name, model=model,
        dataset="CIFAR-10 train split (50,000 images, JPEG-decoded copy, quality 75)",
        k=int(system.k), bandwidth_ratio=float(system.bandwidth_ratio),
        channel=channel + (f" ({recipe['channel'].get('csi', 'perfect')} CSI)" if channel != "awgn" else ""),
        train_snr_db=train_snr, recipe=f"configs/zoo/{recipe['name']}.yaml", file=file,
        sha256=sha256_file(weights / file), size_bytes=(weights / file).stat().st_size, url=url,
        training={**_training_record(summary_dict, info, Path(repo)), "platform": platform.platform()},
        golden=golden, test=test_numbers,
    )
    try:
        raw = json.loads(Path(manifest).read_text())
    except FileNotFoundError:
        raw = {"models": []}
    models = [m for m in raw.get("models", []) if m["name"] != key] + [entry.__dict__]
    raw = {"about": "semcom's pretrained zoo; written by semcom.zoo.publish (scripts/zoo_publish.py), not by hand",
           "models": sorted(models, key=lambda m: m["name"])}
    atomic_write(Path(manifest), lambda p: p.write_text(json.dumps(raw, indent=1) + "\n"))
    return entry
