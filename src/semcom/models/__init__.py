"""Encoders, decoders and whole JSCC autoencoders, in a registry.

>>> import semcom.models as M
>>> model = M.create("djscc", k=88)          # alias of "bourtsoulatze2019"
>>> model.k, round(model.bandwidth_ratio, 4)
(88, 0.0286)

Models hold no channel code: a JSCC model maps images to real features (``encode``) and real
features back to images (``decode``); :mod:`semcom.systems` packs the features into complex
symbols, normalises power and passes them through a channel.

The contract of a point-to-point JSCC model (:class:`JSCCModel`; a user's own class needs nothing else)::

    encode(img)                -> z      img: float32 [B, C, H, W] in [0, 1]; z: real [B, 2K]
    decode(z, image_size)      -> img    z: real [B, 2K] (received, noisy); image_size: (H, W); img in [0, 1]
    k                          : int     complex channel uses per image (z has 2K real values)
    n, bandwidth_ratio         : optional source dimension C H W and K / n (reported when present)
    snr_conditioned            : optional bool; if True, encode(img, snr_db) and decode(z, size, snr_db)

Recipes name a registered model (``model: {name: djscc, k: 88}``) or any class by import path
(``model: {class_path: mypkg.models.MyJSCC, k: 64}``: the other keys are its keyword options). Installed
packages can register models through the ``semcom.models`` entry-point group.
"""

from __future__ import annotations

import inspect
from typing import Any, Protocol, runtime_checkable

from torch import Tensor, nn

from semcom.errors import SemcomError
from semcom.registry import Registry, check_contract, import_object

MODELS: Registry[Any] = Registry("model", entry_points="semcom.models")


@runtime_checkable
class JSCCModel(Protocol):
    """What :class:`semcom.systems.PointToPointJSCC` needs of a model (see the module docstring)."""

    k: int

    def encode(self, img: Tensor) -> Tensor: ...

    def decode(self, z: Tensor, image_size: tuple[int, int]) -> Tensor: ...


JSCC_METHODS = ("encode", "decode")
JSCC_ATTRIBUTES = ("k",)


def create(name: str, **kwargs: Any) -> nn.Module:
    """Build a registered model by name or alias with keyword options."""
    return _build(MODELS.get(name), repr(name), kwargs)


def from_section(section: dict[str, Any]) -> Any:
    """The model of a recipe's ``model`` section: ``name`` (registered) or ``class_path`` (an import path),
    the other keys its options; a class path's result is checked against the :class:`JSCCModel` contract.
    Returns an ``nn.Module`` (typed ``Any``: its ``encode``/``decode``/``k`` are the model's own)."""
    options = dict(section)
    name, path = options.pop("name", None), options.pop("class_path", None)
    if (name is None) == (path is None):
        raise SemcomError(
            f"the model section needs exactly one of 'name' (a registered model: {', '.join(MODELS.names())}) "
            f"or 'class_path' (an import path such as mypkg.models.MyJSCC); got name={name!r}, class_path={path!r}"
        )
    if name is not None:
        return create(name, **options)
    factory = import_object(path, "model class")
    if not callable(factory):
        raise SemcomError(f"model class path {path!r} names a {type(factory).__name__}, not a class or function")
    model = _build(factory, f"class_path {path!r}", options)
    return check_contract(model, f"model {path!r}", JSCC_METHODS, JSCC_ATTRIBUTES,
                          "JSCC model (encode(img) -> real [B, 2K], decode(z, image_size) -> img, k)")


def _build(factory: Any, who: str, kwargs: dict[str, Any]) -> nn.Module:
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):  # builtins without a signature: let the call say what is wrong
        return factory(**kwargs)
    if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        unknown = sorted(set(kwargs) - set(params))
        if unknown:
            raise SemcomError(
                f"model {who} has no option {unknown[0]!r}; expected some of: "
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
from semcom.models import adjscc as _adjscc  # noqa: E402,F401
from semcom.models import djscc as _djscc  # noqa: E402,F401
from semcom.models import dt_jscc as _dt_jscc  # noqa: E402,F401
from semcom.models.adjscc import ADJSCC  # noqa: E402
from semcom.models.djscc import DeepJSCC  # noqa: E402
from semcom.models.heads import ClassifierHead  # noqa: E402

__all__ = ["ADJSCC", "ClassifierHead", "JSCCModel", "MODELS", "DeepJSCC", "create", "describe", "from_section"]
