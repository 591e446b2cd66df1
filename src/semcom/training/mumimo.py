"""Training seed 002's MU-MIMO OFDM semantic system from a recipe (``model.name: mumimo_semcom``).

Recipe keys used:

* ``model``: ``variant`` (full | no_pilot | rzf | djscc), ``num_subcarriers`` (32 | 64 | 128), ``precoder``
  (null = the variant's; ``zf`` for the alpha = 0 case of Fig. 10), ``alpha_init``, ``num_users`` (4),
  ``num_antennas`` (4), ``ce_weight`` (weight of the cross-entropy next to the MSE).
* ``channel``: ``name`` umi | uma | rma, ``bank`` (a channel bank from ``semcom channels generate``; without
  one, H is generated on the fly by Sionna, slow on a CPU), ``seed``.
* ``sampler``: the SNR per sample (DLPS over the evaluated range; seed 002 evaluates about -7 to 7 dB).
* ``train.batch_size`` counts images: it must be a multiple of ``num_users`` (64 samples x 4 users = 256).

Loss: MSE(reconstruction) + ``ce_weight`` * CE(logits) over all users. [assume] The paper names the
composite loss without weights; ``ce_weight`` = 0.01 puts the two terms at comparable gradient scales
for MSE values around 1e-2. A non-finite loss stops the run with a clear line (ZF, Fig. 10).
"""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
from torch import Tensor
from torch.nn import functional as F

from semcom.errors import SemcomError
from semcom.metrics import psnr_per_image
from semcom.training.module import check_finite
from semcom.training.snr import create_sampler


def build_mumimo_system(recipe: dict[str, Any], channel_source: bool = True) -> Any:
    """The recipe's system; ``channel_source=False`` builds it without a source of H (no bank, no Sionna):
    H must then be given to ``forward``."""
    from semcom.channels.ofdm import OFDMGrid
    from semcom.channels.tr38901 import ChannelBank, MUMIMODownlinkChannel, TR38901Downlink
    from semcom.systems.mumimo import MUMIMOSemanticSystem

    m, c = recipe["model"], recipe["channel"]
    nf = int(m.get("num_subcarriers", 32))
    scenario = c.get("name", "umi")
    if scenario not in ("umi", "uma", "rma"):
        raise SemcomError(f"channel.name={scenario!r}; seed 002's system runs over umi, uma or rma")
    if not channel_source:
        source: Any = None
    elif c.get("bank"):
        source = ChannelBank.open(c["bank"], expect={"scenario": scenario, "num_subcarriers": nf})
    else:
        source = TR38901Downlink(scenario, OFDMGrid(nf), num_users=int(m.get("num_users", 4)), seed=int(c.get("seed", 0)))
    return MUMIMOSemanticSystem(MUMIMODownlinkChannel(source), nf, m.get("variant", "full"), int(m.get("num_users", 4)),
                                int(m.get("num_antennas", 4)), precoder=m.get("precoder"),
                                alpha_init=float(m.get("alpha_init", 1.0)))


class MUMIMOModule(L.LightningModule):
    """Lightning module for :class:`semcom.systems.mumimo.MUMIMOSemanticSystem` (see the module docstring)."""

    def __init__(self, recipe: dict[str, Any]) -> None:
        super().__init__()
        self.save_hyperparameters({"recipe": recipe})
        self.recipe = recipe
        self.system = build_mumimo_system(recipe)
        s = recipe["sampler"]
        self.sampler = create_sampler(s["name"], snr_min_db=s["snr_min_db"], snr_max_db=s["snr_max_db"],
                                      distribution=s["distribution"], snr_db=s.get("snr_db"))
        self.k_users = self.system.k_users
        if int(recipe["train"]["batch_size"]) % self.k_users:
            raise SemcomError(f"train.batch_size={recipe['train']['batch_size']} must be a multiple of the "
                              f"{self.k_users} users (it counts images)")
        self.ce_weight = float(recipe["model"].get("ce_weight", 0.01))
        self.lr = float(recipe["train"]["lr"])
        self.seed = int(recipe["train"]["seed"])
        self.val_snr_db = [float(v) for v in recipe["train"]["val_snr_db"]]
        self._gen: torch.Generator | None = None

    @property
    def k(self) -> int:
        return self.system.channel_uses_per_user

    def describe(self) -> str:
        nf = self.system.grid.num_subcarriers
        return (f"{self.recipe['name']}: seed-002 system, variant {self.system.variant}, precoder {self.system.precoder_kind}, "
                f"{self.k_users} users, N_f = {nf}: {self.k} complex channel uses per user image "
                f"(K/N = {self.k / 3072:.4f}); SNR {self.sampler!r}")

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=self.lr)

    def on_train_epoch_start(self) -> None:
        self._gen = torch.Generator().manual_seed(self.seed * 1_000_003 + self.current_epoch * 7919 + 17)

    def _group(self, batch: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        img = batch[0].float().div(255.0) if batch[0].dtype == torch.uint8 else batch[0].float()
        n = img.shape[0] - img.shape[0] % self.k_users
        if n == 0:
            raise SemcomError(f"a batch of {img.shape[0]} images cannot fill {self.k_users} users")
        return img[:n].reshape(-1, self.k_users, *img.shape[1:]), batch[1][:n].reshape(-1, self.k_users)

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        if self._gen is None:
            self.on_train_epoch_start()
        img, labels = self._group(batch)
        snr = self.sampler(img.shape[0], 1, device=torch.device("cpu"), generator=self._gen).to(self.device)
        out = self.system(img, snr, generator=self._gen)
        mse = F.mse_loss(out["recon"], img)
        ce = F.cross_entropy(out["logits"].flatten(0, 1), labels.flatten())
        loss = check_finite(self, mse + self.ce_weight * ce)
        self.log_dict({"train_mse": mse, "train_ce": ce, "train_loss": loss}, prog_bar=False)
        if hasattr(self.system.precoder, "alpha"):
            self.log("alpha", self.system.precoder.alpha)
        return loss

    def on_validation_epoch_start(self) -> None:
        self._val: dict[float, list[Tensor]] = {s: [] for s in self.val_snr_db}
        self._acc: dict[float, list[Tensor]] = {s: [] for s in self.val_snr_db}
        self._val_gen = torch.Generator().manual_seed(10**6 + self.seed)

    def validation_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        img, labels = self._group(batch)
        with torch.no_grad():
            for s in self.val_snr_db:
                out = self.system(img, s, generator=self._val_gen)
                self._val[s].append(psnr_per_image(out["recon"].flatten(0, 1), img.flatten(0, 1)))
                self._acc[s].append((out["logits"].argmax(-1) == labels).float().flatten())

    def on_validation_epoch_end(self) -> None:
        means = []
        for s, v in self._val.items():
            if v:
                m = torch.cat(v).mean()
                means.append(m)
                self.log(f"val_psnr_{s:g}dB", m)
                self.log(f"val_acc_{s:g}dB", torch.cat(self._acc[s]).mean())
        if means:
            self.log("val_psnr", torch.stack(means).mean(), prog_bar=True)
