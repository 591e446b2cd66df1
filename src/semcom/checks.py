"""Checks of user-facing values where they enter (CLI options, recipe keys, public constructors and
``forward`` inputs): each raises one :class:`~semcom.errors.SemcomError` line naming the value and what was
expected, before any compute and before anything is written.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from semcom.errors import SemcomError

__all__ = ["choice", "device", "existing_files", "finite", "in_range", "images_01", "output_paths", "positive_int",
           "safe_name"]


def positive_int(value: Any, what: str, minimum: int = 1) -> int:
    """``value`` as an int >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or int(value) < minimum:
        raise SemcomError(f"{what}={value!r}; expected an integer >= {minimum}")
    return int(value)


def finite(value: Any, what: str) -> float:
    """``value`` as a finite float."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise SemcomError(f"{what}={value!r}; expected a number") from None
    if not math.isfinite(v):
        raise SemcomError(f"{what}={value!r}; expected a finite number")
    return v


def in_range(value: Any, what: str, low: float | None = None, high: float | None = None,
             low_open: bool = False, high_open: bool = False) -> float:
    """A finite float inside [low, high] (``*_open``: the bound itself excluded)."""
    v = finite(value, what)
    bad_low = low is not None and (v <= low if low_open else v < low)
    bad_high = high is not None and (v >= high if high_open else v > high)
    if bad_low or bad_high:
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise SemcomError(f"{what}={value!r}; expected a value in {'(' if low_open else '['}{lo}, {hi}"
                          f"{')' if high_open else ']'}")
    return v


def choice(value: Any, what: str, allowed: Sequence[str]) -> str:
    """``value`` if it is one of ``allowed``."""
    if value not in allowed:
        raise SemcomError(f"{what}={value!r}; expected one of: {', '.join(map(str, allowed))}")
    return str(value)


def safe_name(value: Any, what: str) -> str:
    """A run or file name: letters, digits and ``._+-=@`` only (no path separator, not ``.`` or ``..``),
    so that it cannot leave its output folder."""
    s = str(value)
    if not s or s in (".", "..") or s.startswith(".") or any(not (c.isalnum() or c in "._+-=@") for c in s):
        raise SemcomError(f"{what}={value!r}; expected a plain name (letters, digits, '._+-=@'; no '/', not "
                          "starting with '.'), e.g. fig3_k88_dlps")
    return s


def device(value: str, what: str = "--device") -> str:
    """``cpu``, ``cuda`` or ``cuda:N`` that exists on this machine."""
    import torch

    if value == "cpu":
        return value
    if value == "cuda" or (value.startswith("cuda:") and value[5:].isdigit()):
        if not torch.cuda.is_available():
            raise SemcomError(f"{what} {value}: no CUDA GPU is visible on this machine; use {what} cpu")
        index = int(value[5:]) if ":" in value else 0
        if index >= torch.cuda.device_count():
            raise SemcomError(f"{what} {value}: this machine has {torch.cuda.device_count()} CUDA device(s)")
        return value
    raise SemcomError(f"{what} {value!r}; expected cpu, cuda or cuda:N")


def existing_files(paths: Iterable[str | Path], what: str) -> list[Path]:
    """Every path is an existing regular file."""
    out = []
    for p in paths:
        path = Path(p)
        if not path.exists():
            raise SemcomError(f"{what} {path} does not exist")
        if not path.is_file():
            raise SemcomError(f"{what} {path} is not a file")
        out.append(path)
    return out


def output_paths(paths: Iterable[str | Path], what: str = "output") -> list[Path]:
    """Each path can be written (as a file) without touching anything yet: it is not a folder, an existing
    file there is writable, and its folder exists as a writable folder or can be created."""
    out = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            raise SemcomError(f"{what} {path} is a folder; expected a file path")
        if path.exists() and not os.access(path, os.W_OK):
            raise SemcomError(f"{what} {path} exists and is not writable")
        parent = path.parent
        while not parent.exists():
            parent = parent.parent
        if not parent.is_dir():
            raise SemcomError(f"{what} {path}: {parent} is a file, so the folder cannot be created")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise SemcomError(f"{what} {path}: folder {parent} is not writable")
        out.append(path)
    return out


def images_01(img: Any, what: str = "images") -> None:
    """A float image tensor with values in [0, 1] and no NaN (uint8 images are converted by the caller)."""
    import torch

    if not isinstance(img, torch.Tensor):
        raise SemcomError(f"{what}: expected a torch.Tensor, got {type(img).__name__}")
    if not torch.is_floating_point(img):
        raise SemcomError(f"{what}: expected float images in [0, 1], got dtype {img.dtype} (divide uint8 by 255)")
    if img.numel() == 0:
        raise SemcomError(f"{what}: empty tensor of shape {list(img.shape)}")
    lo, hi = float(img.min()), float(img.max())
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise SemcomError(f"{what}: contains NaN or infinite values")
    if lo < -1e-6 or hi > 1 + 1e-6:
        raise SemcomError(f"{what}: values span [{lo:.4g}, {hi:.4g}]; expected [0, 1] (images in 0..255? divide by 255)")
