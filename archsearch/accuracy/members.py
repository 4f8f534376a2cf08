"""The members of the accuracy-estimator family, registered by name (one line each, at the bottom).

- learned estimators shipped as files in `accuracy_estimators/` (`imagenet`, `cifar10`);
- every zero-cost proxy, as a per-network score;
- `ensemble`: the rank ensemble of proxies, a population estimator fitted on a reference sample;
- `training`: short proxy training's held-out top-1 (slow: for finalists)."""

from __future__ import annotations

import bisect
import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from archsearch.accuracy.base import (
    AccuracyEstimator,
    BenchmarkValues,
    EstimatorError,
    Prediction,
    ProxySettings,
)
from archsearch.accuracy.learned import LearnedEstimator
from archsearch.arch import ArchConfig
from archsearch.cost import cost
from archsearch.resources import find

FOLDER = "accuracy_estimators"


@lru_cache(maxsize=8)
def _load_file(path: str) -> LearnedEstimator:
    return LearnedEstimator.load(path)


def load_learned(name_or_path: str) -> LearnedEstimator:
    """A shipped estimator by name, or any estimator file by path (cached per process)."""
    from pathlib import Path

    if name_or_path.endswith(".json") and not Path(name_or_path).is_file():
        raise EstimatorError(f"estimator file not found: {name_or_path}")
    return _load_file(str(find(FOLDER, name_or_path, ".json").resolve()))


# -- zero-cost proxies: one network at a time, at the run's proxy resolution

COST_PROXIES = {"macs": "macs", "params": "params"}


def auto_proxy_resolution(cfg: ArchConfig) -> int:
    """A quarter of the network's input side (multiple of 8, at least 32): small enough to be cheap, and
    resolution still reaches the proxies (224 -> 56, 160 -> 40, 128 -> 32; NAS-Bench-Macro stays at 32)."""
    return max(32, round(cfg.resolution / 32) * 8)


@lru_cache(maxsize=4)
def dataset(spec: str | None) -> Any:
    """A dataset loaded once per process (proxies, the ensemble and short training share it)."""
    from archsearch.proxies import load_dataset

    return load_dataset(spec)


@lru_cache(maxsize=16)
def _batch(data: str | None, resolution: int, batch: int, seed: int) -> Any:
    """The seeded minibatch of a dataset at a resolution, made once per process (normalising it scans the
    whole training split)."""
    from archsearch.proxies.scoring import make_batch

    return make_batch(dataset(data), resolution, batch, seed)


def proxy_values(cfg: ArchConfig, names: Sequence[str], settings: ProxySettings) -> dict[str, float | None]:
    """Zero-cost proxies of `cfg` (None where one failed). Proxies that count the network (`macs`,
    `params`) are taken from the network as searched, at its own resolution, not from its proxy-sized copy,
    so that resolution still reaches the score; they build no torch module."""
    from archsearch.proxies.scoring import adapt, expand, min_resolution, score_batch

    out: dict[str, float | None] = {}
    counted = [n for n in names if n in COST_PROXIES]
    if counted:
        c = cost(cfg)
        out.update({n: float(getattr(c, COST_PROXIES[n])) for n in counted})
    run = [n for n in names if n not in COST_PROXIES]
    if run:
        expand(run)  # unknown names fail before any work
        res = max(settings.resolution or auto_proxy_resolution(cfg), min_resolution(cfg))
        images, labels = _batch(settings.data, res, settings.batch, settings.seed)
        out.update(score_batch(adapt(cfg, dataset(settings.data), res), run, images, labels, settings.seed))
    return {n: out[n] for n in expand(list(names))}


class ProxyEstimator(AccuracyEstimator):
    """One zero-cost proxy as an estimator: a score that ranks, no domain, no uncertainty."""

    kind = "proxy"

    def __init__(self, proxy: str, settings: ProxySettings):
        from archsearch.proxies import get_proxy

        self.name, self.settings, self.inputs = proxy, settings, (proxy,)
        self.description = get_proxy(proxy).description

    def predict(self, configs: Sequence[ArchConfig]) -> Prediction:
        rows = [proxy_values(c, [self.name], self.settings) for c in configs]
        pred = Prediction.inside([r[self.name] for r in rows])
        return Prediction(pred.value, pred.uncertainty, pred.extrapolates, pred.why, tuple(rows))


class RankEnsembleEstimator(AccuracyEstimator):
    """The rank ensemble as a per-network score: the mean over members of the network's percentile
    (mid-rank) among a fixed reference sample of the space. `fit(reference configs)` measures the sample;
    afterwards every trial and baseline of a run is scored on the same, stationary scale."""

    name = "ensemble"
    kind = "ensemble"
    population = True

    def __init__(self, settings: ProxySettings, members: Sequence[str] | None = None):
        from archsearch.proxies.ensemble import DEFAULT_MEMBERS, RankEnsemble

        self.settings = settings
        self.members = self.inputs = tuple(members or DEFAULT_MEMBERS)
        self.description = RankEnsemble.description
        self.reference: dict[str, list[float]] = {}

    def fit(self, configs: Sequence[ArchConfig], targets: Sequence[float] | None = None,
            sources: Sequence[str] | None = None) -> RankEnsembleEstimator:  # fmt: skip
        rows = [proxy_values(c, self.members, self.settings) for c in configs]
        return self.fit_values(rows)

    def fit_values(self, rows: Sequence[dict[str, float | None]]) -> RankEnsembleEstimator:
        """Fit on member values already measured (e.g. by workers of the run's executor)."""
        self.reference = {m: sorted(r[m] for r in rows if r.get(m) is not None) for m in self.members}
        return self

    def predict(self, configs: Sequence[ArchConfig]) -> Prediction:
        if not self.reference:
            raise EstimatorError("ensemble: fit it on a reference sample of the space first")
        rows = [proxy_values(c, self.members, self.settings) for c in configs]
        pred = Prediction.inside([self.percentile(r) for r in rows])
        return Prediction(pred.value, pred.uncertainty, pred.extrapolates, pred.why, tuple(rows))

    def on_benchmark(self, configs: Sequence[ArchConfig], source: str) -> BenchmarkValues:
        """The classic rank ensemble: members' ranks over the scored networks themselves."""
        from archsearch.proxies.ensemble import RankEnsemble

        rows = [proxy_values(c, self.members, self.settings) for c in configs]
        ranks = RankEnsemble(self.members).combine(rows)
        return BenchmarkValues(np.array([np.nan if v is None else v for v in ranks], float))

    @property
    def label(self) -> str:
        return f"ensemble({'+'.join(self.members)})"

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "members": list(self.members)}

    def percentile(self, values: dict[str, float | None]) -> float | None:
        out = []
        for member, ref in self.reference.items():
            v = values.get(member)
            if v is None or not ref:
                return None
            out.append((bisect.bisect_left(ref, v) + bisect.bisect_right(ref, v)) / (2 * len(ref)))
        return sum(out) / len(out)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "members": list(self.members), "reference": self.reference}

    @classmethod
    def from_dict(cls, d: dict[str, Any], settings: ProxySettings | None = None) -> RankEnsembleEstimator:
        est = cls(settings or ProxySettings(), d.get("members"))
        est.reference = {m: [float(v) for v in vals] for m, vals in d.get("reference", {}).items()}
        return est


class TrainingEstimator(AccuracyEstimator):
    """Short proxy training (quarter-width stand-in, 60 s by default): held-out top-1 on the run's data."""

    name = "training"
    kind = "training"
    unit = "top1"
    description = "held-out top-1 after short proxy training of a narrow stand-in (slow: finalists)"

    def __init__(
        self, settings: ProxySettings, seconds: float = 60.0, width: float = 0.25, steps: int | None = None
    ):
        self.settings, self.seconds, self.width, self.steps = settings, seconds, width, steps

    def predict(self, configs: Sequence[ArchConfig]) -> Prediction:
        from archsearch.proxies import train_config

        budget = {"steps": self.steps} if self.steps else {"seconds": self.seconds}  # steps: bit-reproducible
        tops = [
            train_config(c, dataset(self.settings.data), seed=self.settings.seed, progress=False, width=self.width,
                         **budget).top1
            for c in configs
        ]  # fmt: skip
        return Prediction.inside(tops)

    @property
    def axis_label(self) -> str:
        return "short-training top-1 (%)"

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "seconds": self.seconds, "width": self.width}

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "seconds": self.seconds, "width": self.width, "steps": self.steps}

    @classmethod
    def from_dict(cls, d: dict[str, Any], settings: ProxySettings | None = None) -> TrainingEstimator:
        steps = d.get("steps")
        return cls(settings or ProxySettings(), float(d.get("seconds", 60.0)), float(d.get("width", 0.25)),
                   None if steps is None else int(steps))  # fmt: skip


def estimator_from_state(state: str, settings: ProxySettings) -> AccuracyEstimator:
    """An estimator rebuilt from its `to_dict` JSON (what a run stores and sends to its workers)."""
    from archsearch.accuracy.base import get_estimator

    d = json.loads(state)
    est = get_estimator(d.get("name", ""), settings)
    return type(est).from_dict(d, settings) if est.population else est
