"""Evaluation of the Liu et al. 2025 systems (``semcom liu2025``): image quality, IoU and symbol error rates over
SNR and CSI on CamVid test frames, on the one sweep driver and result schema.

Models: a ``liu2025_semantic`` checkpoint gives Proposed-Semantic and Proposed-Compress (the same codecs, two
allocations), each ``liu2025_precoding`` checkpoint an adaptive-precoding row (its beta), each ``liu2025_jscc``
checkpoint the JSCC row. Test channels: a test bank of one Table I region (drawn with another seed than the
training banks); every model at one (CSI, SNR) point draws its slots and noise from the same evaluation seed.

Row metrics (mean of per-image values unless said):

* ``psnr``, ``ssim``: the image at the frame resolution against the frame (proposed: the decoded compressed image
  S^_co upsampled bicubically from 32 x 32; JSCC: its reconstruction); ``psnr_32``, ``ssim_32``: at 32 x 32
  against S_co (JSCC: its reconstruction area-averaged to 32 x 32);
* ``iou_labels`` / ``miou_labels``: the received segmentation map (proposed: argmax of S^_se; JSCC: f_seg of its
  reconstruction) upsampled (nearest) to the label size (360 x 480) against the CamVid labels, void ignored,
  from the confusion matrix summed over the test images: pixel-weighted IoU (eq. 8) and mean IoU;
  ``iou_fseg`` / ``miou_fseg``: the same against f_seg of the original frame (the paper's reference);
* ``ser`` (16-QAM symbol error rate of the payload's hard decisions), ``ser_stream1``, ``ser_stream2`` (per stream,
  none for adaptive precoding, whose resource elements carry mixtures);
* LPIPS and FID: only with the standard backbones (:mod:`semcom.metrics.perceptual`); skipped here, with the
  reason in the result header.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from semcom.channels.tr38901 import ChannelBank
from semcom.checkpoint import read_checkpoint
from semcom.data import SEGMENTATION_DATASETS, load_segmentation
from semcom.data.segmentation import resize_label
from semcom.errors import SemcomError
from semcom.evaluation.results import dataset_info, header
from semcom.evaluation.sweep import ChannelPoint, sweep
from semcom.metrics import psnr_per_image
from semcom.metrics.image import ssim_per_image
from semcom.metrics.perceptual import perceptual_metrics
from semcom.metrics.segmentation import confusion_matrices, iou_from_confusion

SNR_CONVENTION = ("SNR = Es/N0 per stream before SVD precoding (dB): unit-energy 16-QAM symbols, noise CN(0, N0) at "
                  "each receive antenna; stream n sees s_n^2 x SNR after combining (channels normalised to mean |h|^2 = 1)")
VARIANTS = {"semantic": "Proposed-Semantic", "compress": "Proposed-Compress", "random": "Proposed-Random"}
PER_IMAGE = ("psnr", "ssim", "psnr_32", "ssim_32", "iou_labels_image", "iou_fseg_image", "ser")


def _kind(path: str | Path) -> str:
    return str(read_checkpoint(path)["recipe"]["model"].get("name"))


@dataclass
class Adapter:
    """One evaluated model for :func:`semcom.evaluation.sweep.sweep`."""

    label: str
    systems: dict[str, Any]  # csi -> system
    batches: list[tuple[Tensor, Tensor]]
    segmenter: nn.Module
    num_classes: int
    void: int
    allocation: str | None = None
    per_image: dict[str, np.ndarray] = field(default_factory=dict)
    reference: list[Tensor] = field(default_factory=list)  # f_seg of each batch's original frames

    def point(self, ch: ChannelPoint, snr_db: float, generator: torch.Generator) -> dict[str, Any]:
        system = self.systems[ch.csi]
        bank: ChannelBank = ch.value
        acc: dict[str, list[Tensor]] = {}
        conf_l = torch.zeros(self.num_classes, self.num_classes, dtype=torch.int64)
        conf_f = torch.zeros_like(conf_l)
        for i, (img8, labels) in enumerate(self.batches):
            img = img8.float() / 255.0
            b = img.shape[0]
            h = bank.draw(b * system.num_frames, generator)
            with torch.no_grad():
                seg_labels = resize_label(labels, tuple(img.shape[-2:]))  # S_se without f_seg
                out = system.run(img, snr_db, generator=generator, allocation=self.allocation, h=h,
                                 labels=seg_labels)
                if "recon" in out:
                    frame_hat = out["recon"]
                    co = F.adaptive_avg_pool2d(img, (32, 32))
                    co_hat = F.adaptive_avg_pool2d(frame_hat, (32, 32))
                    seg_rx = self.segmenter(frame_hat).argmax(1)
                else:
                    co, co_hat = out["image_co"], out["image_co_hat"]
                    frame_hat = F.interpolate(co_hat, size=img.shape[-2:], mode="bicubic", align_corners=False).clamp(0, 1)
                    seg_rx = out["seg_logits"].argmax(1)
            size = tuple(labels.shape[-2:])
            seg_up = resize_label(seg_rx, size)
            ref_up = resize_label(self.reference[i], size)
            cl = confusion_matrices(seg_up, labels, self.num_classes, self.void)
            cf = confusion_matrices(seg_up, ref_up, self.num_classes)
            conf_l += cl.sum(0)
            conf_f += cf.sum(0)
            values = {"psnr": psnr_per_image(frame_hat, img), "ssim": ssim_per_image(frame_hat, img),
                      "psnr_32": psnr_per_image(co_hat, co), "ssim_32": ssim_per_image(co_hat, co),
                      "iou_labels_image": iou_from_confusion(cl, "weighted"), "iou_fseg_image": iou_from_confusion(cf, "weighted"),
                      "ser": out["ser"], "ser_stream1": out["ser_stream"][:, 0], "ser_stream2": out["ser_stream"][:, 1]}
            for k, v in values.items():
                acc.setdefault(k, []).append(v.detach().double().cpu())
        vals = {k: torch.cat(v) for k, v in acc.items()}
        key = f"{self.label}|{ch.label}|{ch.csi}|{snr_db:g}"
        for k in PER_IMAGE:
            self.per_image[f"{key}|{k}"] = vals[k].numpy()

        def mean(k: str) -> float | None:
            v = vals[k]
            return None if bool(torch.isnan(v).all()) else float(v.mean())

        return {"psnr": mean("psnr"), "ssim": mean("ssim"), "psnr_32": mean("psnr_32"), "ssim_32": mean("ssim_32"),
                "iou_labels": float(iou_from_confusion(conf_l, "weighted")), "miou_labels": float(iou_from_confusion(conf_l, "macro")),
                "iou_fseg": float(iou_from_confusion(conf_f, "weighted")), "miou_fseg": float(iou_from_confusion(conf_f, "macro")),
                "iou_labels_image_mean": mean("iou_labels_image"), "ser": mean("ser"), "ser_stream1": mean("ser_stream1"),
                "ser_stream2": mean("ser_stream2"), "num_images": int(vals["psnr"].numel()), "eval_seed": None,
                "k": int(out["k"]), "bandwidth_ratio": float(out["k"]) / (3 * img.shape[-1] * img.shape[-2])}


def test_bank(region: int, bank_dir: str | Path, n: int, seed: int) -> ChannelBank:
    from semcom.systems.liu2025 import region_bank

    return region_bank(region, bank_dir, n, seed, split="test")


def load_models(semantic: str | None, precoding: list[str], jscc: list[str], csi: list[str], regions: list[int],
                bank_dir: str, variants: list[str]) -> list[tuple[str, dict[str, Any], str | None]]:
    """(label, {csi: system}, allocation) per evaluated model; one clear line for a checkpoint of the wrong kind."""
    from semcom.systems.registry import load

    wanted = ([(semantic, "liu2025_semantic")] if semantic is not None else []) + \
        [(p, "liu2025_precoding") for p in precoding] + [(p, "liu2025_jscc") for p in jscc]
    for path, want in wanted:
        if _kind(path) != want:
            raise SemcomError(f"checkpoint {path} is a {_kind(path)!r} model; this option takes {want} checkpoints")
    models: list[tuple[str, dict[str, Any], str | None]] = []

    def by_csi(path: str) -> dict[str, Any]:
        return {c: load(path, csi=c, regions=regions, bank_dir=bank_dir) for c in csi}

    for p in jscc:
        models.append(("JSCC" if len(jscc) == 1 else f"JSCC {Path(p).stem}", by_csi(p), None))
    if semantic is not None:
        systems = by_csi(semantic)
        for v in variants:
            models.append((VARIANTS[v], systems, v))
    for p in precoding:
        beta = float(read_checkpoint(p)["recipe"]["model"]["beta"])
        models.append((f"Adaptive beta={beta:g}", by_csi(p), "adaptive"))
    return models


def evaluate_liu2025(semantic: str | None, precoding: list[str], jscc: list[str], snr_db: list[float], csi: list[str],
                     region: int = 1, segmenter: str | None = None, split: str = "test", root: str | None = None,
                     limit: int | None = None, seed: int = 0, batch_size: int = 16, bank_dir: str = "banks/liu2025",
                     test_bank_size: int = 512, variants: list[str] | None = None) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The sweep (module docstring) -> (results, per-image arrays keyed ``model|channel|csi|snr|metric``)."""
    from semcom.systems.registry import load

    if semantic is None and not precoding and not jscc:
        raise SemcomError("nothing to evaluate: give --semantic, --precoding or --jscc checkpoints")
    variants = variants or ["semantic", "compress"]
    for v in variants:
        if v not in VARIANTS:
            raise SemcomError(f"--variant {v!r}; expected one of {', '.join(VARIANTS)}")
    for c in csi:
        if c not in ("perfect", "ls"):
            raise SemcomError(f"--csi {c!r}; expected 'perfect' or 'ls'")
    from semcom.channels.linklevel import UPLINK_REGIONS

    if region not in UPLINK_REGIONS:
        raise SemcomError(f"--region {region}; expected a Table I region 1-4")
    models = load_models(semantic, precoding, jscc, csi, [region], bank_dir, variants)
    seg_path = segmenter
    if seg_path is None:
        for _, systems, _ in models:
            net = getattr(next(iter(systems.values())), "segmenter", None)
            if net is not None:
                f_seg: nn.Module = net
                break
        else:
            raise SemcomError("no segmentation network: give --segmenter (a 'segmentation' checkpoint); the JSCC rows and "
                              "the f_seg reference need one")
    else:
        f_seg = load(seg_path)
    f_seg.eval()
    frame = int(next(iter(models[0][1].values())).frame_size)
    data = load_segmentation("camvid", root, split=split, size=frame, label_size="original")
    if limit is not None:
        data = data.spread(limit)
    classes = SEGMENTATION_DATASETS["camvid"]
    batches = [(data.images[i:i + batch_size], data.labels[i:i + batch_size].long()) for i in range(0, len(data), batch_size)]
    with torch.no_grad():
        reference = [f_seg(b[0].float() / 255.0).argmax(1) for b in batches]
    seg_conf = sum(confusion_matrices(resize_label(r, b[1].shape[-2:]), b[1], classes.num_classes,
                                      classes.void_index).sum(0) for r, b in zip(reference, batches))
    per_class = iou_from_confusion(torch.as_tensor(seg_conf), "none")
    seg_quality = {"iou_weighted": float(iou_from_confusion(torch.as_tensor(seg_conf), "weighted")),
                   "miou": float(iou_from_confusion(torch.as_tensor(seg_conf), "macro")),
                   "per_class_iou": {n: round(float(v), 4) for n, v in zip(classes.classes, per_class)},
                   "pixel_accuracy": float(torch.as_tensor(seg_conf).diagonal().sum() / torch.as_tensor(seg_conf).sum())}
    bank = test_bank(region, bank_dir, test_bank_size, seed=7 + 1000 * region)
    adapters = [Adapter(label, systems, batches, f_seg, classes.num_classes, classes.void_index, alloc, reference=reference)
                for label, systems, alloc in models]
    points = [ChannelPoint(f"region{region}", c, bank) for c in csi]
    rows = sweep(adapters, points, snr_db, seed, metric="ssim")
    _, skipped = perceptual_metrics()
    models_info = []
    for label, systems, alloc in models:
        s = next(iter(systems.values()))
        models_info.append({"label": label, "allocation": alloc, "symbols": int(getattr(s, "num_symbols", getattr(s, "symbols", 0))),
                            "frames": int(s.num_frames), "checkpoint_recipe": s.recipe.get("name")})
    res = header(dataset_info("camvid", split, len(data), f"all {len(data)}" if limit is None else f"{limit} evenly spaced",
                              resolution=f"{frame}x{frame} frames (area-averaged from 480x360), labels at 360x480"),
                 seed, snr_convention=SNR_CONVENTION,
                 title=f"Liu et al. 2025 on CamVid {split}, region {region}",
                 channel_model=f"Table I region {region}: {bank.meta['params'].get('model')} (stand-in for QuaDRiGa), "
                               f"{len(bank)} test slots, speeds {bank.meta['params'].get('speed_mps')} m/s",
                 iou=("eq. 8 pixel-weighted IoU (torchmetrics average='weighted' equivalent) and mean IoU, confusion "
                      "summed over the test images; void ignored; reference: CamVid labels or f_seg of the original frame"),
                 segmenter=str(seg_path) if seg_path else "the semantic checkpoint's f_seg",
                 segmenter_test={"what": f"f_seg on the {frame}x{frame} frames, upsampled (nearest) to 360x480, against "
                                         "the CamVid labels", **seg_quality},
                 perceptual=skipped or "LPIPS and FID computed with the standard backbones")
    res["models"] = models_info
    res["rows"] = rows
    per_image: dict[str, np.ndarray] = {}
    for a in adapters:
        per_image.update(a.per_image)
    return res, per_image


def plot_liu2025(res: dict[str, Any], path: Path) -> None:
    """Fig. 8 look-alike: PSNR, SSIM, IoU against the labels and against f_seg over SNR, one colour per model,
    solid lines perfect CSI, dashed LS."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [("psnr", "PSNR [dB] (frame res.)"), ("ssim", "SSIM (frame res.)"), ("iou_labels", "IoU vs labels (eq. 8)"),
              ("iou_fseg", "IoU vs f_seg(original)")]
    fig, axes = plt.subplots(1, 4, figsize=(17, 4))
    labels = list(dict.fromkeys(r["model"] for r in res["rows"]))
    colors = {m: f"C{i}" for i, m in enumerate(labels)}
    for ax, (key, title) in zip(axes, panels):
        for m in labels:
            for c, style in (("perfect", "-"), ("ls", "--")):
                rows = [r for r in res["rows"] if r["model"] == m and r["csi"] == c and r.get(key) is not None]
                if rows:
                    ax.plot([r["snr_db"] for r in rows], [r[key] for r in rows], style, marker="o", ms=3,
                            color=colors[m], label=f"{m} ({c})")
        ax.set_xlabel("SNR [dB]")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle(res.get("title", ""), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


def reconstruction_grid(semantic: str | None, precoding: list[str], jscc: list[str], snr_db: float, path: Path,
                        region: int = 1, split: str = "test", root: str | None = None, seed: int = 0, num_images: int = 2,
                        bank_dir: str = "banks/liu2025", test_bank_size: int = 512) -> Path:
    """Fig. 10 look-alike at one SNR (perfect CSI): per test frame, the original, its labels and f_seg map (CamVid
    palette), the JSCC reconstruction, and for each proposed model the received segmentation map and the decoded
    compressed image (upsampled)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from semcom.data import atomic_write

    models = load_models(semantic, precoding, jscc, ["perfect"], [region], bank_dir, ["semantic", "compress"])
    pal = SEGMENTATION_DATASETS["camvid"]
    frame = int(next(iter(models[0][1].values())).frame_size)
    data = load_segmentation("camvid", root, split=split, size=frame).spread(num_images)
    img = data.images.float() / 255.0
    f_seg = next((getattr(s["perfect"], "segmenter", None) for _, s, _ in models
                  if getattr(s["perfect"], "segmenter", None) is not None), None)
    bank = test_bank(region, bank_dir, test_bank_size, seed=7 + 1000 * region)
    panels: list[tuple[str, list[np.ndarray]]] = [("original", list(data.images.permute(0, 2, 3, 1).numpy())),
                                                  ("labels", list(pal.colorize(data.labels)))]
    if f_seg is not None:
        with torch.no_grad():
            panels.append(("f_seg(original)", list(pal.colorize(f_seg(img).argmax(1)))))
    for label, systems, alloc in models:
        s = systems["perfect"]
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            out = s.run(img, snr_db, generator=g, allocation=alloc, h=bank.draw(len(img) * s.num_frames, g),
                        labels=data.labels)
        if "recon" in out:
            panels.append((label, list((out["recon"].clamp(0, 1) * 255).byte().permute(0, 2, 3, 1).numpy())))
        else:
            co = F.interpolate(out["image_co_hat"], size=(frame, frame), mode="bicubic", align_corners=False).clamp(0, 1)
            panels.append((f"{label}\nmap", list(pal.colorize(out["seg_logits"].argmax(1)))))
            panels.append((f"{label}\nimage", list((co * 255).byte().permute(0, 2, 3, 1).numpy())))
    fig, axes = plt.subplots(len(img), len(panels), figsize=(1.6 * len(panels), 1.75 * len(img) + 0.4), squeeze=False)
    for j, (title, ims) in enumerate(panels):
        for i in range(len(img)):
            axes[i][j].imshow(ims[i])
            axes[i][j].axis("off")
        axes[0][j].set_title(title, fontsize=6)
    fig.suptitle(f"CamVid {split}, SNR {snr_db:g} dB, region {region}, perfect CSI", fontsize=8)
    fig.tight_layout()
    atomic_write(path, lambda p: fig.savefig(p, dpi=130, format="png"))
    plt.close(fig)
    return path
