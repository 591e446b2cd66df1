"""The segmentation network f_seg of Liu et al. 2025 (their "pre-trained large segmentation model", a
Mask2Former): no pretrained weights can be downloaded here, so this kind trains a small U-Net
(:class:`~semcom.models.segmentation.UNetSegmenter`) on CamVid (or BDD100K) at the system's resolution.

Training: cross-entropy with void ignored (optionally SegNet's median-frequency class weights), Adam,
per-batch augmentation drawn from the run's generator (horizontal flip per image; a zoom in [1, zoom_max]
then a random crop back to the frame size). Validation: mean IoU and the pixel-weighted IoU of eq. 8 on the
validation split (void ignored), from the summed confusion matrix. No channel is involved.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from semcom.checkpoint import load_state, sub_state
from semcom.data import SEGMENTATION_DATASETS
from semcom.errors import SemcomError
from semcom.metrics.segmentation import confusion_matrices, iou_from_confusion
from semcom.models.segmentation import UNetSegmenter
from semcom.systems.registry import SystemSpec, register_system
from semcom.training.base import TrainModule, to_float


@dataclass
class SegmentationSection:
    """The recipe's ``model`` section of the segmentation network."""

    name: str = "unet_segmentation"
    width: int = 16
    depth: int = 4
    class_weights: str = "none"  # none | median_frequency (CamVid: SegNet's weights)
    zoom_max: float = 1.5  # augmentation: zoom uniformly in [1, zoom_max], random crop; 1 = none
    flip: bool = True  # augmentation: random horizontal flip


def _classes(recipe: dict[str, Any]) -> Any:
    name = recipe["data"]["dataset"]
    if name not in SEGMENTATION_DATASETS:
        raise SemcomError(f"system 'segmentation' trains on a segmentation dataset ({', '.join(SEGMENTATION_DATASETS)}); "
                          f"data.dataset is {name!r}")
    return SEGMENTATION_DATASETS[name]


def build_segmenter(recipe: dict[str, Any]) -> UNetSegmenter:
    m = recipe["model"]
    cls = _classes(recipe)
    if m.get("class_weights", "none") not in ("none", "median_frequency"):
        raise SemcomError(f"model.class_weights={m['class_weights']!r}; expected 'none' or 'median_frequency'")
    if m.get("class_weights") == "median_frequency" and cls.weights is None:
        raise SemcomError(f"model.class_weights=median_frequency: no weights are tabulated for {cls.name}")
    if float(m.get("zoom_max", 1.5)) < 1.0:
        raise SemcomError(f"model.zoom_max={m['zoom_max']}; expected >= 1 (1 = no zoom)")
    net = UNetSegmenter(cls.num_classes, 3, int(m.get("width", 16)), int(m.get("depth", 4)))
    net.recipe = recipe  # type: ignore[assignment]
    return net


def augment(img: Tensor, label: Tensor, generator: torch.Generator, flip: bool, zoom_max: float) -> tuple[Tensor, Tensor]:
    """Random horizontal flips per image, then one zoom in [1, zoom_max] for the batch with a random crop back to
    the input size per image (images bilinear, labels nearest)."""
    b, _, h, w = img.shape
    if flip:
        f = torch.rand(b, generator=generator, device=generator.device) < 0.5
        f = f.to(img.device)
        img = torch.where(f[:, None, None, None], img.flip(-1), img)
        label = torch.where(f[:, None, None], label.flip(-1), label)
    if zoom_max > 1.0:
        z = 1.0 + (zoom_max - 1.0) * float(torch.rand((), generator=generator, device=generator.device))
        hz, wz = round(h * z), round(w * z)
        if hz > h or wz > w:
            big = F.interpolate(img, size=(hz, wz), mode="bilinear", align_corners=False)
            lab = F.interpolate(label[:, None].float(), size=(hz, wz), mode="nearest-exact")[:, 0].long()
            oy = torch.randint(0, hz - h + 1, (b,), generator=generator, device=generator.device).tolist()
            ox = torch.randint(0, wz - w + 1, (b,), generator=generator, device=generator.device).tolist()
            img = torch.stack([big[i, :, y:y + h, x:x + w] for i, (y, x) in enumerate(zip(oy, ox))])
            label = torch.stack([lab[i, y:y + h, x:x + w] for i, (y, x) in enumerate(zip(oy, ox))])
    return img, label


class SegmentationModule(TrainModule):
    """Trains the segmentation network (module docstring); logs ``val_miou`` and ``val_iou_weighted``."""

    generator_stream = 31337
    class_weight: Tensor | None

    def __init__(self, recipe: dict[str, Any]) -> None:
        super().__init__(recipe)
        self.classes = _classes(recipe)
        self.net = build_segmenter(recipe)
        m = recipe["model"]
        self.flip, self.zoom_max = bool(m.get("flip", True)), float(m.get("zoom_max", 1.5))
        w = self.classes.weights if m.get("class_weights") == "median_frequency" else None
        self.register_buffer("class_weight", torch.tensor(w, dtype=torch.float32) if w else None, persistent=False)
        self._conf: Tensor | None = None

    @property
    def k(self) -> None:
        return None

    def describe(self) -> str:
        n = sum(p.numel() for p in self.net.parameters())
        return (f"{self.recipe['name']}: U-Net segmentation network (width {self.net.width}, depth "
                f"{self.net.depth}, {n / 1e6:.2f} M parameters), {self.classes.num_classes} {self.classes.name} classes, "
                f"void {self.classes.void_index} ignored")

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        img, label = augment(to_float(batch[0]), batch[1], self.generator, self.flip, self.zoom_max)
        logits = self.net(img)
        loss = self.finite(F.cross_entropy(logits, label, weight=self.class_weight, ignore_index=self.classes.void_index))
        self.log("train_loss", loss, prog_bar=True)
        return loss

    def on_validation_epoch_start(self) -> None:
        c = self.classes.num_classes
        self._conf = torch.zeros(c, c, dtype=torch.int64, device=self.device)

    def validation_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        assert self._conf is not None
        pred = self.net(to_float(batch[0])).argmax(1)
        self._conf += confusion_matrices(pred, batch[1], self.classes.num_classes, self.classes.void_index).sum(0)

    def on_validation_epoch_end(self) -> None:
        assert self._conf is not None
        conf = self.trainer.strategy.reduce(self._conf.float(), reduce_op="sum") if self.trainer.world_size > 1 else self._conf
        self.log("val_miou", iou_from_confusion(conf, "macro").float(), prog_bar=True)
        self.log("val_iou_weighted", iou_from_confusion(conf, "weighted").float())


def load_segmenter(info: dict[str, Any], path: Path | str = "checkpoint", **options: Any) -> nn.Module:
    """The trained segmentation network of a checkpoint (eval mode, ``recipe`` attached)."""
    if options:
        raise SemcomError(f"the segmentation-network loader takes no options, not {sorted(options)}")
    net = build_segmenter(info["recipe"])
    load_state(net, sub_state(info["state_dict"], "net"), f"checkpoint {path} does not match the network its recipe describes")
    return net.eval()


SEGMENTATION = register_system(SystemSpec(
    name="segmentation",
    summary="semantic segmentation network (U-Net) trained on CamVid or BDD100K: f_seg of Liu et al. 2025",
    module=SegmentationModule, build=build_segmenter, load=load_segmenter, model_names=("unet_segmentation", "unet_seg"),
    section=SegmentationSection, evaluate_with="semcom liu2025"))
