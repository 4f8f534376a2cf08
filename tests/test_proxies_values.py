"""Proxies against hand-computed values and invariants on tiny networks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from archsearch.cost import cost
from archsearch.proxies import ProxyError, get_proxy, score_config
from archsearch.proxies.activation import effective_rank
from archsearch.proxies.base import Probe
from archsearch.proxies.ensemble import RankEnsemble, select_members, split_halves
from archsearch.proxies.evaluation import agreement
from archsearch.proxies.scoring import min_resolution
from archsearch.spaces import nasbench_macro_config
from tests.proxies_helpers import tiny_batch, tiny_config


def test_synflow_of_a_linear_chain_is_depth_times_the_path_sum() -> None:
    # For a chain of L linear layers R = 1^T |W_L|...|W_1| 1 is homogeneous of degree 1 in each layer,
    # so each layer's sum of w * dR/dw equals R: synflow = L * R.
    torch.manual_seed(0)
    chain = nn.Sequential(nn.Conv2d(2, 3, 1, bias=False), nn.Conv2d(3, 1, 1, bias=False))
    w1, w2 = (chain[i].weight.detach().abs().reshape(chain[i].weight.shape[:2]).double() for i in (0, 1))
    r = float(torch.ones(1, 1, dtype=torch.float64) @ w2 @ w1 @ torch.ones(2, 1, dtype=torch.float64))
    x, y = torch.randn(4, 2, 1, 1), torch.zeros(4, dtype=torch.long)
    assert get_proxy("synflow").score(chain, (x, y)) == pytest.approx(2 * r, rel=1e-12)


def test_effective_rank_of_known_matrices() -> None:
    assert effective_rank(torch.eye(5)) == pytest.approx(5)
    assert effective_rank(torch.diag(torch.tensor([2.0, 2.0, 0.0, 0.0]))) == pytest.approx(2)
    assert effective_rank(torch.outer(torch.arange(1.0, 7.0), torch.arange(1.0, 4.0))) == pytest.approx(1)
    p = np.array([0.75, 0.25])  # singular values 3 and 1
    assert effective_rank(torch.diag(torch.tensor([3.0, 1.0]))) == pytest.approx(
        math.exp(-(p * np.log(p)).sum())
    )


def test_rank_is_a_ratio_and_grows_with_width() -> None:
    x, y = tiny_batch(16, 10)
    narrow = get_proxy("rank").score(nasbench_macro_config("10010000"), (x, y))
    wide = get_proxy("rank").score(nasbench_macro_config("22222222"), (x, y))
    assert 0 < narrow <= 1 and 0 < wide <= 1


def test_jacob_cov_is_the_log_determinant_of_the_code_kernel() -> None:
    # Two inputs through one ReLU over 2 units: codes [1, 0] and [1, 1]; K_ij = units where codes agree.
    x = torch.tensor([[1.0, -1.0], [1.0, 1.0]]).reshape(2, 1, 1, 2)
    score = get_proxy("jacob_cov").score(nn.Sequential(nn.ReLU()), (x, torch.zeros(2, dtype=torch.long)))
    assert score == pytest.approx(math.log(2 * 2 - 1 * 1))


def test_snip_and_grad_norm_of_one_linear_layer_by_hand() -> None:
    conv = nn.Conv2d(2, 2, 1, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([[1.0, 2.0], [-1.0, 0.5]]).reshape(2, 2, 1, 1))
    x = torch.tensor([[1.0, 0.0], [0.0, 2.0]]).reshape(2, 2, 1, 1)
    y = torch.tensor([0, 1])
    w = conv.weight.detach().reshape(2, 2).numpy()
    xs = x.reshape(2, 2).numpy()
    logits = xs @ w.T
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    g = (p - np.eye(2)[y.numpy()]).T @ xs / 2  # d mean CE / dW
    net = nn.Sequential(conv, nn.Flatten())
    assert get_proxy("grad_norm").score(net, (x, y)) == pytest.approx(np.linalg.norm(g), rel=1e-5)
    assert get_proxy("snip").score(net, (x, y)) == pytest.approx(np.abs(w * g).sum(), rel=1e-5)


def test_cost_proxies_match_the_cost_model_from_config_and_module() -> None:
    cfg = tiny_config()
    batch = tiny_batch()
    torch.manual_seed(0)
    from archsearch.models import build_model

    model = build_model(cfg)
    c = cost(cfg)
    for name, value in (("params", c.params), ("macs", c.macs), ("depth", 2)):  # ir, ir, skip, proj
        assert get_proxy(name).score(cfg, batch) == value
        assert get_proxy(name).score(model, batch) == value


def test_fisher_is_non_negative_and_zen_finite_on_a_nasbench_network() -> None:
    x, y = tiny_batch(8, 10)
    probe = Probe(nasbench_macro_config("12012012"), x, y, 0)
    assert get_proxy("fisher").score(probe) >= 0
    assert math.isfinite(get_proxy("zen").score(probe))


def test_resolution_too_small_says_the_minimum() -> None:
    cfg = tiny_config()
    assert min_resolution(cfg) == 32
    deep = cfg.with_(stem=cfg.stem.__class__(8, 3, 2, "relu"), blocks=cfg.blocks)
    assert min_resolution(deep) == 32
    from archsearch.baselines import mobilenet_v1

    assert min_resolution(mobilenet_v1()) == 32
    with pytest.raises(ProxyError, match="minimum 64"):
        score_config(_six_downsamples(), ["depth"], None, resolution=48, batch=4)


def _six_downsamples():
    from archsearch.arch import ArchConfig, Block, Stem

    blocks = tuple(Block("proj", 8, 8, k=1, stride=2) for _ in range(5))
    return ArchConfig(blocks, 64, Stem(8, 3, 2, "relu"), num_classes=6)


def test_ensemble_is_the_mean_rank_and_failures_stay_failures() -> None:
    rows = [{"a": 1.0, "b": 30.0}, {"a": 3.0, "b": 10.0}, {"a": 2.0, "b": 20.0}, {"a": None, "b": 5.0}]
    # ranks of a (the failure ranks lowest): 2, 4, 3, 1; of b: 4, 2, 3, 1
    assert RankEnsemble(["a", "b"]).combine(rows) == [3.0, 3.0, 3.0, None]
    assert RankEnsemble(["b"]).combine(rows) == [4.0, 2.0, 3.0, 1.0]


def test_member_selection_finds_the_informative_proxy() -> None:
    rng = np.random.default_rng(0)
    truth = rng.normal(size=200)
    rows = [{"good": t + 0.1 * rng.normal(), "noise": rng.normal()} for t in truth]
    members, tau = select_members(rows, truth, ["noise", "good"])
    assert members == ("good",) and tau > 0.8
    sel, rep = split_halves(10)
    assert sorted(sel + rep) == list(range(10)) and len(sel) == 5


def test_agreement_by_hand() -> None:
    a = agreement([1.0, 2.0, 3.0, None], [10.0, 20.0, 30.0, 40.0], k=1)
    assert (a.n, a.failed, a.kendall, a.spearman, a.top10_regret) == (4, 1, 1.0, 1.0, 10.0)
