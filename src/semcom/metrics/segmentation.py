"""Segmentation metrics: per-image confusion matrices and the IoU of Liu et al. 2025, eq. 8.

IoU_i = |P_i n G_i| / |P_i u G_i| per class; the paper's overall IoU weights the classes by their pixel count
in the reference (``average="weighted"``, torchmetrics' ``MulticlassJaccardIndex(average="weighted")``, which
weights by target support: the same thing); the mean IoU (``"macro"``) averages the classes present in the
prediction or the reference. Void pixels of the reference (``ignore_index``) count nowhere. Dataset-level
values come from the summed confusion matrix (what torchmetrics accumulates); per-image values from each
image's matrix (for intervals over images).
"""

from __future__ import annotations

import torch
from torch import Tensor

from semcom.errors import SemcomError


def confusion_matrices(pred: Tensor, target: Tensor, num_classes: int, ignore_index: int | None = None) -> Tensor:
    """Per-image confusion matrices.

    Args:
        pred: int [B, H, W] predicted classes in 0..C-1.
        target: int [B, H, W] reference classes, ``ignore_index`` where void.
        num_classes: C.

    Returns:
        int64 [B, C, C], entry [b, t, p] = pixels of image b with reference t predicted as p.
    """
    if pred.shape != target.shape or pred.ndim != 3:
        raise SemcomError(f"confusion_matrices: pred {list(pred.shape)} and target {list(target.shape)} must both be "
                          "[B, H, W]")
    b = pred.shape[0]
    p, t = pred.reshape(b, -1).long(), target.reshape(b, -1).long()
    keep = torch.ones_like(t, dtype=torch.bool) if ignore_index is None else t != ignore_index
    if bool(((t < 0) | (t >= num_classes))[keep].any()) or bool(((p < 0) | (p >= num_classes)).any()):
        raise SemcomError(f"confusion_matrices: class indices outside 0..{num_classes - 1} (void {ignore_index})")
    idx = t * num_classes + p + (torch.arange(b, device=p.device) * num_classes * num_classes)[:, None]
    counts = torch.bincount(idx[keep], minlength=b * num_classes * num_classes)
    return counts.reshape(b, num_classes, num_classes)


def iou_from_confusion(conf: Tensor, average: str = "weighted") -> Tensor:
    """IoU from confusion matrices [..., C, C]: ``"weighted"`` (eq. 8, weights = reference pixel counts),
    ``"macro"`` (mean over classes with a non-empty union) or ``"none"`` (per class [..., C], NaN where the union
    is empty). NaN where the reference has no labelled pixel (weighted) or every union is empty (macro)."""
    conf = conf.double()
    inter = torch.diagonal(conf, dim1=-2, dim2=-1)
    support = conf.sum(-1)
    union = support + conf.sum(-2) - inter
    iou = torch.where(union > 0, inter / union.clamp_min(1), torch.full_like(inter, float("nan")))
    if average == "none":
        return iou
    if average == "weighted":
        w = support / support.sum(-1, keepdim=True)
        return torch.nansum(iou * w, dim=-1).where(support.sum(-1) > 0, torch.full_like(support[..., 0], float("nan")))
    if average == "macro":
        return torch.nanmean(iou, dim=-1)
    raise SemcomError(f"IoU average {average!r}; expected 'weighted', 'macro' or 'none'")
