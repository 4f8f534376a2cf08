"""Proxies against ground truth: NAS-Bench-Macro trained accuracies, rank correlations, top-k regret.

Identity layers inside a stage are interchangeable, so the 6561 keys hold 3969 distinct networks; each
is represented by its canonical key (identities at the end of the stage) and that key's `mean_acc`."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from archsearch.arch import ArchConfig
from archsearch.proxies import BENCHES  # noqa: F401  (re-exported: the benchmark list lives where importing it is cheap)
from archsearch.proxies.datasets import Dataset
from archsearch.proxies.scoring import adapt, expand, make_batch, score_batch
from archsearch.shared import shared_file
from archsearch.spaces import NasBenchMacroSpace, nasbench_macro_config

NBM_FILE = "nas-bench-macro/nas-bench-macro_cifar10.json"


def nasbench_macro_truth() -> dict[str, float]:
    """{canonical key: mean_acc} over the 3969 distinct networks."""
    with shared_file(NBM_FILE).open() as f:
        raw = json.load(f)
    return {k: float(v["mean_acc"]) for k, v in raw.items() if NasBenchMacroSpace.canonical_key(k) == k}


def sample_keys(keys: Sequence[str], n: int | None, seed: int = 0) -> list[str]:
    """All keys (sorted) or a seeded uniform sample of `n` of them."""
    keys = sorted(keys)
    return keys if n is None or n >= len(keys) else sorted(random.Random(seed).sample(keys, n))


def score_networks(keys: Sequence[str], proxy_names: list[str], data: Dataset, resolution: int = 32, batch: int = 64,
                   seed: int = 0, timings: dict[str, float] | None = None,
                   config_of: Callable[[str], ArchConfig] = nasbench_macro_config) -> Iterator[dict]:  # fmt: skip
    """One row per network as it is scored: key, each proxy's score, and seconds spent on the network.
    `timings`, when given, accumulates each proxy's seconds over the networks; `config_of` maps a key to
    its network (default: a NAS-Bench-Macro key)."""
    expand(proxy_names)
    images, labels = make_batch(data, resolution, batch, seed)
    for key in keys:
        cfg = adapt(config_of(key), data, resolution)
        t, per = time.perf_counter(), {}
        row = {"key": key, **score_batch(cfg, proxy_names, images, labels, seed, per)}
        row["seconds"] = time.perf_counter() - t
        if timings is not None:
            for n, sec in per.items():
                timings[n] = timings.get(n, 0.0) + sec
        yield row


@dataclass(frozen=True)
class Agreement:
    n: int
    failed: int
    kendall: float
    spearman: float
    top10_regret: float


def agreement(scores: Sequence[float | None], truth: Sequence[float], k: int = 10) -> Agreement:
    """Kendall tau-b and Spearman rho of finite scores vs truth, and top-k regret: best truth in the sample
    minus the best truth among the proxy's k top-scored networks (failed scores rank last)."""
    s = np.array([np.nan if v is None else v for v in scores], float)
    t = np.asarray(truth, float)
    ok = np.isfinite(s)
    if ok.sum() < 2:
        return Agreement(len(s), int((~ok).sum()), float("nan"), float("nan"), float("nan"))
    tau = stats.kendalltau(s[ok], t[ok]).statistic
    rho = stats.spearmanr(s[ok], t[ok]).statistic
    order = np.argsort(np.where(ok, -s, np.inf), kind="stable")[:k]
    return Agreement(len(s), int((~ok).sum()), float(tau), float(rho), float(t.max() - t[order].max()))
