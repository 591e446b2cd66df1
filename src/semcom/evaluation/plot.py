"""Plots: PSNR (or SSIM, MS-SSIM) against SNR, one panel per channel; reconstruction grids."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from semcom.data import atomic_write  # noqa: E402
from semcom.errors import SemcomError  # noqa: E402

LABELS = {"psnr": "PSNR (dB, mean of per-image)", "ssim": "SSIM", "ms_ssim": "MS-SSIM", "accuracy": "classification accuracy"}


def _save(fig: Any, path: Path) -> Path:
    atomic_write(path, lambda p: fig.savefig(p, format="png", dpi=120, bbox_inches="tight"))
    plt.close(fig)
    return path


def selection_warnings(results: list[dict[str, Any]], names: list[str]) -> list[str]:
    """Why overlaying ``results`` may mislead: different images (dataset, split, number, selection), PSNR
    reductions, SNR conventions or evaluation seeds. One line per differing field; empty when they agree."""
    fields = {
        "images": lambda r: json.dumps({k: (r.get("dataset") or {}).get(k) for k in ("name", "split", "num_images",
                                                                                      "selection", "classes")},
                                       sort_keys=True),
        "PSNR reduction": lambda r: r.get("psnr_reduction"),
        "SNR convention": lambda r: r.get("snr_convention"),
        "evaluation seed": lambda r: r.get("eval_seed"),
    }
    out = []
    for what, get in fields.items():
        values = {n: get(r) for n, r in zip(names, results)}
        if len(set(map(str, values.values()))) > 1:
            out.append(f"the overlaid results differ in their {what}: "
                       + "; ".join(f"{n}: {v}" for n, v in values.items()))
    return out


def plot_results(results: list[dict[str, Any]], out: str | Path, metric: str = "psnr",
                 names: list[str] | None = None, title: str | None = None) -> Path:
    """Overlay result dicts (from ``semcom eval`` or ``semcom baseline``); one panel per channel/CSI."""
    if metric not in LABELS:
        raise SemcomError(f"metric {metric!r} is not plotted; expected one of {', '.join(LABELS)}")
    curves: dict[tuple[str, str], dict[str, list[tuple[float, float]]]] = {}
    prefix = len(results) > 1
    for i, res in enumerate(results):
        tag = (names[i] if names else f"run{i + 1}") if prefix else ""
        for r in res["rows"]:
            if r.get(metric) is None:
                continue
            panel = (r["channel"], r.get("csi", "-"))
            label = f"{tag}:{r['model']}" if tag else r["model"]
            curves.setdefault(panel, {}).setdefault(label, []).append((r["snr_db"], r[metric]))
    if not curves:
        raise SemcomError(f"no {metric} values to plot")
    n = len(curves)
    fig, axes = plt.subplots(1, n, figsize=(5.2 * n, 4.0), squeeze=False)
    for ax, ((ch, csi), lines) in zip(axes[0], sorted(curves.items())):
        for label, pts in lines.items():
            pts.sort()
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", markersize=3, label=label)
        ax.set_title(ch + (f" ({csi} CSI)" if csi != "-" else ""))
        ax.set_xlabel("SNR (dB), Es/N0 per complex symbol")
        ax.set_ylabel(LABELS[metric])
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    return _save(fig, Path(out))


def plot_reconstructions(images: torch.Tensor, recons: dict[str, torch.Tensor], out: str | Path,
                         snr_labels: list[str] | None = None) -> Path:
    """A grid: the originals in the first row, then one row per reconstruction set.

    Args:
        images: float [N, 3, H, W] in [0, 1].
        recons: row label -> float [N, 3, H, W].
    """
    rows = [("original", images), *recons.items()]
    n = images.shape[0]
    fig, axes = plt.subplots(len(rows), n, figsize=(1.1 * n + 1.5, 1.15 * len(rows)), squeeze=False)
    for r, (label, batch) in enumerate(rows):
        for c in range(n):
            ax = axes[r][c]
            ax.imshow(batch[c].permute(1, 2, 0).clamp(0, 1).cpu().numpy(), interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=7)
    return _save(fig, Path(out))
