"""General architecture features: one fixed-length vector for any `ArchConfig`, whatever its space.

Blocks are grouped by the output stride they produce (1 for CIFAR-style stems, 2, 4, 8, 16, 32: where detection and
segmentation heads attach too), so an Accel-NASBench stage table, a MobileNetV2 grid point, a ReXNet and
a MobileNetV1 describe themselves in the same terms: per level the number of blocks, their mean
expansion, mean depthwise kernel, SE share and share of the network's MACs and params; over the network the share of each activation family;
and the size of the network (log MACs, log params, log input side). An estimator fitted on one space
therefore applies to every other, and `Domain` says when a config lies outside what it was fitted on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from archsearch.arch import ArchConfig
from archsearch.cost import cost_by_block

LEVELS = (1, 2, 4, 8, 16, 32)
# Activations by family: ReLU6 is ReLU clipped (same accuracy in the MobileNet papers' ablations).
ACT_FAMILIES = {"relu": "relu", "relu6": "relu", "silu": "silu", "hswish": "hswish"}
SIZE_FEATURES = ("log_macs", "log_params", "log_resolution")
DESIGN_FEATURES = (
    *(f"{part}{lv}" for lv in LEVELS for part in ("depth", "expand", "kernel", "se", "macs", "params")),
    *(f"first_{part}{lv}" for lv in LEVELS for part in ("expand", "kernel", "se")),
    "depth",
    *(f"act_{a}" for a in sorted(set(ACT_FAMILIES.values()))),
)
FEATURES = (*SIZE_FEATURES, *DESIGN_FEATURES)


class FeatureError(ValueError):
    """A config the estimators cannot describe (a block kind or stride pattern outside the features)."""


def featurize(cfg: ArchConfig) -> list[float]:
    """The feature vector of `cfg` in the order of `FEATURES`."""
    c, costs = cost_by_block(cfg)
    stride = cfg.stem.stride
    # per level: blocks, sum of expansions, sum of kernels, SE blocks, MACs, params
    per = {lv: [0, 0.0, 0.0, 0, 0, 0] for lv in LEVELS}
    first: dict[int, tuple[float, float, float]] = {}  # the level's first block: expansion, kernel, SE
    acts = dict.fromkeys(sorted(set(ACT_FAMILIES.values())), 0)
    depth = 0
    for b, (macs, params, _) in zip(cfg.blocks, costs, strict=True):
        stride *= b.stride
        if b.kind in ("skip",):
            continue
        if stride not in per:
            raise FeatureError(f"{cfg.name or cfg.id}: output stride {stride} outside {LEVELS}")
        family = ACT_FAMILIES.get(b.act)
        if family is None:
            raise FeatureError(f"{cfg.name or cfg.id}: activation {b.act!r} has no feature")
        row = per[stride]
        expansion, kernel, se = (b.mid / b.cin if b.kind in ("ir", "rex") else 1.0), b.k, float(b.se > 0)
        first.setdefault(stride, (expansion, kernel, se))
        row[0] += 1
        row[1] += expansion
        row[2] += kernel
        row[3] += se
        row[4] += macs
        row[5] += params
        acts[family] += 1
        depth += 1
    if depth == 0:
        raise FeatureError(f"{cfg.name or cfg.id}: no blocks to describe")
    out = [math.log(c.macs), math.log(c.params), math.log(cfg.resolution)]
    for lv in LEVELS:
        n, e, k, se, macs, params = per[lv]
        out += [
            n,
            e / n if n else 0.0,
            k / n if n else 0.0,
            se / n if n else 0.0,
            macs / c.macs,
            params / c.params,
        ]
    for lv in LEVELS:
        out += first.get(lv, (0.0, 0.0, 0.0))
    out.append(depth)
    out += [v / depth for v in acts.values()]
    return out


def feature_matrix(configs: Sequence[ArchConfig]) -> np.ndarray:
    """Rows of `featurize` for many configs, as float64."""
    return np.array([featurize(cfg) for cfg in configs], float).reshape(len(configs), len(FEATURES))


@dataclass(frozen=True)
class Domain:
    """The per-feature ranges an estimator was fitted on; a config outside any of them extrapolates."""

    names: tuple[str, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]

    @classmethod
    def of(cls, x: np.ndarray, names: Sequence[str] = FEATURES) -> Domain:
        return cls(tuple(names), tuple(map(float, x.min(0))), tuple(map(float, x.max(0))))

    def outside(self, x: np.ndarray, tol: float = 1e-9) -> np.ndarray:
        """Boolean matrix (rows x features): which values lie outside the fitted range."""
        lo, hi = np.asarray(self.low), np.asarray(self.high)
        span = np.maximum(hi - lo, 1.0) * tol
        return (x < lo - span) | (x > hi + span)

    def explain(self, x: np.ndarray) -> list[str]:
        """Per row, the features outside the range ('' inside), e.g. 'kernel32=7>5'."""
        out = self.outside(x)
        return [
            ",".join(
                f"{n}={v:g}{'<' if v < lo else '>'}{(lo if v < lo else hi):g}"
                for n, v, lo, hi, o in zip(self.names, row, self.low, self.high, flags, strict=True)
                if o
            )
            for row, flags in zip(x, out, strict=True)
        ]

    def to_dict(self) -> dict:
        return {n: [lo, hi] for n, lo, hi in zip(self.names, self.low, self.high, strict=True)}

    @classmethod
    def from_dict(cls, d: dict) -> Domain:
        names = tuple(d)
        return cls(names, tuple(float(d[n][0]) for n in names), tuple(float(d[n][1]) for n in names))
