"""``semcom ldm``: evaluate seed 003's receiver (a trained codec + denoiser) over SNR, in ``semcom eval``'s format,
next to its baselines on the same images, channel and channel uses.

    semcom ldm --codec runs/ldm/vae_animals/checkpoints/last.ckpt \\
               --denoiser runs/ldm/denoiser_animals/checkpoints/last.ckpt \\
               --snr=-5:20:2.5 --channel awgn --receiver ddim:1 --receiver ddim:10 --receiver none --receiver lmmse \\
               --djscc runs/ldm/djscc_animals_dlps/checkpoints/last.ckpt --classes animals --limit 2000 \\
               --out results/ldm --name animals

Receivers (``--receiver``): ``ddim:N`` / ``ddim:auto`` (ceil(t*/100) steps: more at low SNR) / ``ddpm`` /
``single`` (Theorems 1 and 2 + that sampler), ``none``
(decode the received latent), ``lmmse`` (the linear MMSE latent estimate). ``--djscc`` adds DJSCC checkpoints
(the foundation's point-to-point JSCC at the same channel uses) on the same images and channel.
``--perturb t:1.1`` / ``s:0.8`` repeats every diffusion receiver with t* or s multiplied by that factor (the
paper's ablation). Images larger than the training size (``--dataset kodak --tile 64``) are cut into blocks of
the training size (32 x 32), each block sent as one image, and metrics computed on the reassembled image:
the same for every model, so the channel uses per pixel stay those of CIFAR-10.

Rows carry PSNR, SSIM, MS-SSIM (small-image settings), the latent RMSE, the receiver's SNR estimate next to
the true SNR (each block's own, its latent power over the noise: ``snr_img_mean_db``, with the mean absolute
error of the estimate against it), and the mean transmitted power per complex symbol. ``--ldm-power image``
(default) normalises every image's latent to unit power, like DJSCC, and sends that power as side
information (one number per image); ``dataset`` sends the latent as it is (unit power on average over the
codec's training images only, so out-of-distribution images get more or less power). LPIPS is not computed: no LPIPS backbone weights can be had here, and no other
network is used in its name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from torch.utils.data import DataLoader

import semcom
from semcom.channels import create as create_channel
from semcom.data import build_dataset
from semcom.errors import SemcomError
from semcom.evaluate import CIFAR_NOTE, PSNR_REDUCTION, SNR_CONVENTION
from semcom.metrics import ms_ssim_per_image, ms_ssim_settings, psnr_per_image, ssim_per_image

BLOCK = 32  # the training image size of every model compared here


def parse_receiver(spec: str) -> tuple[str, str, int]:
    """``ddim:10`` -> (mode, sampler, steps)."""
    if spec in ("none", "lmmse"):
        return spec, "-", 0
    if spec in ("single", "ddpm"):
        return "diffusion", spec, 1
    if spec == "ddim:auto":
        return "diffusion", "ddim", -1
    if spec.startswith("ddim:"):
        try:
            n = int(spec.split(":", 1)[1])
        except ValueError:
            n = 0
        if n >= 1:
            return "diffusion", "ddim", n
    raise SemcomError(f"receiver {spec!r}; expected none, lmmse, single, ddpm, ddim:N (N >= 1) or ddim:auto")


def parse_perturb(spec: str) -> tuple[str, float]:
    """``t:1.1`` -> ("t", 1.1); ``s:0.5`` -> ("s", 0.5)."""
    what, _, val = spec.partition(":")
    try:
        f = float(val)
    except ValueError:
        f = -1.0
    if what not in ("t", "s") or f <= 0:
        raise SemcomError(f"perturbation {spec!r}; expected t:FACTOR or s:FACTOR with FACTOR > 0 (e.g. t:1.1)")
    return what, f


def to_blocks(x: Tensor, b: int = BLOCK) -> Tensor:
    """[B, C, H, W] -> [B * (H/b) * (W/b), C, b, b] (row-major blocks of each image)."""
    n, c, h, w = x.shape
    if h % b or w % b:
        raise SemcomError(f"images of {h}x{w} cannot be cut into {b}x{b} blocks; use --tile with a multiple of {b}")
    return x.reshape(n, c, h // b, b, w // b, b).permute(0, 2, 4, 1, 3, 5).reshape(-1, c, b, b)


def from_blocks(xb: Tensor, h: int, w: int) -> Tensor:
    b = xb.shape[-1]
    c = xb.shape[1]
    return xb.reshape(-1, h // b, w // b, c, b, b).permute(0, 3, 1, 4, 2, 5).reshape(-1, c, h, w)


def _dataset(dataset: str, split: str, root: str | Path | None, limit: int | None, classes: Any,
             tile: int | None) -> tuple[Any, dict[str, Any]]:
    ds: Any = build_dataset(dataset, split=split, root=root, classes=classes, tile=tile)
    if limit is not None and hasattr(ds, "spread"):
        ds = ds.spread(limit)
    info: dict[str, Any] = {"name": dataset, "split": split if dataset in ("cifar10", "embedded") else "-",
                            "num_images": len(ds), "selection": "evenly spaced" if limit else "all"}
    if classes is not None:
        from semcom.data import class_indices

        info["classes"] = class_indices(classes)
    if tile is not None:
        info["tiles"] = f"every non-overlapping {tile}x{tile} crop, sent as {BLOCK}x{BLOCK} blocks"
    if dataset in ("cifar10", "embedded"):
        info["note"] = CIFAR_NOTE
    return ds, info


def evaluate_ldm(codec_ckpt: str, denoiser_ckpt: str | None, snr_db: list[float], channels: list[str],
                 receivers: list[str], csi: str = "perfect", dataset: str = "cifar10", split: str = "test",
                 root: str | Path | None = None, limit: int | None = None, seed: int = 0,
                 batch_size: int = 250, device: str = "cpu", classes: Any = None, tile: int | None = None,
                 djscc: list[str] | None = None, perturb: list[str] | None = None,
                 snr_estimate: str = "power", power: str = "image") -> dict[str, Any]:
    from semcom.checkpoint import load_system
    from semcom.systems.ldm import LDMReceiverSystem
    from semcom.training.ldm import load_codec, load_denoiser

    specs = [(r, *parse_receiver(r)) for r in receivers]
    perts = [("", 1.0, 1.0)] + [(f" {w}*x{f:g}", f if w == "t" else 1.0, f if w == "s" else 1.0)
                                for w, f in map(parse_perturb, perturb or [])]
    codec = load_codec(codec_ckpt).to(device)
    den = load_denoiser(denoiser_ckpt).to(device) if denoiser_ckpt else None
    if den is None and any(m == "diffusion" for _, m, _, _ in specs):
        raise SemcomError("a diffusion receiver needs --denoiser")
    ds, dsinfo = _dataset(dataset, split, root, limit, classes, tile)
    loader = DataLoader(ds, batch_size=batch_size, shuffle=False)
    h, w = ds[0][0].shape[-2:]
    ms = ms_ssim_settings(h, w)
    k_img = codec.channel_uses((BLOCK, BLOCK)) * (h // BLOCK) * (w // BLOCK)
    djs = [(load_system(p), p) for p in djscc or []]
    models: list[dict[str, Any]] = []
    # what each model is: (label, run(x [blocks], snr, generator) -> dict with recon (+ z, z_hat, snr_est_db, power))
    runners: list[tuple[str, Any]] = []
    for label, mode, sampler, steps in specs:
        for tag, tf, sf in (perts if mode == "diffusion" else perts[:1]):
            runners.append((f"ldm-{label}{tag}", ("ldm", mode, sampler, steps, tf, sf)))
            models.append({"label": f"ldm-{label}{tag}", "codec": codec_ckpt, "denoiser": denoiser_ckpt,
                           "receiver": label, "t_factor": tf, "s_factor": sf, "k": k_img,
                           "bandwidth_ratio": k_img / (3 * h * w)})
    for (module, recipe), p in djs:
        module.to(device)
        kb = module.system.k * (h // BLOCK) * (w // BLOCK)
        runners.append((f"djscc-{recipe['name']}", ("djscc", module)))
        models.append({"label": f"djscc-{recipe['name']}", "checkpoint": str(p), "sampler": recipe["sampler"],
                       "k": kb, "bandwidth_ratio": kb / (3 * h * w)})
    rows = []
    with torch.no_grad():
        for ch in channels:
            channel = create_channel(ch, **({"csi": csi} if ch != "awgn" else {}))
            for label, how in runners:
                if how[0] == "ldm":
                    _, mode, sampler, steps, tf, sf = how
                    n_steps: int | str = "auto" if steps == -1 else max(steps, 1)
                    system: Any = LDMReceiverSystem(codec, den, channel, sampler=sampler if sampler != "-" else "ddim",
                                                    steps=n_steps, snr_estimate=snr_estimate, t_factor=tf, s_factor=sf,
                                                    power=power)
                else:
                    system = how[1].system
                    system.channel = channel
                for s in snr_db:
                    g = torch.Generator().manual_seed(seed)
                    acc: dict[str, list[Tensor]] = {k: [] for k in ("psnr", "ssim", "ms_ssim", "rmse", "est", "img_snr",
                                                                     "power")}
                    for img, _ in loader:
                        x = img.to(device).float() / 255.0
                        xb = to_blocks(x)
                        nb = xb.shape[0] // x.shape[0]
                        if how[0] == "ldm":
                            out = system(xb, float(s), generator=g, mode=how[1])
                            acc["rmse"].append((out["z_hat"] - out["z"]).pow(2).flatten(1).mean(1).reshape(-1, nb)
                                               .mean(1).sqrt().cpu())
                            acc["est"].append(out["snr_est_db"].float().cpu())
                            acc["img_snr"].append(out["snr_img_db"].float().cpu())
                            acc["power"].append(out["tx_power"].reshape(-1, nb).mean(1).float().cpu())
                        else:
                            out = system.run(xb, torch.tensor(float(s), device=device), generator=g)
                        rec = from_blocks(out["recon"], h, w)
                        acc["psnr"].append(psnr_per_image(rec, x).cpu())
                        acc["ssim"].append(ssim_per_image(rec, x).cpu())
                        acc["ms_ssim"].append(ms_ssim_per_image(rec, x, settings=ms).cpu())
                    meta = next(m for m in models if m["label"] == label)
                    row: dict[str, Any] = {"model": label, "channel": ch, "csi": csi if ch != "awgn" else "-",
                                           "snr_db": float(s)}
                    for key in ("psnr", "ssim", "ms_ssim"):
                        row[key] = float(torch.cat(acc[key]).double().mean())
                    if acc["rmse"]:
                        est, img_snr = torch.cat(acc["est"]), torch.cat(acc["img_snr"])
                        row.update({"latent_rmse": float(torch.cat(acc["rmse"]).double().mean()),
                                    "snr_est_mean_db": float(est.mean()), "snr_est_std_db": float(est.std()),
                                    "snr_img_mean_db": float(img_snr.mean()),
                                    "snr_est_abs_err_db": float((est - img_snr).abs().mean()),
                                    "tx_power": float(torch.cat(acc["power"]).double().mean())})
                    row.update({"num_images": len(ds), "eval_seed": seed, "k": meta["k"],
                                "bandwidth_ratio": meta["bandwidth_ratio"]})
                    rows.append(row)
                print(f"{label} {ch}: " + " ".join(f"{r['snr_db']:g}:{r['psnr']:.2f}" for r in rows
                                                   if r["model"] == label and r["channel"] == ch), flush=True)
    return {"semcom_version": semcom.__version__, "psnr_reduction": PSNR_REDUCTION, "snr_convention": SNR_CONVENTION,
            "ssim_settings": {"kernel_size": 11, "sigma": 1.5, "data_range": 1.0, "reduction": "mean of per-image SSIM"},
            "ms_ssim_settings": {**ms, "betas": list(ms["betas"]), "data_range": 1.0}, "structural_metrics_at_snr_db": None,
            "lpips": "not computed: no LPIPS backbone weights are available here",
            "snr_estimate": snr_estimate, "ldm_power": power,
            "tx_power_note": "mean |symbol|^2 of the LDM's transmitted latent: 1 per image with power 'image' (its power "
                             "sent as side information), 1 on the codec's training set with 'dataset'; DJSCC sends "
                             "power 1 per image",
            "dataset": dsinfo, "eval_seed": seed, "channels": channels, "models": models, "rows": rows}
