"""Decorator registries (in the manner of CompressAI), open to code outside semcom.

>>> MODELS = Registry("model")
>>> @MODELS.register("bourtsoulatze2019", aliases=("djscc",))
... class DeepJSCC: ...
>>> MODELS.get("djscc") is DeepJSCC
True

Three ways in for a user's own class, none of which edits semcom:

* register it from Python (``@MODELS.register("mine")``) before building;
* name it by import path in a recipe (``model: {class_path: mypkg.models.MyJSCC, k: 64}``):
  :func:`import_object` imports it and :func:`check_contract` checks it against the registry's contract;
* publish it as a Python entry point of the registry's group (``semcom.models``, ``semcom.channels``,
  ``semcom.systems``, ``semcom.precoders``): the group is loaded the first time a name is not found. An entry
  point may load a module that registers itself, or an object registered under the entry point's name.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from semcom.errors import SemcomError

T = TypeVar("T")


class Registry(Generic[T]):
    """A name -> factory table with aliases, entry-point discovery and a clear error for unknown names."""

    def __init__(self, kind: str, entry_points: str | None = None) -> None:
        self.kind = kind
        self.group = entry_points
        self._items: dict[str, T] = {}
        self._aliases: dict[str, str] = {}
        self._entry_points_loaded = entry_points is None

    def register(self, name: str, aliases: tuple[str, ...] = ()) -> Callable[[T], T]:
        def deco(obj: T) -> T:
            for key in (name, *aliases):
                if key in self._items or key in self._aliases:
                    raise RuntimeError(f"{self.kind} name {key!r} is registered twice")
            self._items[name] = obj
            for alias in aliases:
                self._aliases[alias] = name
            return obj

        return deco

    def load_entry_points(self) -> None:
        """Import what the ``group`` entry points of installed packages provide (once)."""
        if self._entry_points_loaded or self.group is None:
            return
        self._entry_points_loaded = True
        from importlib.metadata import entry_points

        for ep in entry_points(group=self.group):
            if ep.name in self._items or ep.name in self._aliases:
                continue
            try:
                obj = ep.load()
            except Exception as exc:
                raise SemcomError(
                    f"entry point {ep.name!r} of group {self.group!r} ({ep.value}) does not import: "
                    f"{type(exc).__name__}: {exc}"
                ) from None
            if ep.name not in self._items and ep.name not in self._aliases and not _is_module(obj):
                self.register(ep.name)(obj)

    def canonical(self, name: str) -> str:
        """The registered name behind ``name`` (an alias or the name itself)."""
        for attempt in range(2):
            if name in self._items:
                return name
            if name in self._aliases:
                return self._aliases[name]
            if attempt == 0 and not self._entry_points_loaded:
                self.load_entry_points()
            else:
                break
        raise SemcomError(f"unknown {self.kind} {name!r}; expected one of: {', '.join(self.names())}")

    def get(self, name: str) -> T:
        return self._items[self.canonical(name)]

    def names(self, with_aliases: bool = True) -> list[str]:
        names = list(self._items)
        if with_aliases:
            names += list(self._aliases)
        return sorted(names)

    def aliases_of(self, name: str) -> list[str]:
        return sorted(a for a, n in self._aliases.items() if n == name)

    def items(self) -> list[tuple[str, T]]:
        return sorted(self._items.items())

    def __contains__(self, name: object) -> bool:
        return name in self._items or name in self._aliases

    def create(self, name: str, **kwargs: Any) -> Any:
        factory: Any = self.get(name)
        return factory(**kwargs)


def _is_module(obj: object) -> bool:
    import types

    return isinstance(obj, types.ModuleType)


def import_object(path: str, what: str = "class") -> Any:
    """Import ``pkg.module.Name`` (or ``pkg.module:Name``); one clear line when it does not import."""
    if not isinstance(path, str) or not path.strip():
        raise SemcomError(f"{what} path {path!r} is empty; expected an import path like mypkg.models.MyJSCC")
    mod_name, sep, attr = path.partition(":")
    if not sep:
        mod_name, _, attr = path.rpartition(".")
    if not mod_name or not attr:
        raise SemcomError(f"{what} path {path!r} is not of the form package.module.Name")
    try:
        module = importlib.import_module(mod_name)
    except Exception as exc:
        raise SemcomError(
            f"{what} path {path!r}: module {mod_name!r} does not import ({type(exc).__name__}: {exc}); "
            "is it installed or on PYTHONPATH?"
        ) from None
    if not hasattr(module, attr):
        raise SemcomError(f"{what} path {path!r}: module {mod_name!r} has no attribute {attr!r}")
    return getattr(module, attr)


def check_contract(obj: Any, who: str, methods: Iterable[str] = (), attributes: Iterable[str] = (),
                   contract: str = "") -> Any:
    """Check that ``obj`` has the callables ``methods`` and the ``attributes`` of a registry's contract;
    one line naming every missing member. Returns ``obj``."""
    missing = [m for m in methods if not callable(getattr(obj, m, None))]
    missing += [a for a in attributes if not hasattr(obj, a)]
    if missing:
        raise SemcomError(
            f"{who} does not satisfy the {contract or 'registry'} contract: missing {', '.join(missing)}"
        )
    return obj
