"""semcom checkpoint files: reading, slim export, resume compatibility. File I/O only.

A semcom checkpoint is a Lightning ``.ckpt`` whose ``hyper_parameters["recipe"]`` holds the recipe it was
trained from. Turning one into its system goes through the systems registry:
:func:`semcom.systems.load` (``semcom.systems.SYSTEMS`` knows how every kind is rebuilt).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from semcom.data import atomic_write
from semcom.errors import SemcomError


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """Return ``{"recipe", "state_dict", "epoch", "global_step", "extra"}`` of a semcom checkpoint (``extra``: the
    other hyper-parameters a system kind stored, e.g. the frozen parts' recipes)."""
    path = Path(path)
    if not path.is_file():
        raise SemcomError(f"checkpoint {path} does not exist")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:
        raise SemcomError(
            f"checkpoint {path} cannot be read ({exc.__class__.__name__}): corrupt or not a torch file"
        ) from None
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt or "recipe" not in ckpt.get("hyper_parameters", {}):
        raise SemcomError(f"checkpoint {path} is not a semcom checkpoint (no recipe in its hyper_parameters)")
    return {
        "recipe": ckpt["hyper_parameters"]["recipe"],
        "state_dict": ckpt["state_dict"],
        "epoch": ckpt.get("epoch"),
        "global_step": ckpt.get("global_step"),
        "extra": {k: v for k, v in ckpt["hyper_parameters"].items() if k != "recipe"},
    }


def load_state(module: torch.nn.Module, state: dict[str, Any], what: str) -> None:
    """``module.load_state_dict(state, strict=True)``; a mismatch is one line, ``"{what}: {first difference}"``."""
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        lines = str(exc).splitlines()
        raise SemcomError(f"{what}: {lines[1].strip() if len(lines) > 1 else exc}") from None


def sub_state(state_dict: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The entries of ``state_dict`` under ``prefix.`` with the prefix removed (e.g. ``system.`` of a module)."""
    n = len(prefix) + 1
    return {k[n:]: v for k, v in state_dict.items() if k.startswith(prefix + ".")}


def check_resume_compatible(recipe: dict[str, Any], ckpt_path: str | Path) -> int | None:
    """Refuse to resume from a checkpoint of another model or channel; returns the checkpoint's epoch."""
    info = read_checkpoint(ckpt_path)
    other = info["recipe"]
    for key in ("model", "channel"):
        if other[key] != recipe[key]:
            raise SemcomError(
                f"checkpoint {ckpt_path} holds {key} {other[key]}, but the recipe asks for {recipe[key]}; "
                "resume with the recipe it was trained with or start a new run"
            )
    return None if info.get("epoch") is None else int(info["epoch"])


#: Buffers kept in float32 by ``export_checkpoint(half=True)``: diffusion schedules (abar close to 1 rounds to
#: 1 in float16), the codec's latent scale and batch-norm statistics.
KEEP_FP32 = ("abar", "betas", "latent_scale", "running_mean", "running_var")


def export_checkpoint(src: str | Path, dst: str | Path, half: bool = False) -> Path:
    """Write a slim copy of a semcom checkpoint (weights, recipe, epoch; no optimizer state).

    The result loads with :func:`semcom.systems.load` and ``semcom eval`` but cannot resume training.
    ``half`` stores float32 weights as float16 (half the size; loading casts them back, so outputs move by
    float16 rounding), except the buffers named in :data:`KEEP_FP32`.
    """
    info = read_checkpoint(src)
    state = info["state_dict"]
    if half:
        state = {
            k: v.half() if v.dtype == torch.float32 and not k.endswith(KEEP_FP32) else v for k, v in state.items()
        }
    slim = {
        "state_dict": state,
        "hyper_parameters": {"recipe": info["recipe"], **info.get("extra", {})},
        "epoch": info["epoch"],
        "global_step": info["global_step"],
        "float16_weights": half,
    }
    return atomic_write(Path(dst), lambda p: torch.save(slim, p))
