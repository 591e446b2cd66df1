"""``semcom eval``: PSNR / SSIM / MS-SSIM of trained point-to-point systems over an SNR grid and channels.

Runs on the sweep driver (:mod:`semcom.evaluation.sweep`); results in the one schema
(:mod:`semcom.evaluation.results`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader

import semcom.channels as channels
from semcom.checkpoint import read_checkpoint
from semcom.data import evaluation_images
from semcom.errors import SemcomError
from semcom.evaluation.results import (
    CIFAR_NOTE,
    CSV_FIELDS,
    METRICS,
    SNR_CONVENTION,
    SSIM_SETTINGS,
    dataset_info,
    header,
    merge_results,
    parse_snr,
    read_results,
    table,
    write_results,
)
from semcom.evaluation.sweep import ChannelPoint, mean_row, run_batches, sweep
from semcom.metrics import ms_ssim_per_image, ms_ssim_settings, psnr_of_mean_mse, psnr_per_image, ssim_per_image
from semcom.systems.jscc import PointToPointJSCC
from semcom.systems.registry import expect_kind, spec_for
from semcom.training.base import to_float

__all__ = ["CIFAR_NOTE", "CSV_FIELDS", "METRICS", "SNR_CONVENTION", "evaluate", "load_checkpoint",
           "merge_results", "parse_snr", "read_results", "table", "write_results"]


def load_checkpoint(path: str | Path, snr_source: str | None = None) -> Any:
    """The trained system of a checkpoint of any kind that ``semcom eval`` evaluates (the point-to-point JSCC,
    DT-JSCC: scalar channels, one image in, its reconstruction and/or class logits out; ``recipe`` attached);
    another kind gets one line naming the command that evaluates it."""
    info = read_checkpoint(path)
    spec = spec_for(info["recipe"])
    if spec.evaluate_with != "semcom eval":
        expect_kind(path, info, "point_to_point")
    return spec.load(info, path, snr_source=snr_source)


def channel_points(names: list[str], csis: list[str]) -> list[ChannelPoint]:
    """The test channels of ``semcom eval``: AWGN once, each fading channel once per CSI."""
    out = []
    for name in names:
        if name == "awgn":
            out.append(ChannelPoint("awgn", "-", channels.create("awgn")))
        elif name in ("rayleigh", "rician"):
            for csi in csis:
                out.append(ChannelPoint(name, csi, channels.create(name, csi=csi)))
        else:
            raise SemcomError(f"unknown evaluation channel {name!r}; expected awgn, rayleigh or rician")
    return out


class PointToPointAdapter:
    """A point-to-point system in the sweep: encodes every image once and reuses the symbols at every
    channel and SNR when the system allows it (:attr:`PointToPointJSCC.reuses_symbols`)."""

    def __init__(self, label: str, system: PointToPointJSCC, loader: DataLoader[Any], device: str,
                 metrics: tuple[str, ...], structural_snr_db: list[float] | None, ms_settings: dict[str, Any] | None,
                 meta: dict[str, Any]) -> None:
        self.label, self.system, self.loader, self.device = label, system, loader, device
        self.metrics, self.structural_snr_db, self.ms_settings, self.meta = metrics, structural_snr_db, ms_settings, meta
        self._sent: list[tuple[torch.Tensor, torch.Tensor]] | None = None
        #: (channel, csi, snr_db) -> per-image values of the last evaluation ("psnr", "correct")
        self.per_image: dict[tuple[str, str, float], dict[str, torch.Tensor]] = {}

    def batches(self) -> Iterable[tuple[torch.Tensor, Any]]:
        if self.system.reuses_symbols:
            if self._sent is None:
                self._sent = [(x, self.system.transmit(x)) for x in (to_float(img.to(self.device)) for img, _ in self.loader)]
            return self._sent
        return ((to_float(img.to(self.device)), lab) for img, lab in self.loader)  # streamed, not held in memory

    def point(self, channel: ChannelPoint, snr_db: float, generator: torch.Generator) -> dict[str, Any]:
        system = self.system
        system.channel = channel.value
        structural = self.structural_snr_db is None or snr_db in self.structural_snr_db
        snr = torch.tensor(snr_db, device=self.device)

        def step(batch: tuple[torch.Tensor, Any]) -> dict[str, torch.Tensor | None]:
            x, extra = batch
            if system.reuses_symbols:
                out = system.sweep_step(x, snr, generator, sent=extra)
            else:
                out = system.sweep_step(x, snr, generator)
            rec = out["recon"]  # None for a system that only classifies (DT-JSCC, task classification)
            b = x.shape[0]
            return {
                # what was sent for these images: complex channel uses and source dimensions per image
                "k_sent": (out["k_sent"].double() if out.get("k_sent") is not None  # variable-length systems
                           else torch.full((b,), float(out["z_rx"].shape[-1] // 2), dtype=torch.float64)),
                "n_src": torch.full((b,), float(x[0].numel()), dtype=torch.float64),
                "psnr": psnr_per_image(rec, x) if rec is not None else None,
                "ssim": ssim_per_image(rec, x) if rec is not None and "ssim" in self.metrics and structural else None,
                "ms_ssim": (ms_ssim_per_image(rec, x, settings=self.ms_settings)
                            if rec is not None and self.ms_settings is not None and structural else None),
                "index_errors": out.get("index_errors"),
                "accuracy": ((out["logits"].argmax(1).cpu() == extra).float()
                             if out.get("logits") is not None else None),
                "snr_est": (torch.as_tensor(out["snr_rx_db"]).float().reshape(-1)
                            if system.estimator is not None else None),
            }

        v = run_batches(self.batches(), step)
        self.per_image[(channel.label, channel.csi, snr_db)] = {
            name: v[key].float() for name, key in (("psnr", "psnr"), ("correct", "accuracy")) if key in v}
        k_sent = v["k_sent"]
        count = int(k_sent.numel())
        ratios = k_sent / v["n_src"]
        k: float | int = int(k_sent[0]) if bool((k_sent == k_sent[0]).all()) else float(k_sent.mean())
        row: dict[str, Any] = {**mean_row(v, ("psnr", "ssim", "ms_ssim")),
                               "psnr_of_mean_mse": psnr_of_mean_mse(v["psnr"]) if "psnr" in v else None,
                               "num_images": count,
                               "eval_seed": None, "k": k,
                               "bandwidth_ratio": (float(ratios[0]) if bool((ratios == ratios[0]).all())
                                                   else float(ratios.mean()))}
        if "accuracy" in v:
            row["accuracy"] = float(v["accuracy"].mean())
        if "index_errors" in v:  # digital systems: the fraction of QAM symbols (codeword indices) decided wrong
            row["index_error_rate"] = float(v["index_errors"].double().mean())
        if "snr_est" in v:
            row.update({"snr_source": "pilot", "snr_est_mean_db": float(v["snr_est"].mean()),
                        "snr_est_std_db": float(v["snr_est"].std())})
        return row


def evaluate(checkpoints: list[str | Path], snr_db: list[float], channel_names: list[str] = ["awgn"],
             csi: list[str] = ["perfect"], dataset: str = "cifar10", split: str = "test",
             root: str | Path | None = None, limit: int | None = None, seed: int = 0, batch_size: int = 500,
             labels: list[str] | None = None, metrics: tuple[str, ...] = METRICS,
             structural_snr_db: list[float] | None = None, device: str = "cpu",
             download: bool = False, snr_source: str | None = None,
             per_image: dict[str, Any] | None = None) -> dict[str, Any]:
    """Evaluate checkpoints; returns the result dict written by :func:`write_results`.

    ``per_image`` (a dict, filled in): ``"model|channel|csi|snr_db"`` -> float32 array of each image's PSNR
    (``psnr``) or 0/1 correctness (``correct``), in the order of the evaluated images, for paired intervals
    (``semcom eval --per-image`` writes them to ``NAME.per_image.npz``).

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
    points = channel_points(channel_names, csi)
    systems = [load_checkpoint(p, snr_source) for p in checkpoints]
    ds, selection = evaluation_images(dataset, split=split, root=root, limit=limit, download=download)
    variable = dataset in ("folder", "kodak")
    loader = DataLoader(ds, batch_size=1 if variable else batch_size, shuffle=False)
    names = list(labels) if labels else [s.recipe["name"] for s in systems]
    if len(names) != len(systems):
        raise SemcomError(f"{len(names)} labels for {len(systems)} checkpoints; give one label per checkpoint")
    seen: dict[str, int] = {}
    for i, n in enumerate(names):
        seen[n] = seen.get(n, 0) + 1
        if seen[n] > 1:
            names[i] = f"{n}#{seen[n]}"
    first = next(iter(loader))[0]
    ms_settings = ms_ssim_settings(first.shape[-2], first.shape[-1]) if "ms_ssim" in metrics else None
    models_meta, adapters = [], []
    for system, name, path in zip(systems, names, checkpoints):
        recipe: dict[str, Any] = system.recipe
        meta = {"label": name, "checkpoint": str(path), "recipe_name": recipe["name"], "model": recipe["model"],
                "sampler": recipe["sampler"], "train_channel": recipe["channel"], "k": system.k,
                "n": getattr(system.model, "n", None), "bandwidth_ratio": system.bandwidth_ratio}
        models_meta.append(meta)
        adapters.append(PointToPointAdapter(name, system.to(device), loader, device, tuple(metrics),
                                            structural_snr_db, ms_settings, meta))
    with torch.no_grad():
        rows = sweep(adapters, points, snr_db, seed, log=None)
    if per_image is not None:
        for a in adapters:
            for (ch_label, csi_label, snr), values in a.per_image.items():
                for metric, arr in values.items():
                    per_image[f"{metric}|{a.label}|{ch_label}|{csi_label}|{snr:g}"] = arr.numpy()
    dsinfo = dataset_info(dataset, split, len(ds), selection)
    return {
        **header(None, None,
                 ssim_settings=None if "ssim" not in metrics else SSIM_SETTINGS,
                 ms_ssim_settings=None if ms_settings is None else {**ms_settings, "betas": list(ms_settings["betas"]),
                                                                     "data_range": 1.0,
                                                                     "reduction": "mean of per-image MS-SSIM"},
                 structural_metrics_at_snr_db=structural_snr_db),
        "dataset": dsinfo, "eval_seed": seed,
        "channels": [f"{c.label}" + (f" ({c.csi} CSI)" if c.csi != "-" else "") for c in points],
        "models": models_meta, "rows": rows,
    }
