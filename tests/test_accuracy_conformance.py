"""The one contract every accuracy estimator meets, whatever it is: a learned predictor, a zero-cost
proxy, the rank ensemble. Run over every registered name plus a tiny learned estimator fitted here."""

from __future__ import annotations

import json

import numpy as np
import pytest

from archsearch.accuracy.base import (
    AccuracyEstimator,
    EstimatorError,
    ProxySettings,
    get_estimator,
    list_estimators,
)
from archsearch.accuracy.members import TrainingEstimator
from tests.accuracy_helpers import fast_proxies, small_configs, tiny_learned  # noqa: F401 (fixture)

SETTINGS = ProxySettings(data="synthetic", resolution=32, batch=8)
TINY = "tiny-learned"
pytestmark = pytest.mark.usefixtures("fast_proxies")
NAMES = list_estimators()


@pytest.fixture(scope="module")
def configs() -> list:
    return small_configs()


def make(name: str, configs: list) -> AccuracyEstimator:
    if name == "training":  # 2 optimizer steps instead of 60 s: the same code, bit-reproducible
        return TrainingEstimator.from_dict({"name": "training", "steps": 2}, SETTINGS)
    est = tiny_learned() if name == TINY else get_estimator(name, SETTINGS)
    if est.population:
        with pytest.raises(EstimatorError, match="fit it"):
            est.predict(configs[:1])
        est.fit(configs[:4])
    return est


def same(a: np.ndarray, b: np.ndarray) -> None:
    np.testing.assert_array_equal(a, b)  # NaN equals NaN here


@pytest.mark.parametrize("name", [*NAMES, TINY])
def test_estimator_contract(name: str, configs: list) -> None:
    est = make(name, configs)
    assert est.unit in ("top1", "score") and est.description
    assert name == TINY or est.name == name
    pred = est.predict(configs)
    n = len(configs)
    assert pred.value.shape == pred.uncertainty.shape == pred.extrapolates.shape == (n,)
    assert pred.value.dtype == pred.uncertainty.dtype == np.float64 and pred.extrapolates.dtype == bool
    assert len(pred.why) == n and all(isinstance(w, str) for w in pred.why)
    assert all(bool(w) == x for w, x in zip(pred.why, pred.extrapolates, strict=True))
    assert not np.isinf(pred.value).any() and np.isfinite(pred.value).any()  # NaN marks a failure, never inf
    assert ((pred.uncertainty >= 0) | np.isnan(pred.uncertainty)).all()
    again = est.predict(configs)
    same(pred.value, again.value)
    same(pred.uncertainty, again.uncertainty)
    same(pred.extrapolates, again.extrapolates)
    # What a run stores (JSON) and its workers rebuild predicts the same.
    state = json.loads(json.dumps(est.to_dict()))
    back = type(est).from_dict(state, SETTINGS).predict(configs)
    same(pred.value, back.value)
    same(pred.extrapolates, back.extrapolates)
