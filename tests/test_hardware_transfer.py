"""Few-shot device transfer (hardware/transfer.py) on synthetic devices with known answers, and the shipped
`pixel` profile built with it from cached local LiteRT times."""

from __future__ import annotations

import random

import numpy as np
import pytest
from synthetic_device import TRUE_VEC

from archsearch.hardware.errors import PredictorError
from archsearch.hardware.features import COLUMNS, network_parts, part_features
from archsearch.hardware.predictors import (
    KernelLinear,
    Sample,
    network_sample,
    predictor_from_dict,
    sample_features,
)
from archsearch.hardware.transfer import (
    _GROUP_OF,
    FACTOR_GROUPS,
    BlockPoint,
    NetworkPoint,
    Transfer,
    fit_factors,
    fit_transfer,
)
from archsearch.spaces import load_space

# The target device: the local one with these per-group factors, whole networks through a power law.
FACTORS = {g: 1.0 for g in FACTOR_GROUPS} | {"pw": 3.0, "dw3": 6.0, "dw5": 5.0, "dw7": 5.0, "add": 2.0}
F_VEC = np.array([FACTORS[g] for g in FACTOR_GROUPS])[_GROUP_OF]
SCALE, EXPONENT = 0.7, 1.15


def _local(features: np.ndarray) -> float:
    return float(features @ TRUE_VEC)


def _device(features: np.ndarray) -> float:
    return float(features @ (TRUE_VEC * F_VEC))


def network_features(cfg) -> np.ndarray:
    return sample_features(network_sample(cfg, 1.0))


def _device_net(cfg) -> float:
    return SCALE * _device(network_features(cfg)) ** EXPONENT


@pytest.fixture(scope="module")
def nets():
    space, rng = load_space("mbv2"), random.Random(3)
    return [space.random(rng) for _ in range(120)]


@pytest.fixture(scope="module")
def true_base():
    """The local device's own costs: what a perfect local kernel model would be."""
    return KernelLinear(dict(zip(COLUMNS, TRUE_VEC, strict=True)))


@pytest.fixture(scope="module")
def base(nets):
    """The local kernel model, fitted on local whole-network times."""
    return KernelLinear().fit([network_sample(c, _local(network_features(c))) for c in nets[:80]])


@pytest.fixture(scope="module")
def table(nets):
    """The device's per-block table: every distinct block of a few networks, timed alone."""
    seen, out = set(), []
    for c in nets[80:90]:
        for p in network_parts(c):
            if p.key not in seen:
                seen.add(p.key)
                f = part_features(p)
                out.append(BlockPoint(Sample((p,), _device(f), False), _local(f)))
    return out


def _errors(p, cfgs) -> np.ndarray:
    return np.abs(p.predict_many(cfgs) / np.array([_device_net(c) for c in cfgs]) - 1)


def test_factors_and_power_law_recover_the_device(true_base, table, nets):
    factors, n = fit_factors(true_base, table)
    assert n == len(table)
    for g in ("pw", "dw3", "dw5"):  # the groups that carry most of a block's time
        assert factors[g] == pytest.approx(FACTORS[g], rel=0.05), g
    t = fit_transfer(true_base, table, [NetworkPoint(c, _device_net(c)) for c in nets[90:96]])
    assert t.exponent == pytest.approx(EXPONENT, rel=0.02)
    assert _errors(t, nets[96:]).max() < 0.01


def test_table_and_few_networks_predict_unseen_networks(base, table, nets):
    """With a fitted local model: six whole networks and the table put unseen networks within 3%."""
    points = [NetworkPoint(c, _device_net(c)) for c in nets[90:96]]
    t = fit_transfer(base, table, points)
    test = nets[96:]
    err = _errors(t, test)
    assert err.max() < 0.03
    # a power law on the uncorrected base misses the per-group factors
    plain = fit_transfer(base, [], points)
    assert _errors(plain, test).mean() > 2 * err.mean()


def test_few_points_keep_exponent_one(base, nets):
    one = fit_transfer(base, [], [NetworkPoint(nets[0], 10.0)])
    assert one.exponent == 1.0 and one.predict(nets[0]) == pytest.approx(10.0)
    # measured local times replace the base's prediction
    local = base.predict(nets[0])
    timed = fit_transfer(base, [], [NetworkPoint(nets[0], 10.0, 2 * local)])
    assert timed.predict(nets[0]) == pytest.approx(5.0)


def test_round_trip_and_malformed(base, table, nets):
    t = fit_transfer(base, table, [NetworkPoint(c, _device_net(c)) for c in nets[90:96]])
    again = predictor_from_dict(t.to_dict())
    assert isinstance(again, Transfer) and not again.additive
    assert np.allclose(again.predict_many(nets[:5]), t.predict_many(nets[:5]), rtol=1e-4)
    assert again.predict(nets[0]) == pytest.approx(t.predict_many(nets[:1])[0])
    bad = t.to_dict()
    for change, msg in [({"factors": {"bogus": 1.0}}, "factors"), ({"exponent": 0}, "exponent"),
                        ({"base": {"kind": "block-table"}}, "base")]:  # fmt: skip
        with pytest.raises(PredictorError, match=msg):
            predictor_from_dict(bad | change)
    with pytest.raises(PredictorError, match="needs"):
        fit_transfer(base)
    assert set(t.to_dict()["base"]["coefficients"]) == set(COLUMNS)


def test_shipped_pixel_reproduces_its_figures_from_cached_times(shared_data):
    """The pixel profile rebuilt from the cached local LiteRT times (nothing converted): the same local model,
    and the leave-one-out figure it states on the MnasNet-A1 grid."""
    import csv
    from pathlib import Path

    from archsearch.baselines import get_baseline
    from archsearch.hardware import load_profile
    from archsearch.hardware.datasets import read_lut
    from archsearch.hardware.metrics import accuracy
    from archsearch.hardware.predictors import network_sample
    from archsearch.hardware.transfer import leave_group_out, local_base, read_local_times
    from archsearch.published import mnasnet_a1

    p = load_profile("pixel")
    times = read_local_times(Path(__file__).parents[1] / "hardware_profiles/pixel.litert-times.csv")
    lut = read_lut(shared_data / "latency/pixel1_proxylessnas_block_lut.yaml")
    blocks = [BlockPoint(e.sample, times.blocks.get(e.key)) for e in lut]
    unseen = ("mobilenet_v2-1.0-224", "proxylessnas_mobile")
    base = local_base(
        blocks, [network_sample(c, ms) for n, (c, ms) in times.networks.items() if n not in unseen]
    )
    assert np.allclose(base.coef_vector(), p.predictor.base.coef_vector(), rtol=1e-4, atol=1e-9)
    with (shared_data / "latency/pixel1_mnasnet_a1_grid.csv").open() as f:
        rows = list(csv.DictReader(f))
    points = [
        NetworkPoint(mnasnet_a1(float(r["depth_multiplier"]), int(r["resolution"])), float(r["pixel1_ms"]))
        for r in rows
    ]
    always = [NetworkPoint(get_baseline("mobilenet_v2-1.0-224").config, 73.8)]
    pred = leave_group_out(base, blocks, points, range(len(points)), always)
    loo = accuracy(pred, [pt.device_ms for pt in points])
    assert (
        loo["mape"] == pytest.approx(p.validation["leave_one_out"]["mape"], abs=0.02) and loo["mape"] <= 8.0
    )
