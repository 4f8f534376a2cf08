"""Latency predictors: one small abstract base, a registry, and the implementations.

Every predictor learns from `Sample`s (a bag of parts with a measured time: a whole network, or one
block timed alone in a lookup table) and predicts a network's milliseconds. It stores itself as plain
numbers and strings (`to_dict`), never pickles, so profiles survive library upgrades. Adding a
predictor means one class here and one registry line; `tests/test_hardware_predictors.py` holds every
member to the same contract.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar, NamedTuple

import numpy as np
from scipy.optimize import nnls

from archsearch.arch import ArchConfig, feature_sizes
from archsearch.hardware.errors import PredictorError, UncoveredError
from archsearch.hardware.features import (
    COLUMNS,
    INDEX,
    TERMS,
    Part,
    block_features,
    block_part,
    network_parts,
    part_features,
    stem_head_parts,
)
from archsearch.registry import Registry


class Sample(NamedTuple):
    """Measured milliseconds of a workload; `whole` marks a whole network (adds the per-network term)."""

    parts: tuple[Part, ...]
    ms: float
    whole: bool = True


def network_sample(cfg: ArchConfig, ms: float) -> Sample:
    return Sample(network_parts(cfg), float(ms), True)


def sample_features(s: Sample) -> np.ndarray:
    v = np.zeros(len(COLUMNS))
    for p in s.parts:
        v += part_features(p)
    v[INDEX["network"]] = 1.0 if s.whole else 0.0
    return v


def check_samples(samples: Sequence[Sample]) -> np.ndarray:
    if not samples:
        raise PredictorError("no samples to fit")
    y = np.array([s.ms for s in samples], dtype=float)
    if not np.all(np.isfinite(y)) or np.any(y <= 0):
        raise PredictorError("measured times must be finite and positive")
    return y


def _relative_nnls(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Non-negative least squares on relative error: minimise sum(((x @ c) / y - 1)^2), c >= 0.
    Columns are scaled to unit maximum first so the solver sees a well-conditioned problem."""
    a = x / y[:, None]
    scale = np.abs(a).max(axis=0)
    used = scale > 0
    coef = np.zeros(x.shape[1])
    sol, _ = nnls(a[:, used] / scale[used], np.ones(len(y)), maxiter=50 * x.shape[1])
    coef[used] = sol / scale[used]
    return coef


class LatencyPredictor(ABC):
    """Learns per-part costs from samples and predicts a network's latency (ms)."""

    kind: ClassVar[str]
    additive: bool = True  # a whole network's time is its parts' lone times plus the per-network term

    @abstractmethod
    def fit(self, samples: Sequence[Sample]) -> LatencyPredictor:
        """Fit on the samples (replacing any earlier fit); returns self."""

    @abstractmethod
    def predict_sample(self, sample: Sample) -> float:
        """Milliseconds of a workload (a whole network or a lone block)."""

    def predict(self, cfg: ArchConfig) -> float:
        return self.predict_sample(Sample(network_parts(cfg), 0.0, True))

    def predict_many(self, cfgs: Sequence[ArchConfig]) -> np.ndarray:
        return np.array([self.predict(c) for c in cfgs])

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """Plain numbers and strings (YAML/JSON safe), with `kind` naming the class."""

    @classmethod
    @abstractmethod
    def from_dict(cls, d: dict[str, Any]) -> LatencyPredictor:
        """Inverse of `to_dict`; raises PredictorError on malformed input."""


# Columns the fitting data never exercised (e.g. SE and SiLU in a table of plain MobileNetV2 blocks)
# borrow the coefficient of the nearest kernel that was exercised, first covered source wins; the
# profile records every borrowing, and the README states the error to expect from it.
BORROW: dict[str, tuple[str, ...]] = {
    **{f"pwg.{t}": (f"pw.{t}",) for t in TERMS},
    **{f"dw3.{t}": (f"dw5.{t}", f"dw7.{t}") for t in TERMS},
    **{f"dw5.{t}": (f"dw3.{t}", f"dw7.{t}") for t in TERMS},
    **{f"dw7.{t}": (f"dw5.{t}", f"dw3.{t}") for t in TERMS},
    "se.macs": ("linear.macs", "pw.macs"),
    "se.bytes": ("add.bytes", "pool.bytes"),
    "se.count": ("linear.count", "add.count"),
    "add.bytes": ("pool.bytes",),
    "act_hswish": ("act_silu", "act_relu"),
    "act_silu": ("act_hswish", "act_relu"),
}


def _borrow(coef: np.ndarray, covered: np.ndarray) -> dict[str, str]:
    borrowed = {}
    for col, sources in BORROW.items():
        if not covered[INDEX[col]]:
            src = next((s for s in sources if covered[INDEX[s]]), None)
            if src:
                coef[INDEX[col]] = coef[INDEX[src]]
                borrowed[col] = src
    return borrowed


class KernelLinear(LatencyPredictor):
    """Per kernel group: ms per MMAC, ms per MB moved and ms per kernel, plus activation and per-network
    terms, fitted by non-negative least squares on relative error. Sums of kernel costs, so it carries
    width and resolution scaling and predicts any config whose kernels have a group."""

    kind = "kernel-linear"

    def __init__(self, coefficients: dict[str, float] | None = None, borrowed: dict[str, str] | None = None):
        self.coef: np.ndarray | None = None
        self._part_ms: dict[str, float] = {}  # per-part ms under the current coefficients
        self._block_ms: dict[tuple, float] = {}
        self.borrowed = dict(borrowed or {})
        if coefficients is not None:
            self.coef = np.array([float(coefficients.get(c, 0.0)) for c in COLUMNS])

    def fit(self, samples: Sequence[Sample]) -> KernelLinear:
        y = check_samples(samples)
        x = np.stack([sample_features(s) for s in samples])
        self.coef = _relative_nnls(x, y)
        self.borrowed = _borrow(self.coef, np.any(x != 0, axis=0))
        self._part_ms, self._block_ms = {}, {}
        return self

    def coef_vector(self) -> np.ndarray:
        """The coefficients in `COLUMNS` order (PredictorError when not fitted)."""
        if self.coef is None:
            raise PredictorError(f"{self.kind} predictor is not fitted")
        return self.coef

    def predict_sample(self, sample: Sample) -> float:
        return float(sample_features(sample) @ self.coef_vector())

    def predict(self, cfg: ArchConfig) -> float:
        coef = self.coef_vector()
        cache = self._part_ms
        sides = feature_sizes(cfg)
        total = float(coef[INDEX["network"]])
        for p in stem_head_parts(cfg, sides):
            ms = cache.get(p.key)
            if ms is None:
                ms = cache[p.key] = float(part_features(p) @ coef)
            total += ms
        blocks = self._block_ms
        for i, (b, h) in enumerate(zip(cfg.blocks, sides, strict=False)):
            ms = blocks.get((b, h))
            if ms is None:
                try:
                    ms = blocks[(b, h)] = float(block_features(b, h) @ coef)
                except UncoveredError as e:
                    raise UncoveredError(f"block {i} ({block_part(b, h).label}): {e}") from None
            total += ms
        return total

    def to_dict(self) -> dict[str, Any]:
        coef = self.coef_vector()
        return {
            "kind": self.kind,
            "coefficients": {c: float(f"{v:.6g}") for c, v in zip(COLUMNS, coef, strict=True)},
            "borrowed": dict(self.borrowed),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> KernelLinear:
        coefs = d.get("coefficients")
        if not isinstance(coefs, dict):
            raise PredictorError(f"{cls.kind}: 'coefficients' must be a mapping of column -> number")
        unknown = sorted(set(coefs) - set(COLUMNS))
        if unknown:
            raise PredictorError(
                f"{cls.kind}: unknown coefficient(s) {unknown}; allowed: {', '.join(COLUMNS)}"
            )
        for k, v in coefs.items():
            if not isinstance(v, int | float) or isinstance(v, bool) or not np.isfinite(v) or v < 0:
                raise PredictorError(f"{cls.kind}: coefficient {k} must be a finite number >= 0, got {v!r}")
        borrowed = d.get("borrowed", {})
        if not isinstance(borrowed, dict) or not all(
            a in COLUMNS and b in COLUMNS for a, b in borrowed.items()
        ):
            raise PredictorError(
                f"{cls.kind}: 'borrowed' must map coefficient -> the coefficient it was copied from"
            )
        return cls(coefs, borrowed)


class BlockTable(LatencyPredictor):
    """One fitted term per distinct part (a block at its exact shapes, the stem, the head) plus a
    per-network term: the additive per-layer model of lookup-table devices. It reproduces sums of a
    per-layer table exactly, but only covers parts it has seen (it names the first one it has not)."""

    kind = "block-table"

    def __init__(self, table: dict[str, float] | None = None, network_ms: float = 0.0):
        self.table = table
        self.network_ms = network_ms

    def fit(self, samples: Sequence[Sample]) -> BlockTable:
        y = check_samples(samples)
        keys = sorted({p.key for s in samples for p in s.parts})
        col = {k: i for i, k in enumerate(keys)}
        x = np.zeros((len(samples), len(keys) + 1))
        for r, s in enumerate(samples):
            for p in s.parts:
                x[r, col[p.key]] += 1.0
            x[r, -1] = 1.0 if s.whole else 0.0
        coef = _relative_nnls(x, y)
        self.table = {k: float(coef[i]) for k, i in col.items()}
        self.network_ms = float(coef[-1])
        return self

    def _table(self) -> dict[str, float]:
        if self.table is None:
            raise PredictorError(f"{self.kind} predictor is not fitted")
        return self.table

    def predict_sample(self, sample: Sample) -> float:
        table = self._table()
        total = self.network_ms if sample.whole else 0.0
        for i, p in enumerate(sample.parts):
            ms = table.get(p.key)
            if ms is None:
                where = f"part {i} ({p.label})"
                raise UncoveredError(
                    f"{self.kind} predictor has no entry for {where}; it covers only parts it was fitted on"
                )
            total += ms
        return total

    def to_dict(self) -> dict[str, Any]:
        table = self._table()
        return {"kind": self.kind, "network_ms": float(f"{self.network_ms:.6g}"),
                "table": {k: float(f"{v:.6g}") for k, v in sorted(table.items())}}  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BlockTable:
        table, net = d.get("table"), d.get("network_ms", 0.0)
        if not isinstance(table, dict) or not all(isinstance(k, str) for k in table):
            raise PredictorError(f"{cls.kind}: 'table' must be a mapping of part key -> ms")
        for k, v in [*table.items(), ("network_ms", net)]:
            if not isinstance(v, int | float) or isinstance(v, bool) or not np.isfinite(v) or v < 0:
                raise PredictorError(f"{cls.kind}: entry {k} must be a finite number >= 0, got {v!r}")
        return cls({k: float(v) for k, v in table.items()}, float(net))


# `transfer` (hardware/transfer.py) builds on KernelLinear and registers itself on first lookup.
PREDICTORS: Registry[type[LatencyPredictor]] = Registry(
    "predictor", PredictorError, builtins=("archsearch.hardware.transfer",)
)
for _cls in (KernelLinear, BlockTable):
    PREDICTORS.add(_cls.kind, _cls)


def new_predictor(kind: str) -> LatencyPredictor:
    return PREDICTORS.get(kind)()


def predictor_from_dict(d: Any) -> LatencyPredictor:
    if not isinstance(d, dict) or "kind" not in d:
        raise PredictorError(f"predictor must be a mapping with a 'kind' (one of {', '.join(PREDICTORS)})")
    return PREDICTORS.get(d["kind"]).from_dict(d)
