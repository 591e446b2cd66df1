"""Decorator registries (in the manner of CompressAI).

>>> MODELS = Registry("model")
>>> @MODELS.register("bourtsoulatze2019", aliases=("djscc",))
... class DeepJSCC: ...
>>> MODELS.get("djscc") is DeepJSCC
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from semcom.errors import SemcomError

T = TypeVar("T")


class Registry(Generic[T]):
    """A name -> factory table with aliases and a clear error for unknown names."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        self._aliases: dict[str, str] = {}

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

    def canonical(self, name: str) -> str:
        """The registered name behind ``name`` (an alias or the name itself)."""
        if name in self._items:
            return name
        if name in self._aliases:
            return self._aliases[name]
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
