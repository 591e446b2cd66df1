"""Training objectives of the robust-JSCC survey (eqs. 1-6) and its robust-training regularisers.

* data recovery: MSE or 1 - SSIM between the image and its reconstruction;
* task execution: cross-entropy of a classifier head on the received features;
* joint: ``lam * L_rec + (1 - lam) * L_task`` with one encoder and separate heads; with ``lam = 1`` and a
  classification task the head is trained on detached received features (a probe of what
  reconstruction-only training keeps for the task), so the encoder sees the reconstruction loss only;
* KL posterior consistency (Park et al.): E_n KL(p(y|z) || p(y|z+n)) ~ (sigma^2 / 2) Tr I(z), the Fisher
  information of the received features z, added with weight ``beta``. Exact for the classification head,
  Tr I(z) = sum_y p(y|z) ||grad_z log p(y|z)||^2 (C gradients, double backprop). For reconstruction
  [assume] a Gaussian decoder N(g(z), s^2 I): Tr I(z) = ||J_g(z)||_F^2 / s^2, estimated with Hutchinson
  probes u ~ N(0, I) in image space, ||J^T u||^2 (one vector-Jacobian product each).
  sigma is the channel-noise std per real dimension, sqrt(N0 / 2) at the sampled SNR, unless fixed.
* adversarial channel training (Wei et al.) [assume]: a perturbation delta of the received features
  with ||delta||_2 <= eps ||z||_2 per sample, found by ``steps`` normalised gradient-ascent steps with
  projection; the loss mixes the clean and the perturbed batch (``adv_weight``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor
from torch.nn import functional as F

from semcom.metrics import ssim_per_image


def recon_loss(kind: str, recon: Tensor, img: Tensor) -> Tensor:
    if kind == "ssim":
        return 1.0 - ssim_per_image(recon, img).mean()
    return F.mse_loss(recon, img)


def task_loss(logits: Tensor | None, labels: Tensor) -> Tensor:
    if logits is None:
        raise ValueError("a task loss needs a head: set objective.task")
    return F.cross_entropy(logits, labels)


def objective_loss(out: dict[str, Any], img: Tensor, labels: Tensor, cfg: dict[str, Any]) -> tuple[Tensor, dict[str, Tensor]]:
    """lam * L_rec + (1 - lam) * L_task; returns (loss, parts)."""
    lam = float(cfg.get("lam", 1.0))
    parts: dict[str, Tensor] = {}
    loss = img.new_zeros(())
    if lam > 0:
        parts["rec"] = recon_loss(cfg.get("recon", "mse"), out["recon"], img)
        loss = loss + lam * parts["rec"]
    if cfg.get("task") == "classification" and out.get("logits") is not None:
        parts["ce"] = task_loss(out["logits"], labels)
        # lam = 1 (reconstruction only) with a head: the caller computes the logits on detached features,
        # so the head learns to read what reconstruction-only features carry without shaping them
        loss = loss + ((1 - lam) if lam < 1 else 1.0) * parts["ce"]
    return loss, parts


def fisher_trace_classification(logits: Tensor, z: Tensor) -> Tensor:
    """Tr I(z) per sample [B] for p(y|z) = softmax(logits(z)); ``z`` [B, D] must be in ``logits``' graph."""
    logp = F.log_softmax(logits, dim=1)
    p = logp.exp()
    tr = z.new_zeros(z.shape[0])
    for c in range(logits.shape[1]):
        (g,) = torch.autograd.grad(logp[:, c].sum(), z, create_graph=True, retain_graph=True)
        tr = tr + p[:, c] * g.pow(2).flatten(1).sum(1)
    return tr


def fisher_trace_reconstruction(recon: Tensor, z: Tensor, s: float, probes: int = 1,
                                generator: torch.Generator | None = None) -> Tensor:
    """Hutchinson estimate of ||J_g(z)||_F^2 / s^2 per sample [B]; ``recon`` = g(z) must depend on ``z``."""
    tr = z.new_zeros(z.shape[0])
    for _ in range(probes):
        u = torch.randn(recon.shape, generator=generator, device=generator.device if generator else recon.device,
                        dtype=recon.dtype).to(recon.device)
        (v,) = torch.autograd.grad((recon * u).sum(), z, create_graph=True, retain_graph=True)
        tr = tr + v.pow(2).flatten(1).sum(1)
    return tr / (probes * s * s)


def noise_std_per_real_dim(snr_db: Tensor | float, batch: int, device: torch.device) -> Tensor:
    """sqrt(N0 / 2) per sample [B] for unit-energy symbols: N0 = 10^(-SNR/10)."""
    from semcom.channels.core import snr_db_to_noise_var
    from semcom.models.conditioning import per_sample_snr_db

    return torch.sqrt(snr_db_to_noise_var(per_sample_snr_db(snr_db, batch, device)) / 2.0)


def kl_penalty(out: dict[str, Any], snr_db: Tensor | float, objective: dict[str, Any], robust: dict[str, Any],
               generator: torch.Generator | None = None) -> Tensor:
    """beta * mean over the batch of (sigma^2 / 2) * Tr I(z) for the heads the objective trains."""
    z = out["z_rx"]
    b = z.shape[0]
    sigma = (torch.full((b,), float(robust["sigma"]), device=z.device) if robust.get("sigma") is not None
             else noise_std_per_real_dim(snr_db, b, z.device))
    lam = float(objective.get("lam", 1.0))
    tr = z.new_zeros(b)
    if objective.get("task") == "classification" and out.get("logits") is not None and lam < 1:
        tr = tr + (1 - lam) * fisher_trace_classification(out["logits"], z)
    if lam > 0:
        tr = tr + lam * fisher_trace_reconstruction(out["recon"], z, float(robust.get("recon_sigma", 0.1)),
                                                    int(robust.get("probes", 1)), generator)
    return float(robust.get("beta", 1.0)) * (sigma.pow(2) / 2 * tr).mean()


def adversarial_delta(loss_of: Callable[[Tensor], Tensor], z: Tensor, eps: float, steps: int) -> Tensor:
    """A perturbation [B, D] with ||delta_b||_2 <= eps ||z_b||_2 that increases ``loss_of(z + delta)``."""
    z0 = z.detach()
    radius = eps * z0.flatten(1).norm(dim=1).clamp_min(1e-12)  # [B]
    shape = (-1,) + (1,) * (z0.ndim - 1)
    delta = torch.zeros_like(z0, requires_grad=True)
    step = 2.5 * radius / steps
    for _ in range(steps):
        (g,) = torch.autograd.grad(loss_of(z0 + delta), delta)
        gn = g.flatten(1).norm(dim=1).clamp_min(1e-12)
        with torch.no_grad():
            delta += (step / gn).reshape(shape) * g
            dn = delta.flatten(1).norm(dim=1)
            delta *= torch.clamp(radius / dn.clamp_min(1e-12), max=1.0).reshape(shape)
    return delta.detach()
