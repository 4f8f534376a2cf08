"""One conformance suite that every registered latency predictor passes (as Optuna's
`testing/pytest_samplers.py` does for samplers): fit on a synthetic device with known per-kernel costs
and recover them, round-trip through plain text, agree between predict and predict_many, refuse
malformed input and unfitted use."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
import yaml
from synthetic_device import TRUE, device_ms

from archsearch.hardware.predictors import (
    PREDICTORS,
    KernelLinear,
    PredictorError,
    Sample,
    network_sample,
    new_predictor,
    predictor_from_dict,
)
from archsearch.spaces import fbnet_config

OPS = ("k3_e1", "k3_e1_g2", "k3_e3", "k3_e6", "k5_e1", "k5_e1_g2", "k5_e3", "k5_e6", "skip")


def _nets(n: int, seed: int):
    rng = random.Random(seed)
    return [fbnet_config([rng.choice(OPS) for _ in range(22)]) for _ in range(n)]


@pytest.fixture(scope="module")
def train():
    return [network_sample(c, device_ms(c)) for c in _nets(400, 1)]


@pytest.fixture(params=sorted(PREDICTORS))
def fitted(request, train):
    return new_predictor(request.param).fit(train)


def test_recovers_synthetic_device(fitted):
    test = _nets(50, 2)
    pred = fitted.predict_many(test)
    truth = np.array([device_ms(c) for c in test])
    assert np.max(np.abs(pred - truth) / truth) < 1e-3


def test_kernel_linear_recovers_the_coefficients(train):
    p = KernelLinear().fit(train)
    got = p.to_dict()["coefficients"]
    # Columns the FBNet space varies (constant ones, such as the stem and the network term, are not identifiable).
    for c in ("pw.macs", "pw.bytes", "pwg.macs", "dw3.macs", "dw5.bytes", "add.bytes", "dw5.count"):
        assert got[c] == pytest.approx(TRUE[c], rel=1e-3), c


def test_round_trip_plain_text(fitted):
    d = fitted.to_dict()
    text = yaml.safe_dump(d)
    assert "!!python" not in text
    again = predictor_from_dict(yaml.safe_load(text))
    assert json.loads(json.dumps(d)) == d
    assert type(again) is type(fitted)
    cfgs = _nets(10, 3)
    assert np.allclose(again.predict_many(cfgs), fitted.predict_many(cfgs), rtol=1e-5)


def test_predict_many_matches_predict(fitted):
    cfgs = _nets(5, 4)
    assert np.allclose(fitted.predict_many(cfgs), [fitted.predict(c) for c in cfgs])


def test_lone_block_samples_have_no_network_term(fitted, train):
    if not fitted.additive:  # e.g. a transfer with a whole-network power law
        pytest.skip("not additive over parts")
    whole = train[0]
    part_sum = sum(fitted.predict_sample(Sample((p,), 0.0, False)) for p in whole.parts)
    assert fitted.predict_sample(whole) == pytest.approx(
        part_sum + fitted.predict_sample(Sample((), 0.0, True))
    )


@pytest.mark.parametrize("kind", sorted(PREDICTORS))
def test_unfitted_and_malformed(kind):
    with pytest.raises(PredictorError, match="not fitted"):
        new_predictor(kind).predict(_nets(1, 5)[0])
    with pytest.raises(PredictorError):
        new_predictor(kind).fit([])
    with pytest.raises(PredictorError):
        predictor_from_dict({"kind": kind, "coefficients": "x", "table": "x"})
    with pytest.raises(PredictorError, match="unknown predictor"):
        predictor_from_dict({"kind": "nope"})
