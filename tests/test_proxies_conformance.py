"""The one contract every zero-cost proxy meets (as Optuna holds every sampler to one suite)."""

from __future__ import annotations

import math

import pytest
import torch

from archsearch.models import build_model
from archsearch.proxies import ScoreFailed, ZeroCostProxy, get_proxy, list_proxies, score_config
from archsearch.proxies.base import REGISTRY, Probe
from tests.proxies_helpers import tiny_batch, tiny_config

PER_NETWORK = [n for n in list_proxies() if n != "ensemble"]


@pytest.mark.parametrize("name", PER_NETWORK)
def test_proxy_contract(name: str) -> None:
    proxy = get_proxy(name)
    assert isinstance(proxy, ZeroCostProxy) and proxy.name == name and proxy.description
    cfg, batch = tiny_config(), tiny_batch()
    a = proxy.score(cfg, batch, seed=0)
    assert isinstance(a, float) and math.isfinite(a)
    assert proxy.score(cfg, batch, seed=0) == a  # deterministic under a seed
    # A module built under the same seed scores the same as its config, and is left untouched.
    torch.manual_seed(0)
    model = build_model(cfg)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    assert proxy.score(model, batch, seed=0) == pytest.approx(a, rel=1e-4)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


@pytest.mark.parametrize("name", PER_NETWORK)
def test_shared_probe_gives_the_same_score_as_a_fresh_one(name: str) -> None:
    cfg, (x, y) = tiny_config(), tiny_batch()
    shared = Probe(cfg, x, y, 3)
    for other in PER_NETWORK:  # every pass cached before this proxy runs
        get_proxy(other).score(shared)
    assert get_proxy(name).score(shared) == get_proxy(name).score(Probe(cfg, x, y, 3))


def test_nan_is_a_failed_score_never_a_number(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken(ZeroCostProxy):
        name, description = "broken", "always NaN"

        def compute(self, probe: Probe) -> float:
            return float("nan")

    monkeypatch.setitem(REGISTRY._members, "broken", Broken)
    with pytest.raises(ScoreFailed):
        Broken().score(tiny_config(), tiny_batch())
    scores = score_config(tiny_config(), ["broken", "depth"], "synthetic", batch=8)
    assert scores == {"broken": None, "depth": 2.0}


def test_score_config_adapts_to_the_dataset_and_expands_the_ensemble() -> None:
    scores = score_config(tiny_config(num_classes=1000), ["ensemble", "synflow"], None, batch=8)
    assert set(scores) == {*get_proxy("ensemble").members, "synflow"}
    assert all(v is not None and math.isfinite(v) for v in scores.values())
