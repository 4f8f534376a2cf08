"""Published networks (REFERENCE.md §6): each builds, and its analytic MACs and params agree with the
published figures within stated tolerances."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archsearch.arch import ConfigError
from archsearch.cost import cost
from archsearch.published import (
    NOT_EXPRESSIBLE,
    Published,
    mnasnet_a1,
    proxylessnas_mobile,
    published_networks,
)

# Published params are given to 0.1 M; MobileNetV3-Large 1.0 comes out 5.48 M here, as in torchvision
# (5,483,032 with its 1280 bias) and timm (5.48), against the 5.4 of the TF-slim README: 0.1 M absolute.
PARAMS_TOL_M = 0.1
# Conv + linear MACs against the published column, got / published - 1: MnasNet-A1 -1.4 to -0.9% (the
# shared grid's note: 1-2.5% below), EfficientNet-B0 -1.1% (0.39 B is rounded), MobileNetV3-Large -0.3
# and -0.2% (minimalistic +0.1%), ProxylessNAS-mobile +0.1%.
MACS_TOL = 0.025


@pytest.fixture(scope="module")
def networks(shared_data: Path) -> list[Published]:
    return published_networks()


def test_each_builds_and_costs_as_published(networks: list[Published]) -> None:
    assert len(networks) >= 8 and len({p.name for p in networks}) == len(networks)
    for p in networks:
        c = cost(p.config)
        assert c.macs / 1e6 == pytest.approx(p.macs_m_published, rel=MACS_TOL), p.name
        if p.params_m_published is not None:
            assert abs(c.params / 1e6 - p.params_m_published) <= PARAMS_TOL_M, p.name
        assert 70 < p.top1 < 80 and p.source.startswith("[") and p.config.resolution == 224


def test_exact_counts(networks: list[Published]) -> None:
    """Pinned: MnasNet-A1 1.0 has the grid's 3.89 M; the others as counted by torchvision/timm where known
    (MobileNetV3-Large 1.0 without the post-pool bias; 0.75 = timm's 3.99 M; EfficientNet-B0 5.29 M)."""
    params = {p.name: cost(p.config).params for p in networks}
    assert round(params["MnasNet-A1 1.0"] / 1e6, 2) == 3.89
    assert params["MobileNetV3-Large 1.0"] == 5_483_032 - 1280
    assert round(params["MobileNetV3-Large 0.75"] / 1e6, 2) == 3.99
    assert params["EfficientNet-B0"] == 5_288_548
    assert round(params["ProxylessNAS-mobile"] / 1e6, 2) == 4.08


def test_torch_build_matches_analytic_params(networks: list[Published]) -> None:
    from archsearch.models import build_model

    for p in networks:
        assert sum(t.numel() for t in build_model(p.config).parameters()) == cost(p.config).params, p.name


def test_mnasnet_matches_the_grid_params(shared_data: Path) -> None:
    """The grid CSV's published_params_m (0.1 M precision) at every depth multiplier it lists."""
    import csv

    with open(shared_data / "latency/pixel1_mnasnet_a1_grid.csv") as f:
        grid = {float(r["depth_multiplier"]): float(r["published_params_m"]) for r in csv.DictReader(f)}
    for m, params_m in grid.items():
        assert round(cost(mnasnet_a1(m)).params / 1e6, 1) == params_m, m


def test_proxylessnas_structure(shared_data: Path) -> None:
    cfg = proxylessnas_mobile()
    kinds = [b.kind for b in cfg.blocks]
    assert len(kinds) == 22 and kinds.count("skip") == 2 and cfg.stem.act == "relu6"
    assert cfg.head.channels == 1280 and {b.k for b in cfg.blocks if b.kind == "ir"} == {3, 5, 7}


def test_proxylessnas_bad_json(tmp_path: Path, shared_data: Path) -> None:
    spec = json.loads((shared_data / "latency/proxylessnas_mobile_arch.json").read_text())
    spec["blocks"][3]["shortcut"] = None  # a ZeroLayer alone would zero the network
    f = tmp_path / "arch.json"
    f.write_text(json.dumps(spec))
    with pytest.raises(ConfigError, match=r"blocks\[3\]: a ZeroLayer without an identity shortcut"):
        proxylessnas_mobile(f)
    f.write_text("{")
    with pytest.raises(ConfigError, match="not valid JSON"):
        proxylessnas_mobile(f)


def test_not_expressible_has_reasons() -> None:
    assert {"GhostNet 1.0", "FBNet-A/B/C"} <= set(NOT_EXPRESSIBLE)
    assert all(reason and "\n" not in reason for reason in NOT_EXPRESSIBLE.values())
