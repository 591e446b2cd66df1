"""Reading semcom checkpoints (Lightning ``.ckpt`` files whose hyper-parameters hold the recipe)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from semcom.errors import SemcomError


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """Return ``{"recipe", "state_dict", "epoch", "global_step"}`` of a semcom checkpoint."""
    path = Path(path)
    if not path.is_file():
        raise SemcomError(f"checkpoint {path} does not exist")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:
        raise SemcomError(f"checkpoint {path} cannot be read ({exc.__class__.__name__}): corrupt or not a torch file") from None
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt or "recipe" not in ckpt.get("hyper_parameters", {}):
        raise SemcomError(f"checkpoint {path} is not a semcom checkpoint (no recipe in its hyper_parameters)")
    return {"recipe": ckpt["hyper_parameters"]["recipe"], "state_dict": ckpt["state_dict"],
            "epoch": ckpt.get("epoch"), "global_step": ckpt.get("global_step")}


def load_system(path: str | Path, expect_model: str | None = None) -> tuple[torch.nn.Module, dict[str, Any]]:
    """Rebuild the trained system of a checkpoint; returns ``(JSCCModule, recipe)`` in eval mode."""
    from semcom.models import MODELS
    from semcom.training.module import JSCCModule

    info = read_checkpoint(path)
    recipe = info["recipe"]
    if expect_model is not None and MODELS.canonical(expect_model) != MODELS.canonical(recipe["model"]["name"]):
        raise SemcomError(
            f"checkpoint {path} holds model {recipe['model']['name']!r}, expected {expect_model!r}"
        )
    module = JSCCModule(recipe)
    try:
        module.load_state_dict(info["state_dict"], strict=True)
    except RuntimeError as exc:
        first = str(exc).splitlines()[1].strip() if len(str(exc).splitlines()) > 1 else str(exc)
        raise SemcomError(f"checkpoint {path} does not match the model its recipe describes: {first}") from None
    module.eval()
    return module, recipe


def export_checkpoint(src: str | Path, dst: str | Path) -> Path:
    """Write a slim copy of a semcom checkpoint (weights, recipe, epoch; no optimizer state).

    The result loads with :func:`load_system` and ``semcom eval`` but cannot resume training.
    """
    from semcom.data import atomic_write

    info = read_checkpoint(src)
    slim = {"state_dict": info["state_dict"], "hyper_parameters": {"recipe": info["recipe"]},
            "epoch": info["epoch"], "global_step": info["global_step"]}
    return atomic_write(Path(dst), lambda p: torch.save(slim, p))
