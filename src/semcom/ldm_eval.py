"""``semcom ldm``: evaluate seed 003's receiver (a trained codec + denoiser) over SNR, in ``semcom eval``'s format.

    semcom ldm --codec runs/ldm/vae_cifar10/checkpoints/last.ckpt \\
               --denoiser runs/ldm/denoiser_cifar10/checkpoints/last.ckpt \\
               --snr 0:20:2 --channel awgn --channel rayleigh --receiver ddim:1 --receiver ddim:10 \\
               --receiver none --receiver lmmse --limit 2000 --out results/ldm --name ldm

Receivers (``--receiver``): ``ddim:N`` / ``ddpm`` / ``single`` (Theorems 1 and 2 + that sampler), ``none``
(decode the received latent), ``lmmse`` (the linear MMSE latent estimate). Rows carry PSNR, SSIM,
MS-SSIM (small-image settings), the latent RMSE, and the receiver's SNR estimate next to the true SNR.
LPIPS is not computed: no LPIPS backbone weights can be had here, and no other network is used in its name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader

import semcom
from semcom.channels import create as create_channel
from semcom.data import build_dataset
from semcom.errors import SemcomError
from semcom.evaluate import CIFAR_NOTE, PSNR_REDUCTION, SNR_CONVENTION
from semcom.metrics import ms_ssim_per_image, ms_ssim_settings, psnr_per_image, ssim_per_image


def parse_receiver(spec: str) -> tuple[str, str, int]:
    """``ddim:10`` -> (mode, sampler, steps)."""
    if spec in ("none", "lmmse"):
        return spec, "-", 0
    if spec in ("single", "ddpm"):
        return "diffusion", spec, 1
    if spec.startswith("ddim:"):
        try:
            n = int(spec.split(":", 1)[1])
        except ValueError:
            n = 0
        if n >= 1:
            return "diffusion", "ddim", n
    raise SemcomError(f"receiver {spec!r}; expected none, lmmse, single, ddpm or ddim:N (N >= 1)")


def evaluate_ldm(codec_ckpt: str, denoiser_ckpt: str | None, snr_db: list[float], channels: list[str],
                 receivers: list[str], csi: str = "perfect", dataset: str = "cifar10", split: str = "test",
                 root: str | Path | None = None, limit: int | None = None, seed: int = 0,
                 batch_size: int = 250, device: str = "cpu") -> dict[str, Any]:
    from semcom.systems.ldm import LDMReceiverSystem
    from semcom.training.ldm import load_codec, load_denoiser

    specs = [(r, *parse_receiver(r)) for r in receivers]
    codec = load_codec(codec_ckpt).to(device)
    den = load_denoiser(denoiser_ckpt).to(device) if denoiser_ckpt else None
    if den is None and any(m == "diffusion" for _, m, _, _ in specs):
        raise SemcomError("a diffusion receiver needs --denoiser")
    ds: Any = build_dataset(dataset, split=split, root=root)
    if limit is not None and hasattr(ds, "spread"):
        ds = ds.spread(limit)
    loader = DataLoader(ds, batch_size=batch_size, shuffle=False)
    ms = ms_ssim_settings(32, 32)
    k = codec.channel_uses((32, 32))
    rows = []
    with torch.no_grad():
        for ch in channels:
            channel = create_channel(ch, **({"csi": csi} if ch != "awgn" else {}))
            for label, mode, sampler, steps in specs:
                system = LDMReceiverSystem(codec, den, channel, sampler=sampler if sampler != "-" else "ddim",
                                           steps=max(steps, 1))
                for s in snr_db:
                    g = torch.Generator().manual_seed(seed)
                    psnr, ssim, mss, rmse, est = [], [], [], [], []
                    for img, _ in loader:
                        x = img.to(device).float() / 255.0
                        out = system(x, float(s), generator=g, mode=mode)
                        psnr.append(psnr_per_image(out["recon"], x))
                        ssim.append(ssim_per_image(out["recon"], x))
                        mss.append(ms_ssim_per_image(out["recon"], x, settings=ms))
                        rmse.append((out["z_hat"] - out["z"]).pow(2).flatten(1).mean(1).sqrt())
                        est.append(out["snr_est_db"].float().cpu())
                    rows.append({"model": f"ldm-{label}", "channel": ch, "csi": csi if ch != "awgn" else "-",
                                 "snr_db": float(s), "psnr": float(torch.cat(psnr).double().mean()),
                                 "ssim": float(torch.cat(ssim).double().mean()),
                                 "ms_ssim": float(torch.cat(mss).double().mean()),
                                 "latent_rmse": float(torch.cat(rmse).double().mean()),
                                 "snr_est_mean_db": float(torch.cat(est).mean()), "snr_est_std_db": float(torch.cat(est).std()),
                                 "num_images": len(ds), "eval_seed": seed, "k": k, "bandwidth_ratio": k / 3072})
                print(f"{label} {ch}: " + " ".join(f"{r['snr_db']:g}:{r['psnr']:.2f}" for r in rows
                                                   if r["model"] == f"ldm-{label}" and r["channel"] == ch), flush=True)
    dsinfo = {"name": dataset, "split": split, "num_images": len(ds), "selection": "evenly spaced" if limit else "all"}
    if dataset in ("cifar10", "embedded"):
        dsinfo["note"] = CIFAR_NOTE
    return {"semcom_version": semcom.__version__, "psnr_reduction": PSNR_REDUCTION, "snr_convention": SNR_CONVENTION,
            "ssim_settings": {"kernel_size": 11, "sigma": 1.5, "data_range": 1.0, "reduction": "mean of per-image SSIM"},
            "ms_ssim_settings": {**ms, "betas": list(ms["betas"]), "data_range": 1.0}, "structural_metrics_at_snr_db": None,
            "lpips": "not computed: no LPIPS backbone weights are available here",
            "dataset": dsinfo, "eval_seed": seed, "channels": channels,
            "models": [{"label": f"ldm-{r}", "codec": codec_ckpt, "denoiser": denoiser_ckpt, "k": k,
                        "bandwidth_ratio": k / 3072} for r in receivers], "rows": rows}
