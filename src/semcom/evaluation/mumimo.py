"""``semcom mumimo``: evaluate trained MU-MIMO OFDM systems of Li et al. 2025 (``mumimo_semcom`` checkpoints)
over SNR and scenario.

    semcom mumimo runs/mumimo/umi_nf32_full/checkpoints/last.ckpt runs/mumimo/umi_nf32_djscc/checkpoints/last.ckpt \\
        --scenario umi --scenario uma --scenario rma --bank-dir banks --bank-suffix _test \\
        --snr=-9:13:2 --limit 1000 --out results/mumimo --name eval_nf32 --grid

Each checkpoint is evaluated on every ``--scenario``: a model trained on UMi and tested on RMa is the
cross-scenario mismatch of the paper (the row's ``trained_on`` says where it was trained). Channel
realizations come from the bank ``{bank_dir}/{scenario}_nf{N_f}{bank_suffix}`` (generate it with
``semcom channels generate --seed 1``, a seed other than the training bank's), or from Sionna on the fly
where no such bank exists. Images: ``limit`` evenly spaced CIFAR-10 test images, consecutive groups of
``num_users`` forming one sample (one channel realization, one SNR); user k gets image 4 i + k.

Rows (``semcom eval``'s format, so ``semcom plot`` / ``merge`` work): PSNR (dB, mean of per-image PSNR),
SSIM, MS-SSIM (small-image settings), classification ``accuracy``, each also per user (``*_user``), for
``model`` = the run name, ``channel`` = the test scenario, at each SNR (Es/N0 per complex symbol at each
user's antenna, after unit-power precoding). ``--grid`` writes Fig. 12's look-alike: the images of one
sample and every model's reconstruction per user at a few SNRs.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from torch.utils.data import DataLoader

from semcom.allocator import retain_freed_memory
from semcom.checkpoint import read_checkpoint
from semcom.data import atomic_write, build_dataset, evaluation_images
from semcom.errors import SemcomError
from semcom.evaluation.results import SSIM_SETTINGS, dataset_info, header
from semcom.evaluation.sweep import ChannelPoint, run_batches, sweep
from semcom.metrics import ms_ssim_per_image, ms_ssim_settings, psnr_per_image, ssim_per_image
from semcom.systems.mumimo import MUMIMOSemanticSystem, bank_path
from semcom.systems.mumimo import load_mumimo as _load_mumimo
from semcom.systems.registry import expect_kind

__all__ = ["bank_path", "evaluate_mumimo", "load_mumimo", "reconstruction_grid"]


def load_mumimo(ckpt: str | Path, scenario: str | None = None, bank_dir: str | Path | None = None,
                bank_suffix: str = "_test", channel_seed: int = 1, channel_source: bool = True,
                live: bool = False) -> MUMIMOSemanticSystem:
    """The trained system of a ``mumimo_semcom`` checkpoint on ``scenario`` (see
    :func:`semcom.systems.mumimo.load_mumimo`); another kind of checkpoint gets one line naming its command.
    A scenario without a bank in ``bank_dir`` is an error unless ``live`` (then Sionna draws the channels)."""
    info = read_checkpoint(ckpt)
    expect_kind(ckpt, info, "li2025_mumimo")
    if channel_source and bank_dir is not None and not live:
        recipe = info["recipe"]
        sc = scenario or recipe["channel"]["name"]
        bank = bank_path(bank_dir, sc, int(recipe["model"].get("num_subcarriers", 32)), bank_suffix)
        if not (bank / "meta.json").exists():
            raise SemcomError(f"no channel bank {bank} for scenario {sc!r}; generate it with `semcom channels generate "
                              f"--scenario {sc} --nf {recipe['model'].get('num_subcarriers', 32)} --seed 1 --out {bank}`"
                              ", or allow live Sionna channels (--live)")
    return _load_mumimo(info, ckpt, scenario=scenario, bank_dir=bank_dir, bank_suffix=bank_suffix,
                        channel_seed=channel_seed, channel_source=channel_source)


class MUMIMOAdapter:
    """One checkpoint in the sweep; the sweep's channels are test scenarios (the system is rebuilt on each)."""

    def __init__(self, ckpt: str | Path, dataset: Any, batch_size: int, device: str, bank_dir: str | Path,
                 bank_suffix: str, banks: dict[str, str], live: bool = False) -> None:
        self.ckpt, self.device, self.bank_dir, self.bank_suffix = ckpt, device, bank_dir, bank_suffix
        self.live = live
        self.banks = banks
        self.system = load_mumimo(ckpt, None, bank_dir, bank_suffix, channel_source=False)
        ku = self.system.k_users  # a batch holds whole samples of K users' images
        self.loader: DataLoader[Any] = DataLoader(dataset, batch_size=batch_size - batch_size % ku, shuffle=False)
        self.label: str = self.system.recipe["name"]
        self._scenario: str | None = None

    def use_scenario(self, scenario: str) -> MUMIMOSemanticSystem:
        if scenario != self._scenario:
            self.system = load_mumimo(self.ckpt, scenario, self.bank_dir, self.bank_suffix,
                                      live=self.live).to(self.device)
            self._scenario = scenario
            nf = self.system.grid.num_subcarriers
            self.banks[f"{scenario}_nf{nf}"] = self.system.channel_source_name
        return self.system

    def point(self, channel: ChannelPoint, snr_db: float, generator: torch.Generator) -> dict[str, Any]:
        system = self.use_scenario(channel.value)
        ku = system.k_users
        ms = ms_ssim_settings(32, 32)

        def step(batch: tuple[torch.Tensor, torch.Tensor]) -> dict[str, torch.Tensor | None]:
            img, lab = batch
            n = img.shape[0] - img.shape[0] % ku
            if n == 0:
                return {}
            x = img[:n].to(self.device).float().div(255.0).reshape(-1, ku, 3, 32, 32)
            y = lab[:n].reshape(-1, ku)
            out = system(x, snr_db, generator=generator)
            rec, flat = out["recon"].flatten(0, 1), x.flatten(0, 1)
            rx = (out["h"] @ out["x"][..., None])[..., 0].abs().pow(2).mean((1, 2))  # [B, K]: received signal power
            return {"rx_power": rx.double(), "psnr": psnr_per_image(rec, flat).reshape(-1, ku),
                    "ssim": ssim_per_image(rec, flat).reshape(-1, ku),
                    "ms_ssim": ms_ssim_per_image(rec, flat, settings=ms).reshape(-1, ku),
                    "accuracy": (out["logits"].argmax(-1).cpu() == y).float()}

        v = run_batches(self.loader, step)
        row: dict[str, Any] = {"variant": system.variant, "trained_on": system.recipe["channel"]["name"],
                               "num_subcarriers": system.grid.num_subcarriers}
        for key in ("psnr", "ssim", "ms_ssim", "accuracy"):
            vals = v[key].double()  # [samples, users]
            row[key] = float(vals.mean())
            row[f"{key}_user"] = [float(u) for u in vals.mean(0)]
        # per sample (mean over its users; the users of a sample share a channel realization): paired intervals
        row["psnr_samples"] = [round(float(u), 4) for u in v["psnr"].double().mean(1)]
        row["accuracy_samples"] = [float(u) for u in v["accuracy"].double().mean(1)]
        # the useful signal power each user receives, relative to the total transmit power (1 per RE): the SNR
        # of the sweep is total transmit power / N0, so a user's own received SNR is snr_db + rx_power_db_user
        rx = v["rx_power"].mean(0)
        row["rx_power_db_user"] = [round(10 * math.log10(float(u)), 3) for u in rx]
        row["rx_power_db"] = round(10 * math.log10(float(rx.mean())), 3)
        n_img = len(self.loader.dataset) - len(self.loader.dataset) % ku  # type: ignore[arg-type]
        row.update({"num_images": n_img, "eval_seed": None, "k": system.channel_uses_per_user,
                    "bandwidth_ratio": system.channel_uses_per_user / 3072})
        return row

    def meta(self) -> dict[str, Any]:
        s = self.system
        recipe: dict[str, Any] = s.recipe
        return {"label": self.label, "checkpoint": str(self.ckpt), "variant": s.variant, "precoder": s.precoder_kind,
                "num_subcarriers": s.grid.num_subcarriers, "trained_on": recipe["channel"]["name"],
                "epoch": s.checkpoint_epoch, "k": s.channel_uses_per_user,
                "bandwidth_ratio": s.channel_uses_per_user / 3072,
                "train_images_per_epoch": recipe["data"].get("limit_train") or 50000}


def evaluate_mumimo(checkpoints: list[str | Path], scenarios: list[str], snr_db: list[float],
                    bank_dir: str | Path = "banks", bank_suffix: str = "_test", limit: int | None = 1000,
                    seed: int = 0, batch_size: int = 256, device: str = "cpu", dataset: str = "cifar10",
                    root: str | Path | None = None, split: str = "test", live: bool = False) -> dict[str, Any]:
    """Rows per (checkpoint, test scenario, SNR); see the module docstring. ``split``: the dataset split
    (CIFAR-10: test; the embedded subset's ``train`` split holds 500 CIFAR-10 test images)."""
    if not checkpoints:
        raise SemcomError("give at least one mumimo_semcom checkpoint")
    if limit is not None and limit < 4:
        raise SemcomError(f"--limit {limit}: a sample holds one image per user (4 users); give at least 4 images")
    ds, selection = evaluation_images(dataset, split=split, root=root, limit=limit)
    retain_freed_memory()  # large activations reused (semcom.allocator)
    banks: dict[str, str] = {}
    adapters = []
    for ck in checkpoints:
        adapter = MUMIMOAdapter(ck, ds, batch_size, device, bank_dir, bank_suffix, banks, live=live)
        adapters.append(adapter)
    models = [a.meta() for a in adapters]
    with torch.no_grad():
        rows = sweep(adapters, [ChannelPoint(sc, "-", sc) for sc in scenarios], snr_db, seed)
    dsinfo = dataset_info(dataset, split, len(ds) - len(ds) % 4, selection,
                          grouping="consecutive images form one sample")
    return {**header(None, None,
                     snr_convention="SNR = total transmit power over the noise power N0 of each user, per resource "
                                    "element (the BS sends total power 1 per RE summed over its antennas; noise "
                                    "CN(0, N0) at each user): not Es/N0 at a user, which receives rx_power_db_user "
                                    "dB more (less when negative) than this figure",
                     ssim_settings=dict(SSIM_SETTINGS),
                     ms_ssim_settings={**ms_ssim_settings(32, 32), "betas": list(ms_ssim_settings(32, 32)["betas"]),
                                       "data_range": 1.0},
                     accuracy="top-1 of the receiver's classification head, mean over images and users"),
            "dataset": dsinfo, "eval_seed": seed, "channels": scenarios, "banks": banks, "models": models, "rows": rows}


def reconstruction_grid(checkpoints: list[str | Path], scenario: str, snr_db: list[float], out: str | Path,
                        bank_dir: str | Path = "banks", bank_suffix: str = "_test", sample: int = 0, seed: int = 0,
                        dataset: str = "cifar10", root: str | Path | None = None, live: bool = False) -> Path:
    """Fig. 12's look-alike: row 1 the K images of one sample, then one row per (model, SNR) with every user's
    reconstruction and its PSNR. The same channel realization and noise seed for every model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ds: Any = build_dataset(dataset, split="test", root=root)
    ds = ds.spread(1000) if hasattr(ds, "spread") else ds
    systems = []
    for ck in checkpoints:
        sys_ = load_mumimo(ck, scenario, bank_dir, bank_suffix, live=live)
        systems.append((sys_.recipe["name"], sys_))
    ku = systems[0][1].k_users
    x = torch.stack([ds[sample * ku + k][0] for k in range(ku)]).float().div(255.0)[None]
    h = systems[0][1].channel.draw(1, torch.Generator().manual_seed(seed))
    rows: list[tuple[str, float | None, Tensor]] = [("original", None, x[0])]
    with torch.no_grad():
        for name, sys_ in systems:
            for s in snr_db:
                rec = sys_(x, float(s), generator=torch.Generator().manual_seed(seed), h=h)["recon"][0]
                rows.append((name, s, rec))
    fig, axes = plt.subplots(len(rows), ku, figsize=(1.6 * ku + 1.6, 1.55 * len(rows)), squeeze=False)
    for i, (name, snr_i, imgs) in enumerate(rows):
        for k in range(ku):
            ax = axes[i][k]
            ax.imshow(imgs[k].permute(1, 2, 0).clamp(0, 1).numpy())
            ax.set_xticks([])
            ax.set_yticks([])
            if snr_i is not None:
                ax.set_title(f"{float(psnr_per_image(imgs[k:k + 1], x[0, k:k + 1])):.1f} dB", fontsize=7)
            elif i == 0:
                ax.set_title(f"user {k + 1}", fontsize=8)
        axes[i][0].set_ylabel(name if snr_i is None else f"{name}\n{snr_i:g} dB", fontsize=6)
    fig.suptitle(f"{scenario.upper()}: reconstructions per user (one channel realization)", fontsize=9)
    fig.tight_layout()
    path = Path(out)

    def write(p: Path) -> None:
        fig.savefig(p, dpi=110, format="png")

    atomic_write(path, write)
    plt.close(fig)
    return path
