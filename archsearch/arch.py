"""The one architecture value that flows through archsearch: `ArchConfig` and its `Block`s.

Everything downstream (cost model, latency predictor, torch builder, proxies, export) takes an
`ArchConfig`, never a space- or trial-specific structure, so a baseline, a sampled candidate and an
imported JSON file are treated alike. This module must not import torch.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import KW_ONLY, dataclass, field, fields, replace
from operator import attrgetter
from typing import Any, TypeVar

from archsearch.blocks import BLOCK_KINDS, allowed_residual, block_kind

ACTIVATIONS = ("relu", "relu6", "silu", "hswish", "none")
GATES = ("sigmoid", "hsigmoid")


T = TypeVar("T")


class ConfigError(ValueError):
    """An architecture that cannot exist (bad channels, stride, kind...)."""


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round channels to a multiple of `divisor`, never dropping more than 10% (TF-slim/torchvision rule)."""
    min_value = min_value or divisor
    new = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if new < 0.9 * value:
        new += divisor
    return new


@dataclass(frozen=True)
class Block:
    """One block of a kind described in `archsearch.blocks` (which says what it is made of). `mid` is the
    expanded (depthwise) width; `se` the SE bottleneck width (0 = no SE). Fields after `cout` are
    keyword-only: ten positional numbers were too easy to shift by one."""

    kind: str
    cin: int
    cout: int
    _: KW_ONLY
    k: int = 3
    stride: int = 1
    mid: int = 0
    se: int = 0
    act: str = "relu6"
    se_gate: str = "sigmoid"
    se_bn: bool = False
    groups: int = 1
    skip: bool = True

    def __post_init__(self) -> None:
        if self.kind not in BLOCK_KINDS:
            raise ConfigError(f"unknown block kind {self.kind!r}; allowed: {', '.join(BLOCK_KINDS.names())}")
        if self.mid == 0 and block_kind(self.kind).mid:
            object.__setattr__(self, "mid", self.cin)
        _check_block(self)

    @property
    def expands(self) -> bool:
        """True when the block has a 1x1 expansion conv (a kind with an optional expansion, mid != cin)."""
        return block_kind(self.kind).mid == "expand" and self.mid != self.cin

    @property
    def residual(self) -> str:
        """'full', 'partial' or '' — the residual the block runs (its kind's rule, shapes and `skip`)."""
        if block_kind(self.kind).residual == "identity":
            return "full"
        return allowed_residual(self) if self.skip else ""

    @property
    def expansion(self) -> float:
        return self.mid / self.cin


def _check_block(b: Block) -> None:
    where = f"block {b.kind}({b.cin}->{b.cout})"
    if b.cin <= 0 or b.cout <= 0 or b.mid < 0 or b.se < 0:
        raise ConfigError(f"{where}: channels must be positive")
    if b.stride not in (1, 2):
        raise ConfigError(f"{where}: stride {b.stride} not allowed; allowed: 1, 2")
    if b.k not in (1, 3, 5, 7):
        raise ConfigError(f"{where}: kernel {b.k} not allowed; allowed: 1, 3, 5, 7")
    if b.act not in ACTIVATIONS:
        raise ConfigError(f"{where}: activation {b.act!r} not allowed; allowed: {', '.join(ACTIVATIONS)}")
    if b.se_gate not in GATES:
        raise ConfigError(f"{where}: SE gate {b.se_gate!r} not allowed; allowed: {', '.join(GATES)}")
    if b.groups < 1 or b.cin % b.groups or b.cout % b.groups or (b.mid and b.mid % b.groups):
        raise ConfigError(f"{where}: groups {b.groups} must divide cin, mid and cout")
    if block_kind(b.kind).residual == "identity" and (b.cin != b.cout or b.stride != 1):
        raise ConfigError(f"{where}: identity needs cin == cout and stride 1")


@dataclass(frozen=True)
class Stem:
    channels: int = 32
    k: int = 3
    stride: int = 2
    act: str = "relu6"


@dataclass(frozen=True)
class Head:
    """1x1 conv + BN + act to `channels` (0 = none), global pool, optional 1x1 conv to `post_pool`
    without BN (MobileNetV3/OFA), dropout, linear classifier."""

    channels: int = 1280
    act: str = "relu6"
    post_pool: int = 0
    dropout: float = 0.2


@dataclass(frozen=True)
class ArchConfig:
    """A whole network. Frozen and hashable; `to_json`/`from_json` round-trip exactly."""

    blocks: tuple[Block, ...]
    resolution: int = 224
    stem: Stem = field(default_factory=Stem)
    head: Head = field(default_factory=Head)
    num_classes: int = 1000
    in_chans: int = 3
    name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "blocks", tuple(self.blocks))
        if self.resolution < 32:
            raise ConfigError(f"resolution {self.resolution} too small; allowed: >= 32")
        if self.num_classes <= 0 or self.stem.channels <= 0 or self.in_chans <= 0:
            raise ConfigError("channels and classes must be positive")
        prev = self.stem.channels
        for i, b in enumerate(self.blocks):
            if b.cin != prev:
                raise ConfigError(f"block {i}: cin {b.cin} does not match previous width {prev}")
            prev = b.cout

    @property
    def last_channels(self) -> int:
        return self.blocks[-1].cout if self.blocks else self.stem.channels

    @property
    def depth(self) -> int:
        """Number of non-identity blocks."""
        return sum(block_kind(b.kind).residual != "identity" for b in self.blocks)

    def with_(self, **changes: Any) -> ArchConfig:
        return replace(self, **changes)

    def with_width(self, alpha: float) -> ArchConfig:
        """Every channel count times `alpha` (multiples of 8): the same depth, kernels and strides, a
        narrower network. Short training trains this stand-in because a quarter-width network takes ~8x
        more steps in the same seconds (EcoNAS, Zhou et al. 2020: reduced channels keep the ranking)."""
        if alpha == 1:
            return self
        if alpha <= 0:
            raise ConfigError(f"width multiplier {alpha} must be positive")

        def scaled(c: int) -> int:
            return make_divisible(c * alpha, 8) if c else 0

        blocks = tuple(
            replace(b, cin=scaled(b.cin), cout=scaled(b.cout), mid=scaled(b.mid), se=scaled(b.se))
            for b in self.blocks
        )
        return replace(self, blocks=blocks, stem=replace(self.stem, channels=scaled(self.stem.channels)),
                       head=replace(self.head, channels=scaled(self.head.channels),
                                    post_pool=scaled(self.head.post_pool)))  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        d = _fields_of(self)
        d.update(
            stem=_fields_of(self.stem),
            head=_fields_of(self.head),
            blocks=[_compact_block(b) for b in self.blocks],
        )
        return d

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(
            self.to_dict(), sort_keys=True, indent=indent, separators=None if indent else (",", ":")
        )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ArchConfig:
        try:
            known = {f.name for f in fields(cls)}
            unknown = set(d) - known
            if unknown:
                raise ConfigError(f"unknown config key(s) {sorted(unknown)}; allowed: {sorted(known)}")
            return cls(
                blocks=tuple(Block(**b) for b in d["blocks"]),
                resolution=d.get("resolution", 224),
                stem=Stem(**d.get("stem", {})),
                head=Head(**d.get("head", {})),
                num_classes=d.get("num_classes", 1000),
                in_chans=d.get("in_chans", 3),
                name=d.get("name", ""),
            )
        except (TypeError, KeyError) as e:
            raise ConfigError(f"malformed architecture config: {e}") from None

    @classmethod
    def from_json(cls, text: str) -> ArchConfig:
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as e:
            raise ConfigError(f"config is not valid JSON: {e}") from None

    @property
    def id(self) -> str:
        """Short stable id: hash of the canonical JSON of the architecture (the name is not part of it)."""
        canon = replace(self, name="").to_json()
        return hashlib.sha1(canon.encode()).hexdigest()[:12]


_BLOCK_DEFAULTS = {f.name: f.default for f in fields(Block)}


def _fields_of(obj: Any) -> dict[str, Any]:
    """A dataclass's fields, one level deep (`asdict` recurses and copies: it made encoding a config the
    search's largest own cost)."""
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


def _compact_block(b: Block) -> dict[str, Any]:
    """Block as a dict without default-valued fields, so configs stay readable."""
    return {k: v for k, v in _fields_of(b).items() if k in ("kind", "cin", "cout") or v != _BLOCK_DEFAULTS[k]}


def group_stages(
    blocks: Sequence[T],
    cout: Callable[[T], Any] = attrgetter("cout"),
    stride: Callable[[T], Any] = attrgetter("stride"),
) -> list[list[T]]:
    """Blocks split into stages as a paper table reads them: a new stage opens at every strided block, and
    where a run of equal widths (MobileNet's piecewise-constant stages) changes width; channels that grow
    every block (ReXNet) stay in one stage until the next stride. `cout`/`stride` read a block (`Block`s
    by default; the dashboard passes readers of raw JSON dicts)."""
    stages: list[list[T]] = []
    for b in blocks:
        cur = stages[-1] if stages else None
        flat = cur is not None and len(cur) >= 2 and all(cout(x) == cout(cur[0]) for x in cur)
        if cur is None or stride(b) != 1 or (flat and cout(b) != cout(cur[0])):
            stages.append([b])
        else:
            cur.append(b)
    return stages


def feature_sizes(cfg: ArchConfig) -> list[int]:
    """Spatial side of the map entering each block (and, last, the head), 'same' padding arithmetic."""
    side = _down(cfg.resolution, cfg.stem.stride)
    sides = []
    for b in cfg.blocks:
        sides.append(side)
        side = _down(side, b.stride)
    sides.append(side)
    return sides


def _down(side: int, stride: int) -> int:
    return (side - 1) // stride + 1
