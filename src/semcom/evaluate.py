"""``semcom eval``: PSNR / SSIM / MS-SSIM of trained systems over an SNR grid and a set of channels."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader

import semcom
import semcom.channels as channels
from semcom.checkpoint import load_system
from semcom.data import atomic_write, build_dataset
from semcom.errors import SemcomError
from semcom.metrics import PSNR_REDUCTION, ms_ssim_per_image, ms_ssim_settings, psnr_per_image, ssim_per_image
from semcom.training.module import to_float

SNR_CONVENTION = "SNR = Es/N0 per complex symbol (dB); unit average symbol energy; noise CN(0, N0)"
CIFAR_NOTE = ("CIFAR-10 from the JPEG-decoded WebDataset copy (quality 75, 4:2:0), not the official pixels: "
              "PSNR is measured against the JPEG-decoded images")
METRICS = ("psnr", "ssim", "ms_ssim")
CSV_FIELDS = ["model", "channel", "csi", "snr_db", "psnr", "ssim", "ms_ssim", "num_images", "eval_seed", "k",
              "bandwidth_ratio"]


def parse_snr(spec: str) -> list[float]:
    """``"-5:25:1"`` (start:stop:step, stop included) or ``"0,5,10"`` -> list of dB values."""
    spec = spec.strip()
    try:
        if ":" in spec:
            parts = [float(p) for p in spec.split(":")]
            if len(parts) != 3 or parts[2] <= 0 or parts[1] < parts[0]:
                raise ValueError
            n = int(np.floor((parts[1] - parts[0]) / parts[2] + 1e-9)) + 1
            return [round(parts[0] + i * parts[2], 6) for i in range(n)]
        return [float(p) for p in spec.split(",") if p.strip()]
    except ValueError:
        raise SemcomError(
            f"SNR grid {spec!r} is not understood; expected start:stop:step with step > 0 (e.g. -5:25:1) "
            "or a comma list (e.g. 0,5,10)"
        ) from None


def _channel_variants(names: list[str], csis: list[str]) -> list[tuple[str, str, channels.Channel]]:
    out = []
    for name in names:
        if name == "awgn":
            out.append(("awgn", "-", channels.create("awgn")))
        elif name in ("rayleigh", "rician"):
            for csi in csis:
                out.append((name, csi, channels.create(name, csi=csi)))
        else:
            raise SemcomError(f"unknown evaluation channel {name!r}; expected awgn, rayleigh or rician")
    return out


def evaluate(checkpoints: list[str | Path], snr_db: list[float], channel_names: list[str] = ["awgn"],
             csi: list[str] = ["perfect"], dataset: str = "cifar10", split: str = "test",
             root: str | Path | None = None, limit: int | None = None, seed: int = 0, batch_size: int = 500,
             labels: list[str] | None = None, metrics: tuple[str, ...] = METRICS,
             structural_snr_db: list[float] | None = None, device: str = "cpu",
             download: bool = False, snr_source: str | None = None, spread: bool = False) -> dict[str, Any]:
    """Evaluate checkpoints; returns the result dict written by :func:`write_results`.

    ``metrics`` picks among ``psnr``, ``ssim`` and ``ms_ssim`` (the structural ones cost about three
    times a DJSCC forward pass on CPU); a metric left out is written as null.

    The channel randomness of every (model, channel, CSI, SNR) point comes from a generator seeded
    with ``seed``, so curves of different models and SNRs are comparable.

    ``snr_source`` (``"true"`` or ``"pilot"``) overrides what SNR-conditioned decoders are given; with
    pilots the rows also carry the mean and spread of the estimate. Models with a classifier head get
    an ``accuracy`` column.
    """
    unknown = [m for m in metrics if m not in METRICS]
    if unknown or "psnr" not in metrics:
        raise SemcomError(f"metrics {list(metrics)} not understood; expected psnr plus any of ssim, ms_ssim")
    if not checkpoints:
        raise SemcomError("no checkpoint to evaluate")
    for c in csi:
        if c not in ("perfect", "pilot"):
            raise SemcomError(f"csi={c!r} is not supported; expected 'perfect' or 'pilot'")
    variants = _channel_variants(channel_names, csi)
    systems = [load_system(p) for p in checkpoints]
    if snr_source is not None:
        for module, _ in systems:
            module.system.use_snr_source(snr_source)
    if spread and limit is not None:  # evenly spaced images instead of the first ones
        ds = build_dataset(dataset, split=split, root=root, download=download)
        ds = ds.spread(limit) if hasattr(ds, "spread") else build_dataset(dataset, split=split, root=root, limit=limit)
    else:
        ds = build_dataset(dataset, split=split, root=root, limit=limit, download=download)
    variable = dataset in ("folder", "kodak")
    loader = DataLoader(ds, batch_size=1 if variable else batch_size, shuffle=False)
    names = list(labels) if labels else [r["name"] for _, r in systems]
    if len(names) != len(systems):
        raise SemcomError(f"{len(names)} labels for {len(systems)} checkpoints; give one label per checkpoint")
    seen: dict[str, int] = {}
    for i, n in enumerate(names):
        seen[n] = seen.get(n, 0) + 1
        if seen[n] > 1:
            names[i] = f"{n}#{seen[n]}"
    first = next(iter(loader))[0]
    ms_settings = ms_ssim_settings(first.shape[-2], first.shape[-1]) if "ms_ssim" in metrics else None
    rows: list[dict[str, Any]] = []
    models_meta = []
    with torch.no_grad():
        for (module, recipe), name, path in zip(systems, names, checkpoints):
            model = module.system.model
            meta = {"label": name, "checkpoint": str(path), "recipe_name": recipe["name"], "model": recipe["model"],
                    "sampler": recipe["sampler"], "train_channel": recipe["channel"], "k": module.system.k,
                    "n": model.n, "bandwidth_ratio": model.bandwidth_ratio}
            models_meta.append(meta)
            module.to(device)
            system = module.system
            # the encoder runs once per image and every channel and SNR reuses its symbols, unless the
            # system depends on the SNR (conditioned encoder) or estimates it (pilots), or has a head
            simple = not system.conditioned and system.estimator is None and system.head is None
            if simple:
                sent = [(x, system.transmit(x)) for x in (to_float(img.to(device)) for img, _ in loader)]
            for ch_name, ch_csi, channel in variants:
                system.channel = channel
                for snr in snr_db:
                    g = torch.Generator().manual_seed(seed)  # on the CPU: the same noise on any device
                    structural = structural_snr_db is None or float(snr) in structural_snr_db
                    psnr, ssim, mss, correct, est = [], [], [], [], []
                    batches = sent if simple else ((to_float(img.to(device)), lab) for img, lab in loader)
                    for x, extra in batches:
                        if simple:
                            y = channel(extra, torch.tensor(float(snr), device=device), generator=g)
                            rec = system.receive(y, (x.shape[-2], x.shape[-1]))
                        else:
                            out = system.run(x, torch.tensor(float(snr), device=device), generator=g)
                            rec = out["recon"]
                            if out["logits"] is not None:
                                correct.append((out["logits"].argmax(1).cpu() == extra).float())
                            if system.estimator is not None:
                                est.append(torch.as_tensor(out["snr_rx_db"]).float().cpu())
                        psnr.append(psnr_per_image(rec, x))
                        if "ssim" in metrics and structural:
                            ssim.append(ssim_per_image(rec, x))
                        if ms_settings is not None and structural:
                            mss.append(ms_ssim_per_image(rec, x, settings=ms_settings))
                    p = torch.cat(psnr)
                    rows.append({
                        "model": name, "channel": ch_name, "csi": ch_csi, "snr_db": float(snr),
                        "psnr": float(p.double().mean()), "ssim": float(torch.cat(ssim).double().mean()) if ssim else None,
                        "ms_ssim": float(torch.cat(mss).double().mean()) if mss else None,
                        "num_images": int(p.numel()), "eval_seed": seed, "k": meta["k"],
                        "bandwidth_ratio": meta["bandwidth_ratio"],
                        **({"accuracy": float(torch.cat(correct).mean())} if correct else {}),
                        **({"snr_source": "pilot", "snr_est_mean_db": float(torch.cat(est).mean()),
                            "snr_est_std_db": float(torch.cat(est).std())} if est else {}),
                    })
    dsinfo: dict[str, Any] = {"name": dataset, "split": split, "num_images": len(ds)}  # type: ignore[arg-type]
    if spread and limit is not None:
        dsinfo["selection"] = "evenly spaced"
    if dataset in ("cifar10", "embedded"):
        dsinfo["note"] = CIFAR_NOTE
    return {
        "semcom_version": semcom.__version__, "psnr_reduction": PSNR_REDUCTION, "snr_convention": SNR_CONVENTION,
        "ssim_settings": None if "ssim" not in metrics else {"kernel_size": 11, "sigma": 1.5, "data_range": 1.0, "reduction": "mean of per-image SSIM"},
        "ms_ssim_settings": None if ms_settings is None else {**ms_settings, "betas": list(ms_settings["betas"]),
                                                                "data_range": 1.0, "reduction": "mean of per-image MS-SSIM"},
        "structural_metrics_at_snr_db": structural_snr_db, "dataset": dsinfo, "eval_seed": seed, "channels": [f"{n}" + (f" ({c} CSI)" if c != "-" else "")
                                                           for n, c, _ in variants],
        "models": models_meta, "rows": rows,
    }


def table(results: dict[str, Any], metric: str = "psnr", snr_db: list[float] | None = None) -> str:
    """Text tables, one per channel (and CSI): a line per SNR, a column per model."""
    rows = [r for r in results["rows"] if snr_db is None or r["snr_db"] in snr_db] or results["rows"]
    models = list(dict.fromkeys(r["model"] for r in rows))
    panels = list(dict.fromkeys((r["channel"], r["csi"]) for r in rows))
    lookup = {(r["model"], r["channel"], r["csi"], r["snr_db"]): r[metric] for r in rows}
    width = max([8, *(len(m) for m in models)])
    unit = "dB, mean of per-image PSNR" if metric == "psnr" else "mean of per-image values"
    out = io.StringIO()
    for ch, csi in panels:
        out.write(f"{metric} ({unit}) over {ch}" + (f" with {csi} CSI" if csi != "-" else "") + "\n")
        out.write("SNR dB".rjust(7) + " " + " ".join(m.rjust(width) for m in models) + "\n")
        for s in sorted({r["snr_db"] for r in rows if (r["channel"], r["csi"]) == (ch, csi)}):
            vals = [lookup.get((m, ch, csi, s)) for m in models]
            out.write(f"{s:7.1f} " + " ".join((f"{v:.3f}" if v is not None else "-").rjust(width) for v in vals) + "\n")
        out.write("\n")
    return out.getvalue()


def write_results(results: dict[str, Any], out_dir: str | Path, stem: str = "eval", plot: bool = True) -> dict[str, Path]:
    """Write ``stem.json``, ``stem.csv`` and (optionally) ``stem.png`` atomically into ``out_dir``."""
    if not re.fullmatch(r"[\w.-]+", stem):
        raise SemcomError(f"result name {stem!r} must be letters, digits, '.', '_' or '-'")
    out = Path(out_dir)
    paths = {"json": out / f"{stem}.json", "csv": out / f"{stem}.csv"}
    atomic_write(paths["json"], lambda p: p.write_text(json.dumps(results, indent=1) + "\n"))

    def write_csv(p: Path) -> None:
        with open(p, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=CSV_FIELDS)
            w.writeheader()
            for r in results["rows"]:
                w.writerow({k: r[k] for k in CSV_FIELDS})

    atomic_write(paths["csv"], write_csv)
    if plot:
        from semcom.plot import plot_results

        paths["png"] = plot_results([results], out / f"{stem}.png", title=results.get("title"))
    return paths


def read_results(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise SemcomError(f"result file {path} does not exist") from None
    except json.JSONDecodeError as exc:
        raise SemcomError(f"result file {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or "rows" not in data:
        raise SemcomError(f"result file {path} is not a semcom result (no 'rows')")
    return data


def merge_results(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Concatenate result dicts of separate ``semcom eval`` runs with the same settings (dataset, seed,
    metrics settings); models keep their labels, which must not collide."""
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
