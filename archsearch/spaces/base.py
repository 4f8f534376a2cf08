"""What every search-space family shares: parameters, the YAML reader's checks, the `SearchSpace` base and
the family registry that `parse_space` looks a file's `family:` up in.

A space is a flat list of categorical parameters plus a decoder that turns one assignment into an
`ArchConfig`. `sample(trial)` asks Optuna (define-by-run) for each parameter, `random(rng)` draws them,
and `decode(params)` rebuilds the exact config from a stored trial's parameters.
"""

from __future__ import annotations

import math
import random as _random
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar, TypeVar

import yaml

from archsearch.arch import ACTIVATIONS, ArchConfig, ConfigError
from archsearch.registry import Registry
from archsearch.resources import available, find

MIN_RESOLUTION = 32


class SpaceError(ValueError):
    """A malformed space file or an invalid choice; the message names the file, key and allowed values."""


@dataclass(frozen=True)
class Param:
    name: str
    choices: tuple[Any, ...]


# ---------------------------------------------------------------------------------------------------
# Validation helpers: every check names the file, the key path and what is allowed.


class Reader:
    """Checks of one space file's spec; every failure is a `SpaceError` naming the file and key."""

    def __init__(self, path: str):
        self.path = path

    def fail(self, where: str, msg: str) -> SpaceError:
        return SpaceError(f"{self.path}: {where}: {msg}")

    def keys(self, spec: Any, where: str, required: Iterable[str], optional: Iterable[str] = ()) -> None:
        if not isinstance(spec, Mapping):
            raise self.fail(where or "top level", f"expected a mapping, got {type(spec).__name__}")
        allowed = [*required, *optional]
        for k in spec:
            if k not in allowed:
                raise self.fail(f"{where}{k}" if where else k, f"unknown key; allowed: {', '.join(allowed)}")
        for k in required:
            if k not in spec:
                raise self.fail(f"{where}{k}", "missing required key")

    def choices(self, value: Any, where: str, ok: Callable[[Any], bool], allowed: str) -> tuple[Any, ...]:
        """A scalar (fixed) or a non-empty list of choices, each checked by `ok`."""
        vals = tuple(value) if isinstance(value, list) else (value,)
        if not vals:
            raise self.fail(where, f"empty list of choices; allowed: {allowed}")
        for v in vals:
            if not ok(v):
                raise self.fail(where, f"invalid choice {v!r}; allowed: {allowed}")
        return vals

    def num_classes(self, spec: dict[str, Any]) -> int:
        n = spec.get("num_classes", 1000)
        if not int_at_least(1)(n):
            raise self.fail("num_classes", f"invalid value {n!r}; allowed: integers >= 1")
        return n


def int_at_least(lo: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= lo


def _positive_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and v > 0


_ACTS = ", ".join(a for a in ACTIVATIONS if a != "none")
CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "t": (int_at_least(1), "integers >= 1"),
    "c": (int_at_least(1), "integers >= 1 (channels)"),
    "n": (int_at_least(1), "integers >= 1 (repeats)"),
    "s": (lambda v: v in (1, 2) and not isinstance(v, bool), "1, 2"),
    "k": (lambda v: v in (3, 5, 7) and not isinstance(v, bool), "3, 5, 7"),
    "se": (lambda v: isinstance(v, bool), "true, false"),
    "act": (lambda v: v in ACTIVATIONS and v != "none", _ACTS),
    "resolution": (int_at_least(MIN_RESOLUTION), f"integers >= {MIN_RESOLUTION}"),
    "width_mult": (_positive_number, "numbers > 0"),
    "expansion": (lambda v: int_at_least(1)(v) and v <= 6, "integers 1..6"),
    "se_reduction": (int_at_least(0), "integers >= 0 (0 = no SE, r = SE at 1/r of the expanded width)"),
}


# ---------------------------------------------------------------------------------------------------


class SearchSpace(ABC):
    """Base of every family: named categorical parameters and a decoder. A family subclass sets
    `family`, builds its parameters from a spec in `__init__(spec, reader)` and implements `_decode`."""

    family: ClassVar[str] = ""

    def __init__(self, name: str, description: str, params: list[Param], path: str = ""):
        self.name = name
        self.description = description
        self.params = params
        self.path = path

    @abstractmethod
    def _decode(self, params: dict[str, Any]) -> ArchConfig:
        """The config of a complete, checked assignment."""

    # -- the API every family shares
    def sample(self, trial: Any) -> ArchConfig:
        """Sample with an Optuna trial (define-by-run); the trial's params decode to the same config.
        Fixed (single-choice) parameters are not suggested: `decode` fills them in."""
        return self.decode(
            {p.name: trial.suggest_categorical(p.name, list(p.choices)) for p in self.free_params}
        )

    def random(self, rng: _random.Random) -> ArchConfig:
        return self.decode(self.random_params(rng))

    def random_params(self, rng: _random.Random) -> dict[str, Any]:
        return {p.name: rng.choice(p.choices) for p in self.params}

    def decode(self, params: Mapping[str, Any]) -> ArchConfig:
        full = {}
        for p in self.params:
            if p.name not in params:
                if len(p.choices) > 1:
                    raise SpaceError(f"space {self.name}: missing parameter {p.name!r}")
                full[p.name] = p.choices[0]
            else:
                v = params[p.name]
                if v not in p.choices:
                    allowed = ", ".join(map(str, p.choices))
                    raise SpaceError(f"space {self.name}: {p.name}={v!r} is not a choice; allowed: {allowed}")
                full[p.name] = v
        return self._decode(full)

    @cached_property
    def size(self) -> int:
        """Number of parameter assignments (an upper bound on distinct networks)."""
        return math.prod(len(p.choices) for p in self.params)

    @property
    def free_params(self) -> list[Param]:
        return [p for p in self.params if len(p.choices) > 1]

    def smallest(self, measure: Callable[[ArchConfig], int]) -> tuple[ArchConfig, int]:
        """The network of the space with the least `measure` (e.g. MACs) and that value, by coordinate
        descent over the parameters (exact for these spaces, whose cost is monotone in each parameter)."""
        params = {p.name: p.choices[0] for p in self.params}
        best = measure(self.decode(params))
        improved = True
        while improved:
            improved = False
            for p in self.free_params:
                for c in p.choices:
                    trial = {**params, p.name: c}
                    m = measure(self.decode(trial))
                    if m < best:
                        best, params, improved = m, trial, True
        return self.decode(params), best


SPACE_FAMILIES: Registry[type[SearchSpace]] = Registry(
    "space family",
    SpaceError,
    builtins=tuple(
        f"archsearch.spaces.{m}" for m in ("stages", "rexnet", "nasbench_macro", "ofa", "fbnet", "anb")
    ),
)
S = TypeVar("S", bound=type[SearchSpace])


def register_family(cls: S) -> S:
    """Class decorator: make a family parseable as `family: <cls.family>` in a space file."""
    return SPACE_FAMILIES.add(cls.family, cls)


def load_space(name_or_path: str) -> SearchSpace:
    """Load and validate a space by name (`mbv2`) or YAML path."""
    path = find("search_spaces", name_or_path)
    return parse_space(path.read_text(), str(path))


def parse_space(text: str, path: str = "<string>") -> SearchSpace:
    r = Reader(path)
    try:
        spec = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f"line {mark.line + 1}" if mark else "YAML"
        raise SpaceError(f"{path}: {line}: malformed YAML: {getattr(e, 'problem', e)}") from None
    if not isinstance(spec, dict):
        raise r.fail("top level", "expected a mapping with keys name, family, ...")
    family = spec.get("family")
    if not isinstance(family, str) or family not in SPACE_FAMILIES:
        raise r.fail("family", f"invalid choice {family!r}; allowed: {', '.join(SPACE_FAMILIES.names())}")
    try:
        space = SPACE_FAMILIES.get(family)(spec, r)
    except ConfigError as e:
        raise r.fail("space", str(e)) from None
    space.path = path
    return space


def list_spaces() -> list[str]:
    return available("search_spaces")
