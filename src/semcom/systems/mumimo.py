"""The scenario-adaptive MU-MIMO OFDM semantic system of Li, Zhang and Liu 2025 and its ablations.

One sample = K users' images and one channel realization H [N_f, N_t, K, M] of the 3GPP downlink:

    images [B, K, 3, 32, 32] -> encoder (noise + scenario adaptation) -> N_sf x N_st complex symbols per
    user, unit energy -> OFDM grid with the paper's pilots (OFDM symbols 2 and 11, orthogonal across users)
    -> precoder (hybrid learnable residual RZF, or classical RZF) -> channel y = H x + n -> each user's lightweight
    decoder (pilot-guided attention) -> reconstruction [B, K, 3, 32, 32] and class logits [B, K, C].

SNR: total transmit power (1 per resource element, summed over the M antennas: :mod:`semcom.channels.precoding`)
over each user's noise power N0 (noise CN(0, N0)). It is not Es/N0 at a user: the useful power a user receives
depends on its channel and the precoder (``semcom mumimo`` records it per user as ``rx_power_db_user``).

Variants (Section IV): ``full`` (Ours (Full)); ``no_pilot`` (Ours (w/o Pilot): no pilot-guided
attention); ``rzf`` (Ours (RZF): classical RZF alpha = 1, no adaptation modules, no pilot attention);
``djscc`` (DJSCC adapted to MU-MIMO OFDM: the Bourtsoulatze encoder per user, classical RZF, its decoder
symmetric to the encoder; same grid, channel and bandwidth; each user's receiver divides its data by the LS gain
at its own pilots, :class:`semcom.channels.ofdm.MultiUserPilotReceiver`, since the precoded gain changes with
the SNR). ``precoder="hybrid_zf"`` gives Fig. 10's alpha = 0 case (the hybrid precoder with alpha held at 0 and
its residual network kept; unguarded ZF can diverge on ill-conditioned channels, and training stops with a
clear message at the first NaN); ``precoder="zf"`` is classical ZF without the residual.

Speed: ``fast_path=True`` (default) lays the convolutional networks out as NHWC with in-place ReLUs (the same
function as the NCHW reference, tested); ``benchmarks/mumimo_step.py`` measures the step.

Registered in :data:`semcom.systems.SYSTEMS` as ``li2025_mumimo`` (recipes: ``model.name: mumimo_semcom``,
``configs/mumimo/``), with its Lightning module :class:`MUMIMOModule` and typed recipe section
:class:`MUMIMOSection`; ``semcom mumimo`` evaluates it.

Recipe keys:

* ``model``: :class:`MUMIMOSection`.
* ``channel``: ``name`` umi | uma | rma, ``bank`` (a channel bank from ``semcom channels generate``; without
  one, H is generated on the fly by Sionna, slow on a CPU), ``seed``.
* ``sampler``: the SNR per sample (DLPS over the evaluated range; the paper evaluates about -7 to 7 dB).
* ``train.batch_size`` counts images: it must be a multiple of ``num_users`` (64 samples x 4 users = 256).

Loss: MSE(reconstruction) + ``ce_weight`` * CE(logits) over all users. [assume] The paper names the
composite loss without weights; ``ce_weight`` = 0.01 puts the two terms at comparable gradient scales
for MSE values around 1e-2. A non-finite loss stops the run with a clear line (ZF, Fig. 10).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from semcom.channels.precoding import Precoder
from semcom.channels.tr38901 import downlink_channel
from semcom.checkpoint import sub_state
from semcom.checks import images_01
from semcom.errors import SemcomError
from semcom.metrics import psnr_per_image
from semcom.models.mumimo import (
    AsymmetricEncoder,
    LightweightDecoder,
    SymmetricDJSCCDecoder,
    as_layout,
    set_inplace_relu,
)
from semcom.models.precoders import HybridRZF
from semcom.systems.registry import SystemSpec, register_system
from semcom.training.base import TrainModule, build_sampler, to_float

VARIANTS = ("full", "no_pilot", "rzf", "djscc")


class MUMIMOSemanticSystem(nn.Module):
    """See the module docstring. ``forward(img, snr_db, generator=None, h=None)`` -> dict with ``recon``,
    ``logits``, ``h`` and ``noise_var``; ``channel`` is a :class:`semcom.channels.tr38901.MUMIMODownlinkChannel`
    (anything with ``draw(B, generator)`` and ``forward(x, snr_db, h=h, generator=)``)."""

    channel: Any  # draw(B, generator) -> H; forward(x, snr_db, h=, generator=)
    encoder: Any
    decoder: Any
    precoder: Any
    pilot_ref: Tensor

    def __init__(self, channel: nn.Module, num_subcarriers: int = 32, variant: str = "full", num_users: int = 4,
                 num_antennas: int = 4, num_classes: int = 10, precoder: str | None = None, alpha_init: float = 1.0,
                 fast_path: bool = True) -> None:
        super().__init__()
        from semcom.channels.ofdm import MultiUserPilotReceiver, OFDMGrid
        from semcom.models import create as create_model

        if variant not in VARIANTS:
            raise SemcomError(f"variant {variant!r}; expected one of: {', '.join(VARIANTS)}")
        self.channel, self.variant, self.k_users, self.m = channel, variant, num_users, num_antennas
        self.grid = OFDMGrid(num_subcarriers, pilot_symbols="li2025", num_streams=num_users)
        self.n_sym = self.grid.num_data_symbols  # N_sf x N_st per user
        pg = self.grid.pilot_grid()[0]  # [K, T, F]
        self.register_buffer("pilot_ref", torch.stack([pg.real, pg.imag], 1).float(), persistent=False)  # [K, 2, T, F]
        self.receiver: nn.Module | None = None
        if variant == "djscc":
            self.encoder = create_model("djscc", k=self.n_sym)
            self.decoder = SymmetricDJSCCDecoder(self.n_sym, num_classes)
            self.receiver = MultiUserPilotReceiver(self.grid)
        else:
            self.encoder = AsymmetricEncoder(self.n_sym, num_antennas, adaptation=variant in ("full", "no_pilot"))
            self.decoder = LightweightDecoder(self.grid.num_ofdm_symbols, num_subcarriers, self.grid.pilot_symbols,
                                              pilot_attention=variant == "full", num_classes=num_classes)
        kind = precoder or ("hybrid_rzf" if variant in ("full", "no_pilot") else "rzf")
        if kind == "hybrid_rzf":
            self.precoder = HybridRZF(num_antennas, num_users, alpha_init=alpha_init)
        elif kind == "hybrid_zf":  # Fig. 10: the hybrid precoder with alpha held at 0 (ZF), its residual kept
            self.precoder = HybridRZF(num_antennas, num_users, alpha_init=alpha_init, alpha_fixed=0.0)
        elif kind in ("rzf", "zf"):  # classical; zf = RZF at alpha = 0 without the singular guard (Fig. 10)
            self.precoder = Precoder("rzf", alpha=alpha_init if kind == "rzf" else 0.0, normalization="grid")
        else:
            raise SemcomError(f"precoder {kind!r}; expected hybrid_rzf, hybrid_zf, rzf or zf")
        self.precoder_kind = kind
        self.channels_last = False
        self.use_fast_path(fast_path)
        # attached by the checkpoint loader: the training recipe, its epoch, where the channels come from
        self.recipe: dict[str, Any] = {}
        self.checkpoint_epoch: int | None = None
        self.channel_source_name = ""

    def use_fast_path(self, enable: bool = True) -> None:
        """The convolutional networks (encoder, decoder, the precoder's residual network) and their inputs laid out
        as NHWC, their ReLUs in place (``enable``, the default), or the reference NCHW path with out-of-place ReLUs
        (``benchmarks/mumimo_step.py`` measures one against the other). The same function either way: outputs
        and gradients agree within float rounding (tested); NHWC avoids mkldnn's layout copies on CPUs and suits
        cuDNN on GPUs."""
        set_inplace_relu(self, enable)
        fmt = torch.channels_last if enable else torch.contiguous_format
        for part in (self.encoder, self.decoder, self.precoder):
            if hasattr(part, "use_channels_last"):
                part.use_channels_last(enable)
            else:
                part.to(memory_format=fmt)
        self.channels_last = enable

    @property
    def channel_uses_per_user(self) -> int:
        return self.n_sym

    def forward(self, img: Tensor, snr_db: Tensor | float, generator: torch.Generator | None = None,
                h: Tensor | None = None) -> dict[str, Any]:
        if not self.training:  # training batches come from the data module; no per-step sync there
            images_01(img, "MUMIMOSemanticSystem images")
        b, k = img.shape[:2]
        if k != self.k_users:
            raise SemcomError(f"expected {self.k_users} images per sample, got {k}")
        if h is None:
            h = self.channel.draw(b, generator).to(img.device)
        snr = torch.as_tensor(snr_db, dtype=torch.float32, device=img.device)
        n0 = torch.pow(10.0, -snr / 10.0)
        n0 = n0.expand(b) if n0.ndim == 0 else n0
        # encoder -> unit-energy complex symbols per user
        if self.variant == "djscc":
            z = self.encoder.encode(as_layout(img.flatten(0, 1), self.channels_last)).reshape(b, k, -1)
        else:
            h_abs = h.abs().mean(2).permute(0, 2, 3, 1)  # [B, K, M, N_f]: |H| over frequency, per user and antenna
            z = self.encoder(img, n0, h_abs)
        s = torch.complex(z[..., 0::2], z[..., 1::2])
        s = s / torch.sqrt(s.abs().pow(2).mean(-1, keepdim=True).clamp_min(1e-12))
        grid = self.grid.map(s[:, None].to(torch.complex64))[:, 0]  # [B, K, T, F] with pilots
        s_grid = grid.permute(0, 3, 2, 1)  # [B, F, T, K]
        x = self.precoder(s_grid, h, n0)  # [B, F, T, M], mean power 1 per RE
        y = self.channel(x, snr, h=h, generator=generator)  # [B, F, T, K]
        y_users = y.permute(0, 3, 2, 1)  # [B, K, T, F]
        y_real = torch.stack([y_users.real, y_users.imag], 2).flatten(0, 1).float()  # [B K, 2, T, F]
        if self.receiver is not None:  # DJSCC: each user's data over its LS gain
            data = self.receiver(y, n0)  # [B, K, N_sym]
            zr = torch.stack([data.real, data.imag], -1).flatten(0, 1).flatten(1).float()
            recon, logits = self.decoder(zr)
        else:
            ref = self.pilot_ref.to(img.device).repeat(b, 1, 1, 1)  # each user its own pilots: [B K, 2, T, F]
            recon, logits = self.decoder(y_real, ref)
        return {"recon": recon.reshape(b, k, *recon.shape[1:]), "logits": logits.reshape(b, k, -1), "h": h,
                "noise_var": n0, "x": x}


def bandwidth_ratio(num_subcarriers: int) -> float:
    """Complex channel uses per user image over its 3 x 32 x 32 source dimensions."""
    return num_subcarriers * 12 / 3072


@dataclass
class MUMIMOSection:
    """The recipe's ``model`` section of the MU-MIMO OFDM system."""

    name: str = "mumimo_semcom"
    variant: str = "full"  # full | no_pilot | rzf | djscc
    num_subcarriers: int = 32  # N_f: 32 | 64 | 128
    num_users: int = 4
    num_antennas: int = 4
    precoder: Optional[str] = None  # null = the variant's (hybrid_rzf or rzf); hybrid_zf = Fig. 10's alpha = 0
    alpha_init: float = 1.0
    ce_weight: float = 0.01  # weight of the cross-entropy next to the MSE


def build_mumimo_system(recipe: dict[str, Any], channel_source: bool = True) -> MUMIMOSemanticSystem:
    """The recipe's system; ``channel_source=False`` builds it without a source of H (no bank, no Sionna):
    H must then be given to ``forward``."""
    m, c = recipe["model"], recipe["channel"]
    nf = int(m.get("num_subcarriers", 32))
    users = int(m.get("num_users", 4))
    channel = downlink_channel(c.get("name", "umi"), nf, bank=c.get("bank"), num_users=users,
                               seed=int(c.get("seed", 0)), source=channel_source)
    return MUMIMOSemanticSystem(channel, nf, m.get("variant", "full"), users, int(m.get("num_antennas", 4)),
                                precoder=m.get("precoder"), alpha_init=float(m.get("alpha_init", 1.0)))


class MUMIMOModule(TrainModule):
    """Lightning module of :class:`MUMIMOSemanticSystem` (loss: see the module docstring). Draws SNRs and
    channels on a CPU generator (channel banks live on the CPU)."""

    generator_stream = 17
    generator_on_cpu = True

    def __init__(self, recipe: dict[str, Any]) -> None:
        super().__init__(recipe)
        self.system = build_mumimo_system(recipe)
        self.sampler = build_sampler(recipe)
        self.k_users = self.system.k_users
        if int(recipe["train"]["batch_size"]) % self.k_users:
            raise SemcomError(f"train.batch_size={recipe['train']['batch_size']} must be a multiple of the "
                              f"{self.k_users} users (it counts images)")
        self.ce_weight = float(recipe["model"].get("ce_weight", 0.01))

    @property
    def k(self) -> int:
        return self.system.channel_uses_per_user

    def describe(self) -> str:
        nf = self.system.grid.num_subcarriers
        return (f"{self.recipe['name']}: MU-MIMO OFDM system (Li et al. 2025), variant {self.system.variant}, "
                f"precoder {self.system.precoder_kind}, {self.k_users} users, N_f = {nf}: {self.k} complex channel "
                f"uses per user image (K/N = {self.k / 3072:.4f}); SNR {self.sampler!r}")

    def _group(self, batch: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        img = to_float(batch[0])
        n = img.shape[0] - img.shape[0] % self.k_users
        if n == 0:
            raise SemcomError(f"a batch of {img.shape[0]} images cannot fill {self.k_users} users")
        return img[:n].reshape(-1, self.k_users, *img.shape[1:]), batch[1][:n].reshape(-1, self.k_users)

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        gen = self.generator
        img, labels = self._group(batch)
        snr = self.sampler(img.shape[0], 1, device=torch.device("cpu"), generator=gen).to(self.device)
        out = self.system(img, snr, generator=gen)
        mse = F.mse_loss(out["recon"], img)
        ce = F.cross_entropy(out["logits"].flatten(0, 1), labels.flatten())
        loss = self.finite(mse + self.ce_weight * ce)
        self.log_dict({"train_mse": mse, "train_ce": ce, "train_loss": loss}, prog_bar=False)
        if hasattr(self.system.precoder, "alpha"):
            self.log("alpha", self.system.precoder.alpha)
        return loss

    def on_validation_epoch_start(self) -> None:
        self._val: dict[float, list[Tensor]] = {s: [] for s in self.val_snr_db}
        self._acc: dict[float, list[Tensor]] = {s: [] for s in self.val_snr_db}
        self._val_gen = self.validation_generator()

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


def bank_path(bank_dir: str | Path, scenario: str, nf: int, suffix: str = "") -> Path:
    """Where ``semcom mumimo`` looks for the bank of a scenario: ``{bank_dir}/{scenario}_nf{N_f}{suffix}``."""
    return Path(bank_dir) / f"{scenario}_nf{nf}{suffix}"


def load_mumimo(info: dict[str, Any], path: Path | str = "checkpoint", scenario: str | None = None,
                bank_dir: str | Path | None = None, bank_suffix: str = "_test", channel_seed: int = 1,
                channel_source: bool = True) -> MUMIMOSemanticSystem:
    """A trained :class:`MUMIMOSemanticSystem` (eval mode) whose channel is ``scenario`` (default: the training
    scenario), drawn from the bank ``{bank_dir}/{scenario}_nf{N_f}{bank_suffix}`` when it exists, else generated
    by Sionna with ``channel_seed`` (or no source with ``channel_source=False``). Attached: ``recipe``,
    ``checkpoint_epoch`` and ``channel_source_name`` (the bank path or how H is generated)."""
    recipe = info["recipe"]
    sc = scenario or recipe["channel"]["name"]
    nf = int(recipe["model"].get("num_subcarriers", 32))
    bank = bank_path(bank_dir, sc, nf, bank_suffix) if bank_dir is not None else None
    has_bank = bank is not None and Path(bank, "meta.json").exists()
    r = {**recipe, "channel": {**recipe["channel"], "name": sc, "bank": str(bank) if has_bank else None,
                               "seed": channel_seed}}
    system = build_mumimo_system(r, channel_source=channel_source)
    missing, unexpected = system.load_state_dict(sub_state(info["state_dict"], "system"), strict=False)
    if unexpected or [k for k in missing if not k.startswith("channel.")]:
        raise SemcomError(f"checkpoint {path} does not fit its recipe's system: missing {missing[:3]}, "
                          f"unexpected {unexpected[:3]}")
    system.recipe = recipe
    system.checkpoint_epoch = info["epoch"]
    system.channel_source_name = (str(bank) if has_bank else (
        f"generated on the fly (Sionna, seed {channel_seed})" if channel_source else "none (give H)"))
    return system.eval()


def _load(info: dict[str, Any], path: Path | str = "checkpoint", **options: Any) -> MUMIMOSemanticSystem:
    options.setdefault("channel_source", False)  # loading alone needs no bank and no Sionna generator
    return load_mumimo(info, path, **options)


MUMIMO = register_system(SystemSpec(
    name="li2025_mumimo",
    summary="scenario-adaptive MU-MIMO OFDM semantic system (Li, Zhang, Liu 2025): asymmetric encoder, hybrid "
            "learnable RZF, pilot-guided decoder, over the 3GPP TR 38.901 downlink",
    module=MUMIMOModule, build=build_mumimo_system, load=_load, model_names=("mumimo_semcom",),
    section=MUMIMOSection, evaluate_with="semcom mumimo"), aliases=("mumimo",))

__all__ = ["MUMIMOModule", "MUMIMOSection", "MUMIMOSemanticSystem", "VARIANTS", "bandwidth_ratio",
           "build_mumimo_system", "load_mumimo"]
