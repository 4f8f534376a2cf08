"""The one small interface every accuracy estimator implements, and the registry that finds them.

An estimator maps configs to a predicted accuracy (`unit` "top1": percent, on the scale its file
states) or to a score that only ranks (`unit` "score": the zero-cost proxies). Learned estimators are
fitted once and shipped as plain-text files; population estimators (the rank ensemble) are fitted on a
reference sample of the searched space at the start of a run. Either way `fit`, `predict` and
`to_dict`/`from_dict` are all a caller needs, so the search takes its score from one place."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from archsearch.arch import ArchConfig
from archsearch.registry import Registry


class EstimatorError(ValueError):
    """Bad estimator input: an unknown name, a malformed file, a config that cannot be featurised."""


@dataclass(frozen=True)
class ProxySettings:
    """How networks are run for estimators that run them (proxies, ensemble, short training)."""

    data: str | None = None
    resolution: int | None = None  # None: a quarter of each network's input side, at least 32
    batch: int = 32
    seed: int = 0


@dataclass(frozen=True)
class Prediction:
    """Per config: the value, its uncertainty (same unit; NaN where the estimator has none), whether it
    extrapolates (a feature outside the fitted range), how far (`outside`: the share of features outside,
    0 inside: a constraint value that tells a sampler which way the domain lies) and which features do
    ('' when inside); `details`,
    where the estimator has them, the values behind each prediction (e.g. the ensemble's member proxies)."""

    value: np.ndarray
    uncertainty: np.ndarray
    extrapolates: np.ndarray
    why: Sequence[str]
    details: tuple[dict[str, float | None], ...] = ()
    outside: np.ndarray | None = None

    @property
    def distance(self) -> np.ndarray:
        return self.outside if self.outside is not None else self.extrapolates.astype(float)

    @classmethod
    def inside(cls, values: Sequence[float | None]) -> Prediction:
        """Values of an estimator without a domain (None = the score failed: NaN)."""
        v = np.array([np.nan if x is None else x for x in values], float)
        return cls(v, np.full(len(v), np.nan), np.zeros(len(v), bool), ("",) * len(v))


@dataclass(frozen=True)
class BenchmarkValues:
    """An estimator's values for networks of a benchmark: `values` on the benchmark's own scale where the
    estimator is calibrated to it (`on_scale`, so an MAE means something), and `own`, its usual values,
    where those differ (a calibrated learned estimator's full-training scale)."""

    values: np.ndarray
    on_scale: bool = False
    own: np.ndarray | None = None


class AccuracyEstimator(ABC):
    """Higher value = predicted better network."""

    name: str = ""
    kind: str = ""  # learned, proxy, ensemble, training
    unit: str = "score"  # "top1" (percent) or "score" (ranks only)
    description: str = ""
    population: bool = False  # True: `fit(reference configs)` is needed before `predict`
    inputs: tuple[str, ...] = ()  # per-network values `predict` reports in `details` (proxy names)

    def fit(
        self,
        configs: Sequence[ArchConfig],
        targets: Sequence[float] | None = None,
        sources: Sequence[str] | None = None,
    ) -> AccuracyEstimator:
        """Fit on `configs` (with `targets` and their `sources` for learned estimators); returns self.
        Estimators that need no fitting accept the call and change nothing."""
        return self

    @abstractmethod
    def predict(self, configs: Sequence[ArchConfig]) -> Prediction:
        """Predictions for `configs`."""

    def on_benchmark(self, configs: Sequence[ArchConfig], source: str) -> BenchmarkValues:
        """Values for `configs` of benchmark `source` (e.g. 'anb', 'nbm'), scored as a run scores them."""
        return BenchmarkValues(self.predict(configs).value)

    def describe(self) -> dict[str, Any]:
        """What the estimator is (`estimators show`); members add what their own state says."""
        return {"name": self.name, "kind": self.kind, "unit": self.unit, "description": self.description}

    @property
    def headline(self) -> str:
        """The held-out figures of the estimator's file in one line ('' if none): see `headline`."""
        return headline(self.figures)

    @property
    def label(self) -> str:
        """The name tables show (a population member names its members)."""
        return self.name

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name}

    @classmethod
    def from_dict(cls, d: dict[str, Any], settings: ProxySettings | None = None) -> AccuracyEstimator:
        return get_estimator(d["name"], settings)

    @property
    def axis_label(self) -> str:
        """What the dashboard's y-axis and the tables call this estimator's value."""
        return f"score ({self.name})"

    @property
    def figures(self) -> dict[str, Any]:
        """The estimator's own validation figures (from its file), for trust notes; empty if none."""
        return {}


AGREEMENT_KEYS = ("kendall", "mae", "n")


def _is_agreement(v: Any) -> bool:
    return isinstance(v, dict) and "kendall" in v


def headline(figures: dict[str, Any]) -> str:
    """The held-out figures of an estimator file in one line, e.g. 'anb_holdout: kendall 0.71, mae 1.2,
    n 822; leave_one_family_out mae: mobilenet_v1 4.1, ...'. In-sample figures (keys ending in _fit) and
    other reports are left to `estimators show`."""
    parts = []
    for key, v in figures.items():
        if key.endswith("_fit"):
            continue
        if _is_agreement(v):
            parts.append(f"{key}: " + ", ".join(f"{m} {v[m]:g}" for m in AGREEMENT_KEYS if m in v))
        elif isinstance(v, dict) and v and all(_is_agreement(x) and "mae" in x for x in v.values()):
            parts.append(f"{key} mae: " + ", ".join(f"{sub} {x['mae']:g}" for sub, x in v.items()))
        elif isinstance(v, int | float) and not isinstance(v, bool):
            parts.append(f"{key} {v:g}")
    return "; ".join(parts)


Factory = Callable[[ProxySettings], AccuracyEstimator]
REGISTRY: Registry[Factory] = Registry("accuracy estimator", EstimatorError, ("archsearch.accuracy.catalog",))


def register_estimator(name: str, factory: Factory) -> None:
    """Add an estimator by name (one line per member); a duplicate name replaces the first, with a warning."""
    REGISTRY.add(name, factory)


def get_estimator(name: str, settings: ProxySettings | None = None) -> AccuracyEstimator:
    """A registered estimator by name, or an estimator file by path; a one-line error lists the names."""
    if name.endswith(".json"):
        from archsearch.accuracy.members import load_learned

        return load_learned(name)
    return REGISTRY.get(name)(settings or ProxySettings())


def list_estimators() -> list[str]:
    return REGISTRY.names()
