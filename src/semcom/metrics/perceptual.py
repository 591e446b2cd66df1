"""LPIPS (Zhang et al. 2018; Liu et al. 2025 eq. 6) and FID (Heusel et al. 2017; eq. 7) through torchmetrics,
with the standard backbones only.

Both need pretrained backbones that nothing here can download: torchmetrics' LPIPS builds its VGG/AlexNet
through torchvision (weights from ``$TORCH_HOME/hub/checkpoints``), its FID needs torch-fidelity's Inception
(``feature_extractor_weights_path=`` the standard ``pt_inception-2015-12-05`` file). :func:`perceptual_metrics`
builds them when the user's environment has them and otherwise returns the reason they are skipped, which
the evaluations write into their results; no number from another backbone is ever reported as LPIPS or FID.

The formulas are also here as functions of features (:func:`lpips_from_features`, :func:`frechet_distance`)
so that tests check the plumbing with a tiny stand-in backbone (results named ``*_standin``, never ``lpips``
or ``fid``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from semcom.errors import SemcomError


def lpips_from_features(feats_a: Sequence[Tensor], feats_b: Sequence[Tensor], weights: Sequence[Tensor]) -> Tensor:
    """Eq. 6 from backbone features: sum_j mean_{h,w} || w_j * (f^_j(a) - f^_j(b)) ||^2 with f^ the features
    normalised to unit length over channels at each position.

    Args:
        feats_a, feats_b: per layer j, float [B, C_j, H_j, W_j].
        weights: per layer, non-negative channel weights [C_j] (the LPIPS linear heads).

    Returns: float [B], the distance per image pair.
    """
    if not (len(feats_a) == len(feats_b) == len(weights)) or not feats_a:
        raise SemcomError("lpips_from_features needs the same non-zero number of layers in both feature lists and weights")
    total = torch.zeros(feats_a[0].shape[0], dtype=torch.float64, device=feats_a[0].device)
    for fa, fb, w in zip(feats_a, feats_b, weights):
        na = fa / fa.norm(dim=1, keepdim=True).clamp_min(1e-10)
        nb = fb / fb.norm(dim=1, keepdim=True).clamp_min(1e-10)
        d = (na - nb).pow(2) * w.reshape(1, -1, 1, 1)
        total = total + d.sum(1).mean((-2, -1)).double()
    return total


def frechet_distance(real: Tensor, fake: Tensor) -> Tensor:
    """Eq. 7 between two feature sets [N, D] (float64): ||mu_r - mu_g||^2 + Tr(S_r + S_g - 2 (S_r S_g)^(1/2)),
    the matrix square root's trace from the eigenvalues of S_r S_g (torchmetrics' method)."""
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1] or min(len(real), len(fake)) < 2:
        raise SemcomError(f"frechet_distance needs two feature sets [N >= 2, D] of one D, got {list(real.shape)} and "
                          f"{list(fake.shape)}")
    r, f = real.double(), fake.double()
    mu_r, mu_f = r.mean(0), f.mean(0)
    cr, cf = torch.cov(r.T).reshape(r.shape[1], -1), torch.cov(f.T).reshape(f.shape[1], -1)
    eig = torch.linalg.eigvals(cr @ cf).sqrt().real.sum()
    return (mu_r - mu_f).pow(2).sum() + torch.trace(cr) + torch.trace(cf) - 2 * eig


def perceptual_metrics(inception_weights: str | Path | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """The standard LPIPS (VGG, as in the paper) and FID (Inception-v3, 2048 features) metrics of torchmetrics that
    this environment can build: ``(metrics, skipped)``, ``skipped`` mapping a name to the reason it is missing."""
    metrics: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    try:
        from torchmetrics.image.lpip import LearnedPerceptualImagePatchSimilarity

        metrics["lpips"] = LearnedPerceptualImagePatchSimilarity(net_type="vgg", normalize=True)
    except Exception as exc:  # ModuleNotFoundError (torchvision) or a failed weight download
        skipped["lpips"] = (f"skipped: torchmetrics' LPIPS needs torchvision and the VGG-16 ImageNet weights "
                            f"in $TORCH_HOME/hub/checkpoints ({type(exc).__name__}: {str(exc).splitlines()[0][:120]})")
    try:
        from torchmetrics.image.fid import FrechetInceptionDistance

        kw: dict[str, Any] = {"feature": 2048, "normalize": True}
        if inception_weights is not None:
            kw["feature_extractor_weights_path"] = str(inception_weights)
        metrics["fid"] = FrechetInceptionDistance(**kw)
    except Exception as exc:  # ModuleNotFoundError (torch-fidelity) or missing weights
        skipped["fid"] = (f"skipped: torchmetrics' FID needs torch-fidelity and the standard Inception-v3 FID weights "
                          f"(pt_inception-2015-12-05) from a user path ({type(exc).__name__}: "
                          f"{str(exc).splitlines()[0][:120]})")
    return metrics, skipped
