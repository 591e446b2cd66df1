"""``semcom mismatch``: training condition (SNR or method) x test SNR, for a set of checkpoints.

    semcom mismatch ckpt1 ckpt2 ... --snr 0:20:1 --channel awgn --channel rayleigh --out results/robust

Evaluates every checkpoint with :func:`semcom.evaluation.point_to_point.evaluate` (same images, same noise for every
model), then writes ``NAME.json`` (the evaluation plus a ``grid`` per channel and metric), ``NAME.md``
(tables: PSNR, SSIM, accuracy for classifiers, and the gap to the best model at each test SNR) and
``NAME.png`` (heat maps of the gap to the best model at each test SNR: 0 where a model is the best one,
negative where it loses, so the row that stays near 0 is the one that holds up under mismatch).
Each model's label says how it was trained and its channel uses per image (K, K/N).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from semcom.checkpoint import read_checkpoint
from semcom.data import atomic_write
from semcom.evaluation.point_to_point import evaluate
from semcom.evaluation.results import write_results


def training_condition(recipe: dict[str, Any]) -> str:
    """A short description of how a checkpoint was trained: sampler/SNR, objective, robust method, model."""
    s = recipe["sampler"]
    snr = (f"{s['snr_db']:g} dB" if s["name"] == "dedicated"
           else f"{s['name'].upper()} [{s['snr_min_db']:g}, {s['snr_max_db']:g}] dB")
    parts = [recipe["model"]["name"], snr]
    cond = recipe["model"].get("conditioning")
    if cond and cond != "none":
        parts.append(f"cond={cond}")
    if recipe["model"].get("snr_map"):
        parts.append("snr-map")
    obj = recipe.get("objective") or {}
    if obj.get("task"):
        parts.append(f"lambda={float(obj.get('lam', 1.0)):g}")
    rob = recipe.get("robust") or {}
    if rob.get("method", "none") != "none":
        parts.append(rob["method"] + (f" beta={rob['beta']:g}" if rob["method"] == "kl" else f" eps={rob['eps']:g}"))
    return ", ".join(parts)


def grid(results: dict[str, Any], metric: str) -> dict[str, dict[str, Any]]:
    """(channel/csi) -> {"models": [...], "snr_db": [...], "values": [[...]] } for one metric."""
    out: dict[str, dict[str, Any]] = {}
    panels = list(dict.fromkeys((r["channel"], r["csi"]) for r in results["rows"]))
    models = [m["label"] for m in results["models"]]
    for ch, csi in panels:
        rows = [r for r in results["rows"] if (r["channel"], r["csi"]) == (ch, csi) and r.get(metric) is not None]
        if not rows:
            continue
        snrs = sorted({r["snr_db"] for r in rows})
        look = {(r["model"], r["snr_db"]): r[metric] for r in rows}
        vals = [[look.get((m, s)) for s in snrs] for m in models]
        out[ch + ("" if csi == "-" else f"/{csi}")] = {"models": models, "snr_db": snrs, "values": vals}
    return out


def _md_table(g: dict[str, Any], fmt: str, gap: bool = False) -> str:
    snrs, vals = g["snr_db"], np.array([[np.nan if v is None else v for v in row] for row in g["values"]], float)
    if gap:
        vals = vals - np.nanmax(vals, axis=0, keepdims=True)
    head = "| model | " + " | ".join(f"{s:g}" for s in snrs) + " |\n|---|" + "---:|" * len(snrs) + "\n"
    return head + "\n".join(f"| {m} | " + " | ".join("-" if np.isnan(v) else format(v, fmt) for v in row) + " |"
                            for m, row in zip(g["models"], vals)) + "\n"


def plot(grids: dict[str, dict[str, Any]], out: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(grids)
    first = next(iter(grids.values()))
    fig, axes = plt.subplots(1, n, figsize=(max(6.0, 0.45 * len(first["snr_db"])) * n, 0.5 * len(first["models"]) + 2.2),
                             squeeze=False)
    for ax, (panel, g) in zip(axes[0], grids.items()):
        vals = np.array([[np.nan if v is None else v for v in row] for row in g["values"]], float)
        gap = vals - np.nanmax(vals, axis=0, keepdims=True)
        im = ax.imshow(gap, aspect="auto", cmap="viridis", vmin=min(-3.0, float(np.nanmin(gap))), vmax=0.0)
        ax.set_xticks(range(len(g["snr_db"])), [f"{s:g}" for s in g["snr_db"]], fontsize=7)
        ax.set_yticks(range(len(g["models"])), g["models"], fontsize=7)
        ax.set_xlabel("test SNR (dB)")
        ax.set_title(f"{panel}: PSNR - best PSNR at that test SNR (dB)", fontsize=9)
        for i in range(gap.shape[0]):
            for j in range(gap.shape[1]):
                if not np.isnan(vals[i, j]):
                    ax.text(j, i, f"{vals[i, j]:.1f}", ha="center", va="center", fontsize=5.5,
                            color="w" if gap[i, j] < -1.5 else "k")
        fig.colorbar(im, ax=ax, fraction=0.03)
    fig.suptitle(title, fontsize=10)
    atomic_write(out, lambda p: fig.savefig(p, format="png", dpi=120, bbox_inches="tight"))
    plt.close(fig)
    return out


def run(checkpoints: list[str | Path], snr_db: list[float], channels: list[str], csi: list[str], out: Path,
        name: str = "mismatch", metrics: tuple[str, ...] = ("psnr", "ssim"), snr_source: str | None = None,
        **eval_kwargs: Any) -> dict[str, Any]:
    recipes = [read_checkpoint(p)["recipe"] for p in checkpoints]
    res = evaluate(checkpoints, snr_db, channels, csi, metrics=metrics, snr_source=snr_source, **eval_kwargs)
    for meta, rec in zip(res["models"], recipes):
        meta["trained"] = training_condition(rec)
    res["snr_source"] = snr_source or "as trained"
    return write(res, out, name)


def write(res: dict[str, Any], out: Path, name: str = "mismatch") -> dict[str, Any]:
    """Add the grids of ``res`` (an evaluation whose models carry ``trained``, e.g. several merged ones) and
    write ``NAME.json``, ``NAME.md`` and ``NAME.png``; returns ``res``."""
    metrics = [m for m in ("psnr", "ssim", "ms_ssim") if any(r.get(m) is not None for r in res["rows"])]
    res["grid"] = {m: grid(res, m) for m in (*metrics, "accuracy") if grid(res, m)}
    lines = [f"# SNR mismatch: {name}", "",
             "Generated by `semcom mismatch`; rows are models, columns test SNR (dB); PSNR is the mean of",
             "per-image PSNR. Receiver SNR: " + res["snr_source"] + ".", "", "| model | trained | K | K/N |", "|---|---|---:|---:|"]
    for m in res["models"]:
        lines.append(f"| {m['label']} | {m['trained']} | {m['k']} | {m['bandwidth_ratio']:.4f} |")
    lines.append("")
    for metric, grids in res["grid"].items():
        for panel, g in grids.items():
            fmt = ".2f" if metric == "psnr" else ".3f"
            lines += [f"## {metric} over {panel}", "", _md_table(g, fmt)]
            if metric == "psnr":
                lines += [f"Gap to the best model at each test SNR (dB), {panel}:", "", _md_table(g, "+.2f", gap=True)]
    title = f"SNR mismatch ({res['dataset']['name']}, {res['dataset']['num_images']} images)"
    write_results(res, out, name, plot=False, extra={
        "md": lambda p: p.write_text("\n".join(lines) + "\n"),
        "png": lambda p: plot(res["grid"]["psnr"], p, title)})
    return res


def print_summary(res: dict[str, Any]) -> str:
    return "\n".join(f"{m['label']}: {m['trained']}; K = {m['k']} channel uses per image (K/N = {m['bandwidth_ratio']:.4f})"
                     for m in res["models"])
