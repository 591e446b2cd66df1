"""``semcom baseline``: SSCC curves and the ideal bound in the result format of ``semcom eval``.

    semcom baseline --codec bpg --codec jpeg --mod 4qam --rate 1/2 --channel umi --snr -5:20:1
    semcom baseline --codec bpg --mod 4qam --rate 1/2 --channel awgn --channel-uses 264 --ideal

Every row carries the model label (``sscc-CODEC-MOD-RATE``, ``sscc-ideal-...``), channel, CSI, SNR,
``psnr`` (**the paper's convention: failed image = 0 dB**), ``psnr_mean_image`` (failed image = the
dataset mean image), ``failure_rate`` with its 95 % interval, ``source_failure_rate``, the channel uses
per image ``k`` and the bandwidth ratio k / (H W C), so ``semcom plot`` overlays them on JSCC results.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

import semcom
from semcom.baselines.bound import ideal_point
from semcom.baselines.codecs import create_codec
from semcom.baselines.sscc import SourceCoded, make_link, mean_image_psnr, rate_control, transmit
from semcom.errors import SemcomError
from semcom.evaluation.results import CIFAR_NOTE, PSNR_REDUCTION, SNR_CONVENTION
from semcom.evaluation.sweep import ChannelPoint, sweep

FAILURE_CONVENTIONS = {
    "psnr": "the paper's convention (Li et al. 2025): PSNR = 0 dB for a failed image",
    "psnr_mean_image": "a failed image is replaced by the dataset mean image (training split) and scored against the original",
}


def load_images(dataset: str, split: str, root: str | None, limit: int | None) -> tuple[np.ndarray, np.ndarray, dict]:
    """(images uint8 [N, H, W, 3], mean image uint8 [H, W, 3] of the training split, dataset info).

    ``limit`` picks that many images at evenly spaced indices of the split (the CIFAR-10 test shard is
    sorted by class, so its first images would all be of one class)."""
    from semcom.data import build_dataset

    ds: Any = build_dataset(dataset, split=split, root=root)
    if limit is not None and limit < 1:
        raise SemcomError(f"limit must be a positive number of images, got {limit}")
    idx = (np.arange(len(ds)) if limit is None or limit >= len(ds)
           else np.round(np.linspace(0, len(ds) - 1, limit)).astype(int))
    imgs = np.stack([ds[int(i)][0].permute(1, 2, 0).numpy() for i in idx])
    try:
        train: Any = build_dataset(dataset, split="train", root=root) if dataset in ("cifar10", "embedded") else None
    except SemcomError:
        train = None
    if train is not None:
        acc = np.zeros(imgs.shape[1:], np.float64)
        for i in range(len(train)):
            acc += train[i][0].permute(1, 2, 0).numpy()
        mean, mean_from = np.round(acc / len(train)).astype(np.uint8), f"{dataset} train split ({len(train)} images)"
    else:
        mean, mean_from = np.round(imgs.mean(0)).astype(np.uint8), "the evaluated images"
    info: dict[str, Any] = {"name": dataset, "split": split, "num_images": len(imgs), "mean_image_from": mean_from,
                            "selection": "all" if len(idx) == len(ds) else f"{len(idx)} evenly spaced of {len(ds)}"}
    if dataset in ("cifar10", "embedded"):
        info["note"] = CIFAR_NOTE
    return imgs, mean, info


class _CodedAdapter:
    """The source-coded images of one codec in the sweep (:func:`semcom.evaluation.sweep.sweep`): each point
    sends every payload over the link of the channel point (the link draws its noise from ``seed``)."""

    def __init__(self, label: str, sc: SourceCoded, imgs: np.ndarray, mean: np.ndarray, mean_psnr: np.ndarray,
                 n_src: int, timing: dict[str, float], seed: int) -> None:
        self.label, self.sc, self.imgs, self.mean, self.mean_psnr = label, sc, imgs, mean, mean_psnr
        self.n_src, self.timing, self.seed = n_src, timing, seed

    def point(self, channel: ChannelPoint, snr_db: float, generator: Any) -> dict[str, Any]:
        link = channel.value
        r = transmit(self.sc, link, snr_db, self.seed, self.imgs, self.mean, self.mean_psnr)
        self.timing["link_s"] += r.pop("link_seconds")
        return {**r, "ssim": None, "ms_ssim": None, "eval_seed": self.seed, "k": link.channel_uses,
                "bandwidth_ratio": link.channel_uses / self.n_src}


def run(codecs: list[str], modulations: list[str], rates: list[str], channels: list[str], csis: list[str] | None,
        snr_db: list[float], *, channel_uses: int | None = None, num_subcarriers: int = 32, dataset: str = "cifar10",
        split: str = "test", root: str | None = None, limit: int | None = None, seed: int = 0,
        ideal: bool = False, outage: float = 0.1, bank: str | None = None, log: Any = print) -> dict[str, Any]:
    """All combinations of codec x modulation x rate x channel (x CSI), one row per SNR."""
    codec_objs = {c: create_codec(c) for c in codecs}
    imgs, mean, info = load_images(dataset, split, root, limit)
    n_src = int(np.prod(imgs.shape[1:]))
    mean_psnr = mean_image_psnr(imgs, mean)  # once: every point scores failed images against the same mean
    rows: list[dict[str, Any]] = []
    models: list[dict[str, Any]] = []
    coded: dict[tuple[str, int], SourceCoded] = {}
    timing: dict[str, float] = {"encode_s": 0.0, "link_s": 0.0}
    for ch, mod, rate in itertools.product(channels, modulations, rates):
        ch_csis = csis or (["ls"] if ch in ("umi", "uma", "rma") else ["perfect"] if ch == "rayleigh" else ["-"])
        for csi in ch_csis:
            link = make_link(ch, mod, rate, channel_uses=channel_uses, csi=None if csi == "-" else csi,
                             num_subcarriers=num_subcarriers, bank=bank, seed=seed)
            for cname, codec in codec_objs.items():
                key = (cname, link.k)
                if key not in coded:
                    coded[key] = rate_control(codec, imgs, link.k)
                    timing["encode_s"] += coded[key].encode_seconds
                sc = coded[key]
                label = f"sscc-{cname}-{mod}-{rate}"
                meta = {"label": label, "codec": cname, "coder": codec.coder, "modulation": mod, "rate": rate,
                        "ldpc_k": link.k, "ldpc_n": link.n, "k": link.channel_uses,
                        "bandwidth_ratio": link.channel_uses / n_src, "channel": ch, "csi": link.csi,
                        "mean_quality": float(np.mean([float(q) for q in sc.qualities if q is not None] or [np.nan])),
                        "mean_payload_bits": float(np.mean([b for b in sc.payload_bits if b] or [0])),
                        "source_failure_rate": float(sc.source_failed.mean()),
                        "psnr_when_received": float(np.nanmean(sc.psnr)) if (~sc.source_failed).any() else None}
                if label not in {m["label"] for m in models}:
                    models.append({k: v for k, v in meta.items() if k not in ("channel", "csi")})
                point_rows = sweep([_CodedAdapter(label, sc, imgs, mean, mean_psnr, n_src, timing, seed)],
                                   [ChannelPoint(ch, link.csi, link)], snr_db, seed, log=None)
                rows += point_rows
                pts = [f"{r['snr_db']:g}:{r['psnr']:.1f}/{r['failure_rate']:.2f}" for r in point_rows]
                log(f"{label} {ch} {link.csi} (B_max {link.k} bits, source failures {sc.source_failed.mean():.3f}): "
                    + " ".join(pts))
    if ideal:
        p2p = [c for c in channels if c in ("awgn", "rayleigh")]
        if not p2p:
            log("no ideal bound for the 3GPP MU-MISO downlink (no single-letter capacity); use --channel awgn/rayleigh")
        if p2p and channel_uses is None:
            raise SemcomError("--ideal needs --channel-uses for awgn / rayleigh")
        tag = "+".join(codecs)
        k_ideal = int(channel_uses or 0)
        for ch in p2p:
            variants: list[tuple[str, str, float | None]] = ([("sscc-ideal-" + tag, "-", None)] if ch == "awgn" else
                                                           [("sscc-ideal-ergodic-" + tag, "perfect", None),
                                                            (f"sscc-ideal-outage{outage:g}-" + tag, "perfect", outage)])
            for label, csi, eps in variants:
                models.append({"label": label, "codec": tag, "coder": "+".join(c.coder for c in codec_objs.values()),
                               "k": k_ideal, "bandwidth_ratio": k_ideal / n_src, "kind": "ideal bound",
                               "outage": eps})
                for s in snr_db:
                    r = ideal_point(list(codec_objs.values()), imgs, mean, k_ideal, s,
                                    "awgn" if ch == "awgn" else "rayleigh", eps, mean_psnr)
                    rows.append({"model": label, "channel": ch, "csi": csi, "snr_db": float(s), **r, "ssim": None,
                                 "ms_ssim": None, "eval_seed": seed, "k": k_ideal,
                                 "bandwidth_ratio": k_ideal / n_src})
                log(f"{label} {ch}: " + " ".join(f"{r['snr_db']:g}:{r['psnr']:.1f}" for r in rows if r["model"] == label
                                                  and r["channel"] == ch))
    return {
        "semcom_version": semcom.__version__, "what": "separate source-channel coding: codec + 5G LDPC + QAM",
        "psnr_reduction": PSNR_REDUCTION, "snr_convention": SNR_CONVENTION + "; for umi/uma/rma Es/N0 per resource "
        "element (total transmit power over N0)", "failure_conventions": FAILURE_CONVENTIONS,
        "ssim_settings": None, "ms_ssim_settings": None, "structural_metrics_at_snr_db": None,
        "dataset": info, "eval_seed": seed, "channels": channels, "models": models, "rows": rows,
        "seconds": {k: round(v, 2) for k, v in timing.items()},
    }
