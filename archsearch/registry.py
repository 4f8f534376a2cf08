"""One registry helper for every plug-in family (proxies, estimators, predictors, executors, spaces).

Like timm's `register_model`: a member registers itself with one line; a duplicate name warns and the later
one wins; an unknown name is a one-line error of the family's own type that lists what is available.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Name -> member (a class or a factory) for one family.

    `builtins` are modules imported on first lookup, whose members register themselves on import, so the
    family's base module need not import its members (which would be an import cycle).
    """

    def __init__(self, kind: str, error: type[Exception], builtins: tuple[str, ...] = ()) -> None:
        self.kind = kind
        self.error = error
        self._builtins = builtins
        self._members: dict[str, T] = {}
        self._loaded = not builtins

    def add(self, name: str, member: T) -> T:
        """Register `member` under `name`; a second registration of a name warns and replaces the first."""
        if name in self._members and self._members[name] is not member:
            warnings.warn(f"{self.kind} {name!r} registered twice; the later one wins", stacklevel=3)
        self._members[name] = member
        return member

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator form of `add`."""
        return lambda member: self.add(name, member)

    def get(self, name: str) -> T:
        """The member called `name`, or the family's one-line error listing the available names."""
        self._load()
        if name not in self._members:
            raise self.error(f"unknown {self.kind} {name!r}; available: {', '.join(self.names())}")
        return self._members[name]

    def names(self) -> list[str]:
        self._load()
        return sorted(self._members)

    def __contains__(self, name: object) -> bool:
        self._load()
        return name in self._members

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def _load(self) -> None:
        if not self._loaded:
            self._loaded = True
            for module in self._builtins:
                importlib.import_module(module)
