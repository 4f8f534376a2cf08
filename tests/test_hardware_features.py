"""The predictor sees exactly the kernels of the cost model's lowering."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest

from archsearch.arch import ArchConfig
from archsearch.baselines import all_baselines
from archsearch.cost import cost, kernel_macs
from archsearch.hardware.features import COLUMNS, INDEX, UNITS, network_parts, part_features
from archsearch.kernels import decompose
from archsearch.spaces import list_spaces, load_space


def network_features(cfg: ArchConfig) -> np.ndarray:
    """Sum of the part features plus the one per-network term."""
    v = np.zeros(len(COLUMNS))
    for p in network_parts(cfg):
        v += part_features(p)
    v[INDEX["network"]] = 1.0
    return v


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
    assert [replace(k, block=-1) for k in kernels] == [replace(k, block=-1) for k in decompose(cfg)]
    assert sum(kernel_macs(k) for k in kernels) == cost(cfg).macs
    feats = network_features(cfg)
    macs = sum(feats[INDEX[c]] for c in COLUMNS if c.endswith(".macs")) * UNITS["macs"]
    assert macs == pytest.approx(cost(cfg).macs, rel=1e-9)
    assert feats[INDEX["network"]] == 1.0


@pytest.mark.parametrize("cfg", _configs(), ids=lambda c: c.name or c.id)
def test_block_closed_form_equals_the_kernel_walk(cfg):
    from archsearch.arch import feature_sizes
    from archsearch.hardware.features import add_kernel, block_features
    from archsearch.kernels import block_kernels

    for b, h in zip(cfg.blocks, feature_sizes(cfg), strict=False):
        walk = np.zeros(len(COLUMNS))
        for k in block_kernels(b, h):
            add_kernel(walk, k)
        assert np.array_equal(block_features(b, h), walk), b


def test_unsupported_depthwise_kernel_names_the_block():
    from archsearch.arch import ArchConfig, Block
    from archsearch.hardware import load_profile
    from archsearch.hardware.errors import UncoveredError

    cfg = ArchConfig((Block("ir", 32, 32, k=1, stride=1, mid=64),), 64)
    with pytest.raises(UncoveredError, match=r"block 0 \(ir\(32->32, k1"):
        load_profile("gpu").predict(cfg)
