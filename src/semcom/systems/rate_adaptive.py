"""Rate-adaptive (variable-length) deep JSCC over a scalar channel: the feature-selection branch of the robust
deep JSCC survey (Section III-B).

Two systems share one backbone, the convolutional deep JSCC of Bourtsoulatze et al. 2019 (``adapter="none"``:
the latent is [c, H/4, W/4], flattened channel by channel, so the complex symbol j carries latent values 2j and
2j + 1 and a prefix of the symbols is a prefix of the latent channels) with FiLM SNR conditioning at both ends:

* ``zhang2023_padc`` (the variable-length DeepJSCC-V of PADC, Zhang et al. 2023): only the first
  K_sent = ceil(CR * K) symbols are sent. In training CR is drawn per image uniformly in [cr_min, 1], so the
  network learns to put what matters most first and the decoder reads a prefix of any length (the missing
  symbols are zeros at its input). PADC chooses CR with OraNet, a PSNR regressor; semcom evaluates every CR of
  a grid and the *PSNR oracle* (the smallest CR whose measured PSNR reaches a target, per image), the upper
  bound of any such predictor (:mod:`semcom.evaluation.rate`).
* ``yang2022_rate`` (Yang and Kim 2022, adaptive rate control): the K symbols form ``groups`` equal groups,
  the first ``always_sent`` of them always sent; a policy network (an MLP of the pooled latent and the SNR,
  64 -> 64 in the paper) picks how many of the others to send, per image and SNR, as a hard Gumbel-softmax
  sample (temperature annealed from ``tau_start`` to ``tau_end`` over training; argmax at inference) whose
  straight-through thermometer mask multiplies the transmitted and received symbols. Loss
  MSE + lam * (K_sent / K) [the paper: 200 MSE + 0.4 x groups; the same trade-off up to scale]. With
  ``estimator: expected`` (not the paper's) the policy is trained on its exact expected loss over the choices
  instead (:func:`expected_choice_loss`): on semcom's backbone the straight-through estimate through the mask
  drives every policy to the fewest groups even where the measured trade-off favours more (results/rate_adaptive).

Power: the sent symbols have unit average energy per image exactly (normalised over the prefix only), so a
shorter transmission spends less energy, not more power per symbol. Noise convention: semcom's, SNR = Es/N0
per complex symbol, noise CN(0, N0); the receiver (and FiLM) know the true SNR, as in both papers.
[assume] The backbone widths (16, 32) are Bourtsoulatze's, smaller than the papers' networks (PADC and Yang and
Kim use wider GDN/attention blocks); SNR uniform in [0, 20] dB per image as in both papers.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import torch
from torch import Tensor, nn
from torch.nn import functional as F

import semcom.channels as channels
from semcom.channels.core import complex_to_real, real_to_complex
from semcom.checkpoint import load_state, read_checkpoint, sub_state
from semcom.checks import images_01
from semcom.errors import SemcomError
from semcom.metrics import psnr_per_image
from semcom.models.conditioning import SNR_SCALE_DB, per_sample_snr_db
from semcom.models.djscc import DeepJSCC
from semcom.systems.registry import SystemSpec, register_system
from semcom.training.base import TrainModule, build_sampler, to_float


def check_cr(cr: float, what: str = "CR") -> float:
    """A compression ratio (fraction of the K symbols sent) in (0, 1], else one clear error."""
    if isinstance(cr, bool) or not isinstance(cr, (int, float)) or not math.isfinite(cr) or not 0.0 < cr <= 1.0:
        raise SemcomError(f"{what}={cr!r}; expected a fraction of the channel uses sent in (0, 1]")
    return float(cr)


def symbols_for(cr: Tensor | float, k: int) -> Tensor:
    """Channel uses sent at compression ratio ``cr`` ([] or [B]): ceil(cr * K), at least 1 (int64, same shape).
    Exact: cr = j / K sends j symbols."""
    c = torch.as_tensor(cr, dtype=torch.float64)
    return torch.ceil(c * k - 1e-9).clamp(1, k).to(torch.int64)


def prefix_mask(k_sent: Tensor, k: int) -> Tensor:
    """[B, K] float mask, 1 on the first ``k_sent[b]`` symbols of each image (k_sent int64 [B])."""
    return (torch.arange(k, device=k_sent.device)[None, :] < k_sent[:, None]).float()


def send_masked(z: Tensor, mask: Tensor, k_sent: Tensor, eps: float = 1e-12) -> Tensor:
    """Real features [B, 2K] -> complex symbols [B, K], zero where ``mask`` is 0 and with unit average energy over
    the ``k_sent`` [B] symbols sent (``mask`` may carry a straight-through gradient; its values are 0 or 1)."""
    x = real_to_complex(z) * mask.to(z.dtype)
    energy = x.abs().pow(2).sum(1, keepdim=True)
    return x * torch.rsqrt(energy / k_sent.to(energy.dtype)[:, None] + eps)


@dataclass
class VariableLengthSection:
    """The recipe's ``model`` section of the variable-length (PADC-style) system."""

    name: str = "zhang2023_padc"
    k: int = 512  # K, the most complex channel uses per image (CR = 1)
    image_size: int = 32
    hidden: list[int] = field(default_factory=lambda: [16, 32])
    conditioning: str = "film"  # SNR conditioning of the backbone (none | film | hyper | af)
    cr_min: float = 0.1  # training CR ~ uniform [cr_min, 1] per image
    val_cr: list[float] = field(default_factory=lambda: [0.25, 0.5, 1.0])


@dataclass
class RatePolicySection:
    """The recipe's ``model`` section of the learned-rate-policy (Yang and Kim) system."""

    name: str = "yang2022_rate"
    k: int = 512
    image_size: int = 32
    hidden: list[int] = field(default_factory=lambda: [16, 32])
    conditioning: str = "film"
    groups: int = 8  # equal groups of K / groups symbols [paper: 8 groups of 2 latent channels]
    always_sent: int = 4  # the non-selective groups [paper: 4]
    policy_hidden: int = 64  # [paper: 64 -> 64]
    lam: float = 2.0e-3  # weight of the rate K_sent / K in the loss
    tau_start: float = 2.0  # Gumbel-softmax temperature, annealed exponentially over training
    tau_end: float = 0.5
    estimator: str = "straight_through"  # straight_through [paper] | expected (exact expected loss over choices)
    init_from: Optional[str] = None  # a checkpoint whose backbone (system.model) starts the training
    train_backbone: bool = True  # False: only the policy network learns


def _backbone(sec: VariableLengthSection | RatePolicySection) -> DeepJSCC:
    if len(sec.hidden) != 2:
        raise SemcomError(f"model.hidden={sec.hidden}; expected the two widths of the first conv stages")
    return DeepJSCC(sec.k, sec.image_size, 3, (int(sec.hidden[0]), int(sec.hidden[1])), adapter="none",
                    conditioning=sec.conditioning)


class VariableLengthJSCC(nn.Module):
    """Deep JSCC sending a prefix of its K symbols (see the module docstring).

    ``run(img, snr_db, generator=None, cr=None)``: img float [B, 3, H, W] in [0, 1]; snr_db [] or [B] (Es/N0 dB);
    cr None (training: drawn per image in [cr_min, 1]; evaluation: :attr:`eval_cr`), a float or a [B] tensor.
    Returns ``recon`` [B, 3, H, W], ``z_rx`` (received real features [B, 2K], zero where nothing was sent),
    ``k_sent`` (float [B], complex channel uses of each image = the symbols sent), ``sent`` (complex [B, K]
    transmitted symbols, zeros beyond the prefix), ``logits`` None, ``snr_rx_db``.
    """

    estimator = None
    head = None
    reuses_symbols = False

    def __init__(self, model: DeepJSCC, channel: nn.Module, cr_min: float = 0.1) -> None:
        super().__init__()
        self.model = model
        self.channel = channel
        self.cr_min = check_cr(cr_min, "model.cr_min")
        self.eval_cr: float | None = 1.0
        self.recipe: dict[str, Any] = {}

    @property
    def k(self) -> int:
        return int(self.model.k)

    @property
    def bandwidth_ratio(self) -> float:
        return float(self.model.bandwidth_ratio)

    @property
    def conditioned(self) -> bool:
        return bool(self.model.snr_conditioned)

    def use_rate(self, cr: float | None) -> None:
        """Evaluate at a fixed compression ratio (``None``: the system's own policy, where it has one)."""
        self.eval_cr = None if cr is None else check_cr(cr)

    def encode(self, img: Tensor, snr_db: Tensor | float) -> Tensor:
        if not self.training:
            images_01(img, f"{type(self).__name__} images")
        return self.model.encode(img, snr_db) if self.conditioned else self.model.encode(img)

    def rate_of(self, img: Tensor, z: Tensor, snr_db: Tensor | float, generator: torch.Generator | None,
                cr: Tensor | float | None) -> tuple[Tensor, Tensor, dict[str, Any]]:
        """(mask [B, K], k_sent int64 [B], extra outputs) of a batch."""
        b = img.shape[0]
        if cr is None:
            if self.training:
                u = torch.rand(b, generator=generator, device=generator.device if generator else img.device)
                cr = (self.cr_min + (1.0 - self.cr_min) * u).to(img.device)
            elif self.eval_cr is None:
                raise SemcomError(f"{type(self).__name__} has no rate policy: give a CR")
            else:
                cr = self.eval_cr
        k_sent = symbols_for(cr, self.k).to(img.device).expand(b).contiguous()
        return prefix_mask(k_sent, self.k), k_sent, {}

    def run(self, img: Tensor, snr_db: Tensor | float, generator: torch.Generator | None = None,
            cr: Tensor | float | None = None) -> dict[str, Any]:
        z = self.encode(img, snr_db)
        mask, k_sent, extra = self.rate_of(img, z, snr_db, generator, cr)
        x = send_masked(z, mask, k_sent)
        y = self.channel(x, snr_db, generator=generator) * mask.to(x.dtype)
        z_rx = complex_to_real(y)
        size = (img.shape[-2], img.shape[-1])
        recon = self.model.decode(z_rx, size, snr_db) if self.conditioned else self.model.decode(z_rx, size)
        return {"recon": recon, "z_rx": z_rx, "k_sent": k_sent.to(torch.float64), "sent": x, "logits": None,
                "snr_rx_db": snr_db, **extra}

    def sweep_step(self, img: Tensor, snr_db: Tensor | float, generator: torch.Generator | None = None,
                   sent: Tensor | None = None) -> dict[str, Any]:
        """One evaluation step (``semcom eval``, ``semcom rate``) at :attr:`eval_cr` or the policy."""
        return self.run(img, snr_db, generator)

    def forward(self, img: Tensor, snr_db: Tensor | float, generator: torch.Generator | None = None) -> Tensor:
        return self.run(img, snr_db, generator)["recon"]


class RatePolicyJSCC(VariableLengthJSCC):
    """:class:`VariableLengthJSCC` whose rate a policy network picks per image and SNR (Yang and Kim 2022).

    Group g (of ``groups``, K / groups symbols each) is sent when g < ``always_sent`` + n, n in
    {0, ..., groups - always_sent} the policy's choice. ``run`` adds ``groups_sent`` (int64 [B]) and
    ``rate_logits`` [B, groups - always_sent + 1]; ``k_sent`` = (always_sent + n) * K / groups exactly.
    :meth:`use_rate` with a CR that is a multiple of 1 / groups evaluates the backbone without the policy.
    """

    def __init__(self, model: DeepJSCC, channel: nn.Module, groups: int = 8, always_sent: int = 4,
                 policy_hidden: int = 64, tau: float = 1.0) -> None:
        super().__init__(model, channel, cr_min=1.0)
        if groups < 1 or model.k % groups:
            raise SemcomError(f"model.groups={groups}; expected a positive divisor of K = {model.k}")
        if not 0 <= always_sent <= groups - 1:
            raise SemcomError(f"model.always_sent={always_sent}; expected 0 ... groups - 1 = {groups - 1}")
        if not tau > 0:
            raise SemcomError(f"Gumbel-softmax temperature {tau}; expected > 0")
        self.groups, self.always_sent, self.group_size = groups, always_sent, model.k // groups
        c = model.latent_shape[0]
        self.policy = nn.Sequential(nn.Linear(c + 1, policy_hidden), nn.ReLU(), nn.Linear(policy_hidden, policy_hidden),
                                    nn.ReLU(), nn.Linear(policy_hidden, groups - always_sent + 1))
        self.tau = tau
        self.eval_cr = None

    @property
    def choices(self) -> int:
        return self.groups - self.always_sent + 1

    def use_rate(self, cr: float | None) -> None:
        if cr is not None and abs(check_cr(cr) * self.groups - round(cr * self.groups)) > 1e-9:
            raise SemcomError(f"CR={cr} is not a whole number of this model's {self.groups} groups")
        super().use_rate(cr)

    def policy_logits(self, z: Tensor, snr_db: Tensor | float) -> Tensor:
        c = self.model.latent_shape[0]
        pooled = z.reshape(z.shape[0], c, -1).mean(-1)
        snr = per_sample_snr_db(snr_db, z.shape[0], z.device).to(z.dtype)[:, None] / SNR_SCALE_DB
        return self.policy(torch.cat([pooled, snr], 1))

    def rate_of(self, img: Tensor, z: Tensor, snr_db: Tensor | float, generator: torch.Generator | None,
                cr: Tensor | float | None) -> tuple[Tensor, Tensor, dict[str, Any]]:
        if cr is not None or self.eval_cr is not None:
            mask, k_sent, _ = super().rate_of(img, z, snr_db, generator, cr if cr is not None else self.eval_cr)
            return mask, k_sent, {"groups_sent": k_sent // self.group_size}
        logits = self.policy_logits(z, snr_db)
        if self.training:
            u = torch.rand(logits.shape, generator=generator, device=logits.device).clamp_(1e-10, 1.0 - 1e-7)
            soft = F.softmax((logits - torch.log(-torch.log(u))) / self.tau, dim=-1)
            onehot = F.one_hot(soft.argmax(-1), self.choices).to(soft.dtype)
            onehot = onehot + soft - soft.detach()  # straight through
        else:
            onehot = F.one_hot(logits.argmax(-1), self.choices).to(logits.dtype)
        # group always_sent + j (j = 0 .. choices - 2) is sent when n > j: sum of onehot[n] over n > j
        optional = onehot.flip(-1).cumsum(-1).flip(-1)[:, 1:]
        g_mask = torch.cat([torch.ones(z.shape[0], self.always_sent, device=z.device, dtype=onehot.dtype), optional], 1)
        mask = g_mask.repeat_interleave(self.group_size, dim=1)
        n = onehot.detach().argmax(-1)
        k_sent = (self.always_sent + n) * self.group_size
        counts = torch.arange(self.choices, device=z.device, dtype=onehot.dtype)
        rate = (self.always_sent + (onehot * counts).sum(-1)) / self.groups  # K_sent / K with the ST gradient
        return mask, k_sent, {"groups_sent": self.always_sent + n, "rate_logits": logits, "rate": rate}


def expected_choice_loss(system: RatePolicyJSCC, img: Tensor, snr_db: Tensor | float, lam: float,
                         generator: torch.Generator | None = None) -> tuple[Tensor, dict[str, Tensor]]:
    """The policy's exact expected loss, E_{n ~ softmax(logits)}[MSE_n + lam * K_n / K] per image, averaged
    over the batch: every choice n is decoded from the same channel draw (the generator's state is replayed),
    so the policy's gradient is exact instead of the straight-through estimate through the mask, and the
    backbone learns every rate weighted by how often the policy picks it. Costs one decoder pass per choice.
    Returns (loss, {"mse": mean expected MSE, "rate": mean expected K_sent / K, "probs": [B, choices]})."""
    z = system.encode(img, snr_db)
    probs = F.softmax(system.policy_logits(z, snr_db), dim=-1)
    state = generator.get_state() if generator is not None else None
    size = (img.shape[-2], img.shape[-1])
    b = img.shape[0]
    mses = []
    for n in range(system.choices):
        k_sent = torch.full((b,), (system.always_sent + n) * system.group_size, device=img.device, dtype=torch.int64)
        mask = prefix_mask(k_sent, system.k)
        x = send_masked(z, mask, k_sent)
        if generator is not None and state is not None:
            generator.set_state(state)
        y = system.channel(x, snr_db, generator=generator) * mask.to(x.dtype)
        z_rx = complex_to_real(y)
        recon = (system.model.decode(z_rx, size, snr_db) if system.conditioned
                 else system.model.decode(z_rx, size))
        mses.append((recon - img).pow(2).flatten(1).mean(1))
    mse = torch.stack(mses, 1)  # [B, choices]
    rates = (system.always_sent + torch.arange(system.choices, device=img.device, dtype=mse.dtype)) / system.groups
    exp_mse, exp_rate = (probs * mse).sum(1).mean(), (probs * rates).sum(1).mean()
    return exp_mse + lam * exp_rate, {"mse": exp_mse, "rate": exp_rate, "probs": probs}


def _section(recipe: dict[str, Any], cls: Any) -> Any:
    m = dict(recipe["model"])
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in m.items() if k in names})


def build_variable_length(recipe: dict[str, Any]) -> VariableLengthJSCC:
    sec = _section(recipe, VariableLengthSection)
    for cr in sec.val_cr:
        check_cr(cr, "model.val_cr")
    c = dict(recipe["channel"])
    return VariableLengthJSCC(_backbone(sec), channels.create(c.pop("name"), **c), cr_min=sec.cr_min)


def build_rate_policy(recipe: dict[str, Any]) -> RatePolicyJSCC:
    sec = _section(recipe, RatePolicySection)
    if sec.lam < 0:
        raise SemcomError(f"model.lam={sec.lam}; expected a non-negative rate weight")
    if sec.estimator not in ("straight_through", "expected"):
        raise SemcomError(f"model.estimator={sec.estimator!r}; expected 'straight_through' or 'expected'")
    if not (sec.tau_start > 0 and sec.tau_end > 0):
        raise SemcomError(f"model.tau_start={sec.tau_start}, tau_end={sec.tau_end}; expected positive temperatures")
    c = dict(recipe["channel"])
    return RatePolicyJSCC(_backbone(sec), channels.create(c.pop("name"), **c), sec.groups, sec.always_sent,
                          sec.policy_hidden, tau=sec.tau_start)


class VariableLengthModule(TrainModule):
    """Trains :class:`VariableLengthJSCC` with MSE, CR ~ U[cr_min, 1] and the SNR of the recipe's sampler per
    image. Validation: PSNR at ``train.val_snr_db`` x ``model.val_cr``."""

    generator_stream = 35791

    def __init__(self, recipe: dict[str, Any]) -> None:
        super().__init__(recipe)
        self.system: VariableLengthJSCC = self.build(recipe)
        self.sampler = build_sampler(recipe)
        self.val_cr = [float(c) for c in (recipe["model"].get("val_cr") or [1.0])]
        self._val: dict[tuple[float, float | None], list[Tensor]] = {}
        self._val_k: dict[tuple[float, float | None], list[Tensor]] = {}

    def build(self, recipe: dict[str, Any]) -> VariableLengthJSCC:
        return build_variable_length(recipe)

    @property
    def k(self) -> int:
        return self.system.k

    def describe(self) -> str:
        s = self.system
        return (f"{self.recipe['name']}: variable-length deep JSCC ({type(s).__name__}), K up to {s.k} complex "
                f"channel uses per 3x32x32 image (k/n up to {s.bandwidth_ratio:.4f}); sampler {self.sampler!r}; "
                f"channel {s.channel}")

    def loss(self, out: dict[str, Any], img: Tensor) -> Tensor:
        return F.mse_loss(out["recon"], img)

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        img = to_float(batch[0])
        gen = self.generator
        snr = self.sampler(img.shape[0], self.system.k, device=self.device, generator=gen)
        out = self.system.run(img, snr, generator=gen)
        loss = self.finite(self.loss(out, img))
        self.log("train_loss", loss, prog_bar=True)
        self.log("train_k_sent", out["k_sent"].mean())
        return loss

    def val_rates(self) -> list[float | None]:
        return list(self.val_cr)

    def on_validation_epoch_start(self) -> None:
        self._val_gen = self.validation_generator()
        self._val, self._val_k = {}, {}

    def validation_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        img = to_float(batch[0])
        with torch.no_grad():
            for snr in self.val_snr_db:
                for cr in self.val_rates():
                    self.system.use_rate(cr)
                    out = self.system.run(img, snr, generator=self._val_gen)
                    self._val.setdefault((snr, cr), []).append(psnr_per_image(out["recon"], img))
                    self._val_k.setdefault((snr, cr), []).append(out["k_sent"])
        self.system.use_rate(self.val_rates()[-1])

    def on_validation_epoch_end(self) -> None:
        sync = self.trainer.world_size > 1
        means = []
        for (snr, cr), values in self._val.items():
            mean = torch.cat(values).mean()
            means.append(mean)
            tag = "policy" if cr is None else f"cr{cr:g}"
            self.log(f"val_psnr_{snr:g}dB_{tag}", mean, sync_dist=sync)
            if cr is None:
                self.log(f"val_k_sent_{snr:g}dB", torch.cat(self._val_k[(snr, cr)]).float().mean(), sync_dist=sync)
        if means:
            self.log("val_psnr", torch.stack(means).mean(), prog_bar=True, sync_dist=sync)


class RatePolicyModule(VariableLengthModule):
    """Trains :class:`RatePolicyJSCC` with MSE + lam * K_sent / K (the policy's straight-through rate), the
    Gumbel temperature annealed from ``tau_start`` to ``tau_end`` over the planned steps. ``init_from`` starts
    the backbone from another checkpoint's (a variable-length or point-to-point model of the same shape);
    ``train_backbone: false`` trains the policy alone. Validation: PSNR and mean K_sent of the policy at
    ``train.val_snr_db``."""

    generator_stream = 46802

    def __init__(self, recipe: dict[str, Any]) -> None:
        super().__init__(recipe)
        sec = _section(recipe, RatePolicySection)
        self.lam, self.tau_start, self.tau_end = float(sec.lam), float(sec.tau_start), float(sec.tau_end)
        self.train_backbone = bool(sec.train_backbone)
        self.estimator = sec.estimator
        if sec.init_from:
            state = sub_state(read_checkpoint(sec.init_from)["state_dict"], "system.model")
            load_state(self.system.model, state,
                       f"model.init_from={sec.init_from}: its backbone does not match this recipe's")

    def build(self, recipe: dict[str, Any]) -> VariableLengthJSCC:
        return build_rate_policy(recipe)

    def trainable_parameters(self) -> Any:
        assert isinstance(self.system, RatePolicyJSCC)
        return self.parameters() if self.train_backbone else self.system.policy.parameters()

    def describe(self) -> str:
        s = self.system
        assert isinstance(s, RatePolicyJSCC)
        return (f"{self.recipe['name']}: deep JSCC with a learned rate policy (Yang and Kim), {s.groups} groups of "
                f"{s.group_size} symbols, {s.always_sent} always sent, K_sent {s.always_sent * s.group_size}-{s.k}; "
                f"lam = {self.lam:g}; sampler {self.sampler!r}; channel {s.channel}")

    def temperature(self) -> float:
        total = max(1, int(getattr(self.trainer, "estimated_stepping_batches", 1) or 1)) if self._trainer else 1
        frac = min(1.0, self.global_step / total)
        return self.tau_start * (self.tau_end / self.tau_start) ** frac

    def loss(self, out: dict[str, Any], img: Tensor) -> Tensor:
        mse = F.mse_loss(out["recon"], img)
        rate = out["rate"].mean()
        self.log_dict({"train_mse": mse, "train_rate": rate})
        return mse + self.lam * rate

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        assert isinstance(self.system, RatePolicyJSCC)
        self.system.tau = self.temperature()
        self.system.use_rate(None)
        if self.estimator == "straight_through":
            return super().training_step(batch, batch_idx)
        img = to_float(batch[0])
        gen = self.generator
        snr = self.sampler(img.shape[0], self.system.k, device=self.device, generator=gen)
        loss, parts = expected_choice_loss(self.system, img, snr, self.lam, gen)
        self.finite(loss)
        self.log_dict({"train_loss": loss, "train_mse": parts["mse"], "train_rate": parts["rate"]}, prog_bar=False)
        return loss

    def val_rates(self) -> list[float | None]:
        return [None]


def _load(build: Any, kind: str) -> Any:
    def load(info: dict[str, Any], path: Path | str = "checkpoint", snr_source: str | None = None,
             cr: float | None = None, **options: Any) -> VariableLengthJSCC:
        """The trained system of a checkpoint (eval mode, ``recipe`` attached), at ``cr`` if given."""
        if options:
            raise SemcomError(f"the {kind} loader takes cr only, not {sorted(options)}")
        if snr_source not in (None, "true"):
            raise SemcomError(f"checkpoint {path} is a {kind} system: its receiver is given the true SNR, so "
                              f"--snr-source {snr_source} does not apply")
        system = build(info["recipe"])
        load_state(system, sub_state(info["state_dict"], "system"),
                   f"checkpoint {path} does not match the model its recipe describes")
        if cr is not None:
            system.use_rate(cr)
        system.recipe = info["recipe"]
        return system.eval()

    return load


load_variable_length = _load(build_variable_length, "variable-length JSCC")
load_rate_policy = _load(build_rate_policy, "rate-policy JSCC")

VARIABLE_LENGTH = register_system(SystemSpec(
    name="zhang2023_padc",
    summary="variable-length deep JSCC (PADC's DeepJSCC-V, Zhang et al. 2023): a prefix of CR x K symbols is sent, "
            "CR ~ U[cr_min, 1] in training; evaluated over CR x SNR with the PSNR oracle (semcom rate)",
    module=VariableLengthModule, build=build_variable_length, load=load_variable_length,
    model_names=("zhang2023_padc", "deepjscc_v"), section=VariableLengthSection, evaluate_with="semcom eval"))

RATE_POLICY = register_system(SystemSpec(
    name="yang2022_rate",
    summary="deep JSCC with a learned rate policy (Yang and Kim 2022): a Gumbel-softmax policy of the image and SNR "
            "picks how many feature groups to send; loss MSE + lam x rate (semcom rate)",
    module=RatePolicyModule, build=build_rate_policy, load=load_rate_policy,
    model_names=("yang2022_rate",), section=RatePolicySection, evaluate_with="semcom eval"))
