"""Helpers shared by the generated reports: result curves, Markdown tables, training tables, figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from semcom.data import atomic_write
from semcom.reports.facts import epoch_images
from semcom.training.summary import read_summary, wall_time_text


def curve(res: dict[str, Any], model: str, channel: str = "awgn", key: str = "psnr") -> dict[float, float]:
    """{SNR dB: value} of one model on one channel of a ``semcom eval``-format result (rows without the value skipped)."""
    return {float(r["snr_db"]): r[key] for r in res["rows"]
            if r["model"] == model and r["channel"] == channel and r.get(key) is not None}


def md_table(res: dict[str, Any], models: list[str], snrs: list[float], channel: str = "awgn", key: str = "psnr",
             fmt: str = ".2f") -> list[str]:
    """A Markdown table, a row per model (models without values left out), a column per SNR."""
    lines = ["| model | " + " | ".join(f"{s:g} dB" for s in snrs) + " |", "|---|" + "---:|" * len(snrs)]
    for m in models:
        c = curve(res, m, channel, key)
        if c:
            lines.append(f"| {m} | " + " | ".join(format(c[s], fmt) if s in c else "-" for s in snrs) + " |")
    return lines + [""]


def training_table(folder: Path, passes: bool = False, hardware: bool = False) -> list[str]:
    """The runs of ``folder/train/*.summary.json``: epochs, images per epoch (and image passes), wall time, speed
    (and the hardware each ran on)."""
    summaries = sorted(folder.glob("train/*.summary.json"))
    if not summaries:
        return []
    head = ("| run | epochs | images/epoch |" + (" image passes |" if passes else "") + " wall time (min) | images/s |"
            + (" hardware |" if hardware else ""))
    lines = [head, "|---|" + "---:|" * (head.count("|") - 2 - hardware) + ("---|" if hardware else "")]
    for f in summaries:
        s = read_summary(f)
        per = epoch_images(s)
        lines.append(f"| {s['name']} | {s['epochs']} | {'-' if per is None else per} | "
                     + (f"{s['train_images']} | " if passes else "")
                     + f"{wall_time_text(s)} | {s['train_images_per_s']} |" + (f" {s['hardware']} |" if hardware else ""))
    return lines


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_png(fig: Any, out: Path, dpi: int = 110) -> Path:
    """Write ``fig`` atomically as a PNG and close it."""
    atomic_write(out, lambda p: fig.savefig(p, dpi=dpi, format="png"))
    pyplot().close(fig)
    return out
