"""The one result schema of semcom, and its only writer, reader and merger.

Every evaluation (``semcom eval``, ``mismatch``, ``ldm``, ``mumimo``, ``baseline``, ``bler``) returns a dict::

    {semcom_version, psnr_reduction, snr_convention, ..., dataset: {name, split, num_images, selection, note},
     eval_seed, channels, models: [{label, ...}], rows: [{model, channel, csi, snr_db, psnr, ..., num_images,
     eval_seed, k, bandwidth_ratio}], command}

built with :func:`header` (version, PSNR reduction, SNR convention, evaluation seed, dataset note, command)
and written by :func:`write_results` (JSON + CSV + optional PNG and extra files, all written to temporary
names and renamed together at the end); :func:`read_results` and :func:`merge_results` read them back.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

import semcom
from semcom.errors import SemcomError
from semcom.metrics import PSNR_REDUCTION

SNR_CONVENTION = "SNR = Es/N0 per complex symbol (dB); unit average symbol energy; noise CN(0, N0)"
CIFAR_NOTE = ("CIFAR-10 from the JPEG-decoded WebDataset copy (quality 75, 4:2:0), not the official pixels: "
              "PSNR is measured against the JPEG-decoded images")
METRICS = ("psnr", "ssim", "ms_ssim")
CSV_FIELDS = ["model", "channel", "csi", "snr_db", "psnr", "ssim", "ms_ssim", "num_images", "eval_seed", "k",
              "bandwidth_ratio"]
SSIM_SETTINGS = {"kernel_size": 11, "sigma": 1.5, "data_range": 1.0, "reduction": "mean of per-image SSIM"}


#: the most points one SNR grid may have (a typo such as 0:1e12:1 must not exhaust the memory)
MAX_GRID_POINTS = 10_000


def parse_snr(spec: str, what: str = "SNR grid") -> list[float]:
    """``"-5:25:1"`` (start:stop:step, stop included) or ``"0,5,10"`` -> list of dB values (finite, at least
    one, at most :data:`MAX_GRID_POINTS`)."""
    text = str(spec).strip()
    usage = (f"{what} {spec!r} is not understood; expected start:stop:step with step > 0 and stop >= start "
             "(e.g. -5:25:1) or a comma list (e.g. 0,5,10) of finite dB values")
    try:
        parts = [float(p) for p in text.split(":")] if ":" in text else None
        values = [float(p) for p in text.split(",") if p.strip()] if parts is None else []
    except ValueError:
        raise SemcomError(usage) from None
    if parts is not None:
        if len(parts) != 3 or not all(np.isfinite(parts)) or parts[2] <= 0 or parts[1] < parts[0]:
            raise SemcomError(usage)
        count = np.floor((parts[1] - parts[0]) / parts[2] + 1e-9) + 1
        if count > MAX_GRID_POINTS:
            raise SemcomError(f"{what} {spec!r} has {count:.0f} points; at most {MAX_GRID_POINTS} are allowed")
        values = [round(parts[0] + i * parts[2], 6) for i in range(int(count))]
    if len(values) > MAX_GRID_POINTS:
        raise SemcomError(f"{what} {spec!r} has {len(values)} points; at most {MAX_GRID_POINTS} are allowed")
    if not values or not all(np.isfinite(values)) or any(abs(v) > 1000 for v in values):
        raise SemcomError(usage + " within +-1000 dB")
    return values


def dataset_info(name: str, split: str, num_images: int, selection: str | None = None, **extra: Any) -> dict[str, Any]:
    """The ``dataset`` entry of a result: name, split, number of images, how they were chosen, and the
    JPEG note for the CIFAR-10 copies."""
    info: dict[str, Any] = {"name": name, "split": split, "num_images": int(num_images)}
    if selection is not None:
        info["selection"] = selection
    info.update(extra)
    if name in ("cifar10", "embedded"):
        info["note"] = CIFAR_NOTE
    return info


def header(dataset: dict[str, Any] | None, eval_seed: int | None, snr_convention: str = SNR_CONVENTION,
           **fields: Any) -> dict[str, Any]:
    """The common head of every result (version, PSNR reduction, SNR convention, then ``fields`` in order,
    then dataset and evaluation seed); the caller adds ``channels``, ``models`` and ``rows``."""
    out: dict[str, Any] = {"semcom_version": semcom.__version__, "psnr_reduction": PSNR_REDUCTION,
                           "snr_convention": snr_convention}
    out.update(fields)
    if dataset is not None:
        out["dataset"] = dataset
    if eval_seed is not None:
        out["eval_seed"] = eval_seed
    return out


def table(results: dict[str, Any], metric: str = "psnr", snr_db: list[float] | None = None,
          unit: str | None = None) -> str:
    """Text tables, one per channel (and CSI): a line per SNR, a column per model (``unit``: how the values were
    reduced, when not the mean of per-image values)."""
    rows = [r for r in results["rows"] if snr_db is None or r["snr_db"] in snr_db] or results["rows"]
    models = list(dict.fromkeys(r["model"] for r in rows))
    panels = list(dict.fromkeys((r["channel"], r["csi"]) for r in rows))
    lookup = {(r["model"], r["channel"], r["csi"], r["snr_db"]): r.get(metric) for r in rows}
    width = max([8, *(len(m) for m in models)])
    unit = unit or ("dB, mean of per-image PSNR" if metric == "psnr" else "mean of per-image values")
    out = io.StringIO()
    for ch, csi in panels:
        out.write(f"{metric} ({unit}) over {ch}" + (f" with {csi} CSI" if csi != "-" else "") + "\n")
        out.write("SNR dB".rjust(7) + " " + " ".join(m.rjust(width) for m in models) + "\n")
        for s in sorted({r["snr_db"] for r in rows if (r["channel"], r["csi"]) == (ch, csi)}):
            vals = [lookup.get((m, ch, csi, s)) for m in models]
            out.write(f"{s:7.1f} " + " ".join((f"{v:.3f}" if v is not None else "-").rjust(width) for v in vals) + "\n")
        out.write("\n")
    return out.getvalue()


def _csv_fields(rows: list[dict[str, Any]]) -> list[str]:
    if rows and all(all(k in r for k in CSV_FIELDS) for r in rows):
        return CSV_FIELDS
    fields: dict[str, None] = {}
    for r in rows:
        for k, v in r.items():
            if v is None or isinstance(v, (str, int, float, bool)):
                fields.setdefault(k)
    return list(fields)


def write_csv(rows: list[dict[str, Any]], path: Path) -> None:
    fields = _csv_fields(rows)
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k) for k in fields})


def check_name(stem: str) -> str:
    if not re.fullmatch(r"[\w.-]+", stem):
        raise SemcomError(f"result name {stem!r} must be letters, digits, '.', '_' or '-'")
    return stem


def write_results(results: dict[str, Any], out_dir: str | Path, stem: str = "eval", plot: bool = True,
                  csv_file: bool = True, extra: dict[str, Callable[[Path], Any]] | None = None) -> dict[str, Path]:
    """Write ``stem.json``, ``stem.csv``, (optionally) ``stem.png`` and ``extra`` files (suffix -> writer of a
    path, e.g. ``{"md": ...}``) into ``out_dir``. Every file is written under a temporary name first and the
    set is renamed into place only when all of them are written, so an interrupted command leaves either
    the old set or the new one."""
    check_name(stem)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    writers: dict[str, Callable[[Path], Any]] = {
        "json": lambda p: p.write_text(json.dumps(results, indent=1) + "\n")}
    if csv_file:
        writers["csv"] = lambda p: write_csv(results["rows"], p)
    for suffix, fn in (extra or {}).items():
        writers[suffix] = fn
    if plot:
        from semcom.evaluation.plot import plot_results

        writers.setdefault("png", lambda p: plot_results([results], p, title=results.get("title")))
    tmp = {suffix: out / f".{stem}.{suffix}.{os.getpid()}.tmp" for suffix in writers}
    try:
        for suffix, fn in writers.items():
            fn(tmp[suffix])
        paths = {suffix: out / f"{stem}.{suffix}" for suffix in writers}
        with _signals_held():  # a Ctrl-C (or SIGTERM) arriving now takes effect once the whole set is renamed
            for suffix in writers:
                os.replace(tmp[suffix], paths[suffix])
    finally:
        for p in tmp.values():
            p.unlink(missing_ok=True)
    return paths


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back (main thread) for the few renames that switch a result set, so an
    interruption never leaves half of an old set beside half of a new one: the signals that arrive meanwhile
    are recorded and raised again, with the handlers of before, once the block ends. (A thread mask would not
    do: the kernel hands a process signal to any thread that does not block it, e.g. torch's workers.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    old = {sig: signal.signal(sig, lambda num, frame: held.append(num)) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        for num in dict.fromkeys(held):
            signal.raise_signal(num)


def read_results(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise SemcomError(f"result file {path} does not exist") from None
    except IsADirectoryError:
        raise SemcomError(f"result file {path} is a folder; expected a .json result") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SemcomError(f"result file {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or "rows" not in data:
        raise SemcomError(f"result file {path} is not a semcom result (no 'rows')")
    return data


def merge_results(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Concatenate result dicts of separate evaluations with the same settings (dataset, seed, metrics
    settings); models keep their labels, which must not collide."""
    if not results:
        raise SemcomError("nothing to merge")
    first = results[0]
    for key in ("dataset", "eval_seed", "psnr_reduction", "snr_convention", "ms_ssim_settings", "ssim_settings"):
        for r in results[1:]:
            if r.get(key) != first.get(key):
                raise SemcomError(f"cannot merge results with different {key}: {first.get(key)!r} vs {r.get(key)!r}")
    labels = [m["label"] for r in results for m in r["models"]]
    dup = sorted({x for x in labels if labels.count(x) > 1})
    if dup:
        raise SemcomError(f"cannot merge: model label {dup[0]!r} appears in more than one result")
    merged = {k: v for k, v in first.items() if k not in ("models", "rows", "command")}
    merged["models"] = [m for r in results for m in r["models"]]
    merged["rows"] = [row for r in results for row in r["rows"]]
    merged["merged_from"] = [r.get("command") for r in results]
    return merged
