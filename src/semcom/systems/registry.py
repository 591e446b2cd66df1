"""The systems registry: what ``semcom train``, checkpoint loading and ``semcom systems`` dispatch through.

A *system kind* is one trainable thing a recipe can describe: the point-to-point JSCC, the MU-MIMO OFDM
system of Li et al. 2025, the latent codec and the latent denoiser of the LDM receiver, ... Each system
file registers one :class:`SystemSpec` per kind with :func:`register_system`; nothing else in semcom
names a kind. A recipe picks its kind by ``model.name`` (a kind lists the model names it trains in
``model_names``); every other model (a registered one or a user's ``model.class_path``) is trained by
the default kind, the one whose ``model_names`` is empty (the point-to-point JSCC).

Contract of a kind (see :class:`SystemSpec`)::

    spec.build(recipe) -> nn.Module            # the untrained system of a recipe (plain dict)
    spec.module(recipe) -> TrainModule         # its Lightning module (steps only; semcom.training.base)
    spec.load(info, path, **options) -> nn.Module   # the trained system from semcom.checkpoint.read_checkpoint
    spec.section                                # dataclass of the recipe's model section (None: free options)

Third-party packages register kinds through the ``semcom.systems`` entry-point group (an entry point
that loads a module which calls :func:`register_system`, or a :class:`SystemSpec` object).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException
from torch import nn

from semcom.checkpoint import read_checkpoint
from semcom.errors import SemcomError
from semcom.registry import Registry


@dataclass(frozen=True)
class SystemSpec:
    """One system kind.

    Attributes:
        name: registry name (what it is, or the paper: ``point_to_point``, ``li2025_mumimo``, ...).
        summary: one line for ``semcom systems``.
        module: the Lightning module class, built as ``module(recipe)``.
        build: ``build(recipe) -> nn.Module``, the untrained system.
        load: ``load(info, path, **options) -> nn.Module``, the trained system in eval mode, from the dict of
            :func:`semcom.checkpoint.read_checkpoint` (``path`` for messages; options are kind-specific, e.g.
            the test scenario of the MU-MIMO system).
        model_names: the recipe ``model.name`` values this kind trains; empty for the default kind.
        section: a dataclass typing the recipe's ``model`` section (unknown keys and wrong types are
            errors); None when the section holds a registered model's free options.
        evaluate_with: the command that evaluates its checkpoints (named in errors).
    """

    name: str
    summary: str
    module: Any
    build: Callable[..., nn.Module]
    load: Callable[..., nn.Module]
    model_names: tuple[str, ...] = ()
    section: Any = None
    evaluate_with: str = "semcom eval"


SYSTEMS: Registry[SystemSpec] = Registry("system", entry_points="semcom.systems")


def register_system(spec: SystemSpec, aliases: tuple[str, ...] = ()) -> SystemSpec:
    """Add a kind to :data:`SYSTEMS` (a model name may belong to one kind only)."""
    for other_name, other in SYSTEMS.items():
        shared = set(other.model_names) & set(spec.model_names)
        if shared:
            raise RuntimeError(f"model name {sorted(shared)[0]!r} is claimed by systems {other_name!r} and {spec.name!r}")
    SYSTEMS.register(spec.name, aliases)(spec)
    return spec


def spec_for(recipe: dict[str, Any]) -> SystemSpec:
    """The kind that trains ``recipe`` (by ``model.name``; the default kind for any other model)."""
    SYSTEMS.load_entry_points()
    name = (recipe.get("model") or {}).get("name")
    default = None
    for _, spec in SYSTEMS.items():
        if name is not None and name in spec.model_names:
            return spec
        if not spec.model_names:
            default = spec
    if default is None:  # pragma: no cover - the point-to-point kind registers itself on import
        raise SemcomError("no default system kind is registered")
    return default


def check_section(recipe: dict[str, Any], origin: str = "recipe") -> dict[str, Any]:
    """Check the recipe's ``model`` section against its kind's typed section; returns the section with the
    kind's defaults filled in (unchanged for kinds without a typed section)."""
    spec = spec_for(recipe)
    model = dict(recipe.get("model") or {})
    if spec.section is None:
        return model
    try:
        merged = OmegaConf.merge(OmegaConf.structured(spec.section), OmegaConf.create(model))
        out = OmegaConf.to_container(merged, resolve=True)
    except OmegaConfBaseException as exc:
        allowed = ", ".join(f.name for f in dataclasses.fields(spec.section))
        key = getattr(exc, "full_key", "") or ""
        first = str(exc).splitlines()[0]
        if "not in" in first or "Key" in type(exc).__name__:
            raise SemcomError(
                f"{origin}: unknown key 'model.{key}' for system {spec.name!r}; expected one of: {allowed}"
            ) from None
        raise SemcomError(f"{origin}: bad value for 'model.{key}' of system {spec.name!r}: {first}") from None
    assert isinstance(out, dict)
    return {str(k): v for k, v in out.items()}


def load(path: str | Path, **options: Any) -> nn.Module:
    """The trained system of any semcom checkpoint, in eval mode, rebuilt through its kind.

    ``options`` go to the kind's loader (e.g. ``scenario=``, ``bank_dir=`` for the MU-MIMO system,
    ``snr_source=`` for the point-to-point JSCC); a kind rejects options it does not know.
    """
    info = read_checkpoint(path)
    spec = spec_for(info["recipe"])
    return spec.load(info, path=Path(path), **options)


def expect_kind(path: str | Path, info: dict[str, Any], *names: str) -> SystemSpec:
    """The kind of a checkpoint, which must be one of ``names``; else one line naming the command for it."""
    spec = spec_for(info["recipe"])
    if spec.name not in names:
        model = (info["recipe"].get("model") or {}).get("name")
        raise SemcomError(
            f"checkpoint {path} holds a {spec.name!r} system (model {model!r}), not {' or '.join(map(repr, names))}; "
            f"evaluate it with `{spec.evaluate_with}`"
        )
    return spec


def describe() -> list[tuple[str, str, str, str]]:
    """(name, model names, evaluated with, summary) for every registered kind."""
    SYSTEMS.load_entry_points()
    return [
        (name, ", ".join(spec.model_names) or "any model (default)", spec.evaluate_with, spec.summary)
        for name, spec in SYSTEMS.items()
    ]
