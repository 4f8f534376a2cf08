"""The predictor sees exactly the kernels of the cost model's lowering."""

from __future__ import annotations

import random

import pytest

from archsearch.baselines import all_baselines
from archsearch.cost import cost, kernel_macs
from archsearch.hardware.features import COLUMNS, INDEX, UNITS, network_features, network_parts
from archsearch.kernels import decompose
from archsearch.spaces import list_spaces, load_space


def _configs():
    cfgs = [b.config for b in all_baselines()]
    rng = random.Random(0)
    for name in list_spaces():
        space = load_space(name)
        cfgs += [space.random(rng) for _ in range(5)]
    return cfgs


@pytest.mark.parametrize("cfg", _configs(), ids=lambda c: c.name or c.id)
def test_parts_are_the_decomposition_and_sum_to_cost_macs(cfg):
    kernels = [k for p in network_parts(cfg) for k in p.kernels]
    assert [k._replace(block=-1) for k in kernels] == [k._replace(block=-1) for k in decompose(cfg)]
    assert sum(kernel_macs(k) for k in kernels) == cost(cfg).macs
    feats = network_features(cfg)
    macs = sum(feats[INDEX[c]] for c in COLUMNS if c.endswith(".macs")) * UNITS["macs"]
    assert macs == pytest.approx(cost(cfg).macs, rel=1e-9)
    assert feats[INDEX["network"]] == 1.0
