"""Encoders, decoders and whole JSCC autoencoders, in a registry.

>>> import semcom.models as M
>>> model = M.create("djscc", k=88)          # alias of "bourtsoulatze2019"
>>> model.k, round(model.bandwidth_ratio, 4)
(88, 0.0286)

Models hold no channel code: a JSCC model maps images to real features (``encode``) and real
features back to images (``decode``); :mod:`semcom.systems` packs the features into complex
symbols, normalises power and passes them through a channel.
"""

from __future__ import annotations

import inspect
from typing import Any

from torch import nn

from semcom.errors import SemcomError
from semcom.registry import Registry

MODELS: Registry[Any] = Registry("model")


def create(name: str, **kwargs: Any) -> nn.Module:
    """Build a registered model by name or alias with keyword options."""
    factory = MODELS.get(name)
    params = inspect.signature(factory).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        unknown = sorted(set(kwargs) - set(params))
        if unknown:
            raise SemcomError(
                f"model {name!r} has no option {unknown[0]!r}; expected some of: "
                f"{', '.join(p for p in params if p != 'self')}"
            )
    return factory(**kwargs)


def describe() -> list[tuple[str, list[str], str]]:
    """(name, aliases, first docstring line) for every registered model."""
    rows = []
    for name, obj in MODELS.items():
        doc = (inspect.getdoc(obj) or "").splitlines()
        rows.append((name, MODELS.aliases_of(name), doc[0] if doc else ""))
    return rows


# registration happens on import
from semcom.models import djscc as _djscc  # noqa: E402,F401
from semcom.models.djscc import DeepJSCC  # noqa: E402

__all__ = ["MODELS", "DeepJSCC", "create", "describe"]
from semcom.models import adjscc as _adjscc  # noqa: E402,F401
from semcom.models.adjscc import ADJSCC  # noqa: E402
from semcom.models.heads import ClassifierHead  # noqa: E402
