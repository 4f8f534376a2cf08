"""The vectorised features equal a plain per-block reading of each config and the analytic cost model."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from archsearch.accuracy.features import FEATURES, LEVELS, FeatureError, feature_matrix, featurize
from archsearch.arch import Block, feature_sizes
from archsearch.baselines import all_baselines
from archsearch.cost import block_cost, cost
from archsearch.spaces import list_spaces, load_space


def reference(cfg) -> dict[str, float]:
    """Features read block by block with archsearch.cost (the oracle for the vectorised version)."""
    c = cost(cfg)
    out = {
        "log_macs": math.log(c.macs),
        "log_params": math.log(c.params),
        "log_resolution": math.log(cfg.resolution),
    }
    stride, depth, acts = cfg.stem.stride, 0, {"relu": 0, "silu": 0, "hswish": 0}
    per = {lv: [] for lv in LEVELS}
    for b, h in zip(cfg.blocks, feature_sizes(cfg), strict=False):
        stride *= b.stride
        if b.kind == "skip":
            continue
        macs, params, _ = block_cost(b, h)
        per[stride].append(
            (b.mid / b.cin if b.kind in ("ir", "rex") else 1.0, b.k, float(b.se > 0), macs, params)
        )
        acts[{"relu6": "relu"}.get(b.act, b.act)] += 1
        depth += 1
    for lv, blocks in per.items():
        n = len(blocks)
        out[f"depth{lv}"] = n
        for j, part in enumerate(("expand", "kernel", "se")):
            out[f"{part}{lv}"] = sum(x[j] for x in blocks) / n if n else 0.0
            out[f"first_{part}{lv}"] = blocks[0][j] if n else 0.0
        out[f"macs{lv}"] = sum(x[3] for x in blocks) / c.macs
        out[f"params{lv}"] = sum(x[4] for x in blocks) / c.params
    out["depth"] = depth
    out.update({f"act_{a}": v / depth for a, v in acts.items()})
    return out


def configs():
    rng = random.Random(0)
    cfgs = [b.config for b in all_baselines()]
    for name in list_spaces():
        space = load_space(name)
        cfgs += [space.random(rng) for _ in range(40)]
    return cfgs


def test_vectorised_features_equal_the_block_by_block_reading():
    cfgs = configs()
    x = feature_matrix(cfgs)
    assert x.shape == (len(cfgs), len(FEATURES))
    for cfg, row in zip(cfgs, x, strict=True):
        want = reference(cfg)
        np.testing.assert_allclose(
            row, [want[f] for f in FEATURES], rtol=1e-12, atol=1e-12, err_msg=cfg.name or cfg.id
        )
    assert featurize(cfgs[0]) == x[0].tolist()


def test_configs_outside_the_features_are_refused():
    cfg = all_baselines()[0].config
    with pytest.raises(FeatureError, match="activation"):
        feature_matrix([cfg.with_(blocks=tuple(Block(**{**b.__dict__, "act": "none"}) for b in cfg.blocks))])
    deep = cfg.with_(
        resolution=224, blocks=cfg.blocks + (Block("ir", cfg.last_channels, 8, k=3, stride=2, act="relu"),)
    )
    with pytest.raises(FeatureError, match="output stride 64"):
        feature_matrix([deep])
