"""``semcom ldm``: evaluate the LDM receiver (a trained codec + denoiser) over SNR, in ``semcom eval``'s format,
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

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from torch.utils.data import DataLoader

from semcom.channels import create as create_channel
from semcom.data import evaluation_images
from semcom.errors import SemcomError
from semcom.evaluation.point_to_point import load_checkpoint
from semcom.evaluation.results import SSIM_SETTINGS, dataset_info, header
from semcom.evaluation.sweep import ChannelPoint, mean_row, run_batches, sweep
from semcom.metrics import ms_ssim_per_image, ms_ssim_settings, psnr_per_image, ssim_per_image
from semcom.systems.ldm import LDMReceiverSystem, load_codec, load_denoiser

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
    ds, selection = evaluation_images(dataset, split=split, root=root, limit=limit, classes=classes, tile=tile)
    extra: dict[str, Any] = {}
    if classes is not None:
        from semcom.data import class_indices

        extra["classes"] = class_indices(classes)
    if tile is not None:
        extra["tiles"] = f"every non-overlapping {tile}x{tile} crop, sent as {BLOCK}x{BLOCK} blocks"
    info = dataset_info(dataset, split if dataset in ("cifar10", "embedded") else "-", len(ds),
                        selection, **extra)
    return ds, info


class _BlockAdapter(ABC):
    """Shared by the LDM and DJSCC adapters: images cut into 32x32 blocks, metrics on the whole image."""

    label: str

    def __init__(self, loader: DataLoader[Any], device: str, size: tuple[int, int], ms: dict[str, Any],
                 meta: dict[str, Any], num_images: int) -> None:
        self.loader, self.device, self.size, self.ms, self.meta, self.num_images = loader, device, size, ms, meta, num_images

    @abstractmethod
    def run(self, x: Tensor, xb: Tensor, snr_db: float, generator: torch.Generator) -> dict[str, Any]:
        """Blocks ``xb`` of images ``x`` through the system: ``recon`` blocks and per-image extras."""

    def point(self, channel: ChannelPoint, snr_db: float, generator: torch.Generator) -> dict[str, Any]:
        self.use_channel(channel)
        h, w = self.size

        def step(batch: tuple[Tensor, Tensor]) -> dict[str, Tensor | None]:
            x = batch[0].to(self.device).float() / 255.0
            xb = to_blocks(x)
            out = self.run(x, xb, snr_db, generator)
            rec = from_blocks(out.pop("recon"), h, w)
            return {"psnr": psnr_per_image(rec, x), "ssim": ssim_per_image(rec, x),
                    "ms_ssim": ms_ssim_per_image(rec, x, settings=self.ms), **out}

        v = run_batches(self.loader, step)
        row: dict[str, Any] = mean_row(v, ("psnr", "ssim", "ms_ssim"))
        if "rmse" in v:
            est, img_snr = v["est"], v["img_snr"]
            row.update({"latent_rmse": float(v["rmse"].double().mean()),
                        "snr_est_mean_db": float(est.mean()), "snr_est_std_db": float(est.std()),
                        "snr_img_mean_db": float(img_snr.mean()),
                        "snr_est_abs_err_db": float((est - img_snr).abs().mean()),
                        "tx_power": float(v["power"].double().mean())})
        row.update({"num_images": self.num_images, "eval_seed": None, "k": self.meta["k"],
                    "bandwidth_ratio": self.meta["bandwidth_ratio"]})
        return row

    @abstractmethod
    def use_channel(self, channel: ChannelPoint) -> None:
        """Put the system on this test channel."""


class LDMAdapter(_BlockAdapter):
    """One diffusion (or no-denoiser / LMMSE) receiver setting of the LDM system."""

    def __init__(self, label: str, make: Any, mode: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.label, self.make, self.mode = label, make, mode
        self.system: LDMReceiverSystem | None = None

    def use_channel(self, channel: ChannelPoint) -> None:
        self.system = self.make(channel.value)

    def run(self, x: Tensor, xb: Tensor, snr_db: float, generator: torch.Generator) -> dict[str, Any]:
        assert self.system is not None
        nb = xb.shape[0] // x.shape[0]
        out = self.system(xb, snr_db, generator=generator, mode=self.mode)
        return {"recon": out["recon"],
                "rmse": (out["z_hat"] - out["z"]).pow(2).flatten(1).mean(1).reshape(-1, nb).mean(1).sqrt(),
                "est": out["snr_est_db"].float(), "img_snr": out["snr_img_db"].float(),
                "power": out["tx_power"].reshape(-1, nb).mean(1).float()}


class DJSCCAdapter(_BlockAdapter):
    """A point-to-point DJSCC checkpoint on the same blocks, channel and noise."""

    def __init__(self, label: str, system: Any, **kw: Any) -> None:
        super().__init__(**kw)
        self.label, self.system = label, system

    def use_channel(self, channel: ChannelPoint) -> None:
        self.system.channel = channel.value

    def run(self, x: Tensor, xb: Tensor, snr_db: float, generator: torch.Generator) -> dict[str, Any]:
        return {"recon": self.system.run(xb, torch.tensor(snr_db, device=self.device), generator=generator)["recon"]}


def evaluate_ldm(codec_ckpt: str, denoiser_ckpt: str | None, snr_db: list[float], channels: list[str],
                 receivers: list[str], csi: str = "perfect", dataset: str = "cifar10", split: str = "test",
                 root: str | Path | None = None, limit: int | None = None, seed: int = 0,
                 batch_size: int = 250, device: str = "cpu", classes: Any = None, tile: int | None = None,
                 djscc: list[str] | None = None, perturb: list[str] | None = None,
                 snr_estimate: str = "power", power: str = "image") -> dict[str, Any]:
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
    common = {"loader": loader, "device": device, "size": (h, w), "ms": ms, "num_images": len(ds)}
    models: list[dict[str, Any]] = []
    adapters: list[_BlockAdapter] = []
    for label, mode, sampler, steps in specs:
        for tag, tf, sf in (perts if mode == "diffusion" else perts[:1]):
            meta = {"label": f"ldm-{label}{tag}", "codec": codec_ckpt, "denoiser": denoiser_ckpt,
                    "receiver": label, "t_factor": tf, "s_factor": sf, "k": k_img,
                    "bandwidth_ratio": k_img / (3 * h * w)}
            n_steps: int | str = "auto" if steps == -1 else max(steps, 1)

            def make(channel: Any, sampler: str = sampler, n_steps: int | str = n_steps, tf: float = tf,
                     sf: float = sf) -> LDMReceiverSystem:
                return LDMReceiverSystem(codec, den, channel, sampler=sampler if sampler != "-" else "ddim",
                                         steps=n_steps, snr_estimate=snr_estimate, t_factor=tf, s_factor=sf,
                                         power=power)

            models.append(meta)
            adapters.append(LDMAdapter(meta["label"], make, mode, meta=meta, **common))
    for p in djscc or []:
        system = load_checkpoint(p).to(device)
        recipe: dict[str, Any] = system.recipe
        kb = system.k * (h // BLOCK) * (w // BLOCK)
        meta = {"label": f"djscc-{recipe['name']}", "checkpoint": str(p), "sampler": recipe["sampler"],
                "k": kb, "bandwidth_ratio": kb / (3 * h * w)}
        models.append(meta)
        adapters.append(DJSCCAdapter(meta["label"], system, meta=meta, **common))
    points = [ChannelPoint(ch, csi if ch != "awgn" else "-", create_channel(ch, **({"csi": csi} if ch != "awgn" else {})))
              for ch in channels]
    with torch.no_grad():
        rows = sweep(adapters, points, snr_db, seed)
    return {**header(None, None, ssim_settings=SSIM_SETTINGS,
                     ms_ssim_settings={**ms, "betas": list(ms["betas"]), "data_range": 1.0},
                     structural_metrics_at_snr_db=None,
                     lpips="not computed: no LPIPS backbone weights are available here",
                     snr_estimate=snr_estimate, ldm_power=power,
                     tx_power_note="mean |symbol|^2 of the LDM's transmitted latent: 1 per image with power 'image' "
                                   "(its power sent as side information), 1 on the codec's training set with "
                                   "'dataset'; DJSCC sends power 1 per image"),
            "dataset": dsinfo, "eval_seed": seed, "channels": channels, "models": models, "rows": rows}
