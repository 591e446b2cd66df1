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


def load_any(path: str | Path) -> torch.nn.Module:
    """Rebuild whatever a semcom checkpoint holds (point-to-point JSCC, seed-003 codec or denoiser, seed-002
    system without a channel source) from its recipe and weights: the check that a checkpoint is usable."""
    name = read_checkpoint(path)["recipe"]["model"].get("name")
    if name == "ldm_vae":
        from semcom.training.ldm import load_codec

        return load_codec(str(path))
    if name == "ldm_denoiser":
        from semcom.training.ldm import load_denoiser

        return load_denoiser(str(path))
    if name == "mumimo_semcom":
        from semcom.mumimo_eval import load_mumimo

        return load_mumimo(path, bank_dir=None, channel_source=False)[0]
    return load_system(path)[0]


#: Buffers kept in float32 by ``export_checkpoint(half=True)``: diffusion schedules (abar close to 1 rounds to
#: 1 in float16), the codec's latent scale and batch-norm statistics.
KEEP_FP32 = ("abar", "betas", "latent_scale", "running_mean", "running_var")


def export_checkpoint(src: str | Path, dst: str | Path, half: bool = False) -> Path:
    """Write a slim copy of a semcom checkpoint (weights, recipe, epoch; no optimizer state).

    The result loads with :func:`load_system` and ``semcom eval`` but cannot resume training. ``half``
    stores float32 weights as float16 (half the size; loading casts them back, so outputs move by float16
    rounding), except the buffers named in :data:`KEEP_FP32`.
    """
    from semcom.data import atomic_write

    info = read_checkpoint(src)
    state = info["state_dict"]
    if half:
        state = {k: v.half() if v.dtype == torch.float32 and not k.endswith(KEEP_FP32) else v for k, v in state.items()}
    slim = {"state_dict": state, "hyper_parameters": {"recipe": info["recipe"]},
            "epoch": info["epoch"], "global_step": info["global_step"], "float16_weights": half}
    return atomic_write(Path(dst), lambda p: torch.save(slim, p))
