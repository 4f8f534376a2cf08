"""ArchConfig / Block: frozen value, exact JSON round trip, stable id, validation."""

import dataclasses
import random

import pytest

from archsearch.arch import ArchConfig, Block, ConfigError, make_divisible
from archsearch.baselines import get_baseline
from archsearch.spaces import list_spaces, load_space


def test_frozen_and_hashable():
    cfg = get_baseline("mobilenet_v2-1.0-224").config
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.resolution = 10
    assert hash(cfg) == hash(get_baseline("mobilenet_v2-1.0-224").config)


@pytest.mark.parametrize("space", list_spaces())
def test_json_round_trip_is_exact(space):
    s = load_space(space)
    rng = random.Random(3)
    for _ in range(20):
        cfg = s.random(rng)
        back = ArchConfig.from_json(cfg.to_json())
        assert back == cfg and back.to_json() == cfg.to_json() and back.id == cfg.id


def test_id_is_stable_and_ignores_name():
    cfg = get_baseline("rexnet-1.0-224").config
    assert cfg.id == cfg.with_(name="other").id
    assert cfg.id != cfg.with_(resolution=192).id
    assert len(cfg.id) == 12
    # pinned: a change to the canonical JSON would silently orphan every stored run
    assert get_baseline("mobilenet_v2-1.0-224").config.id == "b66d9f609bcd"


def test_make_divisible_rule():
    assert make_divisible(32 * 0.35) == 16 and make_divisible(1280 * 1.4) == 1792
    assert make_divisible(24 * 0.35) == 8 and make_divisible(96 * 0.75) == 72


@pytest.mark.parametrize(
    "kwargs, msg",
    [
        ({"kind": "ir", "cin": 16, "cout": 16, "stride": 3}, "stride 3"),
        ({"kind": "ir", "cin": 0, "cout": 16}, "positive"),
        ({"kind": "ir", "cin": 16, "cout": 16, "k": 4}, "kernel 4"),
        ({"kind": "zz", "cin": 16, "cout": 16}, "unknown block kind"),
        ({"kind": "ir", "cin": 16, "cout": 16, "act": "gelu"}, "activation"),
        ({"kind": "skip", "cin": 16, "cout": 24}, "identity"),
        ({"kind": "ir", "cin": 16, "cout": 24, "groups": 5}, "groups"),
    ],
)
def test_invalid_blocks(kwargs, msg):
    with pytest.raises(ConfigError, match=msg):
        Block(**kwargs)


def test_config_validation():
    b = Block("ir", 32, 16)
    with pytest.raises(ConfigError, match="resolution"):
        ArchConfig(blocks=(b,), resolution=16)
    with pytest.raises(ConfigError, match="does not match"):
        ArchConfig(blocks=(Block("ir", 24, 16),))
    with pytest.raises(ConfigError, match="unknown config key"):
        ArchConfig.from_dict({"blocks": [], "bogus": 1})
    with pytest.raises(ConfigError, match="not valid JSON"):
        ArchConfig.from_json("{")


def test_residual_rules():
    assert Block("ir", 16, 16).residual == "full"
    assert Block("ir", 16, 16, stride=2).residual == ""
    assert Block("rex", 16, 27, mid=96).residual == "partial"
    assert Block("rex", 27, 16, mid=96).residual == ""
    assert Block("ds", 16, 16, skip=False).residual == ""
    assert Block("proj", 16, 32, k=1, stride=2).residual == ""


def test_with_width_narrows_every_channel_and_keeps_the_shape():
    cfg = get_baseline("rexnet-1.0-224").config  # SE blocks too
    narrow = cfg.with_width(0.25)
    assert cfg.with_width(1) is cfg
    assert [(b.kind, b.k, b.stride, b.skip) for b in narrow.blocks] == [
        (b.kind, b.k, b.stride, b.skip) for b in cfg.blocks
    ]
    assert narrow.stem.channels == 8 and narrow.head.channels == 320
    for wide, thin in zip(cfg.blocks, narrow.blocks, strict=True):
        for name in ("cin", "cout", "mid", "se"):
            assert getattr(thin, name) == (
                make_divisible(getattr(wide, name) / 4) if getattr(wide, name) else 0
            )
    assert narrow.depth == cfg.depth and narrow.resolution == cfg.resolution
    with pytest.raises(ConfigError, match="must be positive"):
        cfg.with_width(0)
