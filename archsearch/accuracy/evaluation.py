"""Any accuracy estimator against a benchmark's trained accuracies, scored as a run scores it: a learned
estimator predicts all networks at once, a proxy scores each network alone, the ensemble ranks its
members' values over the scored networks. The figures are those of `proxies.evaluation.agreement`,
plus MAE where the estimator predicts on the benchmark's own scale."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from archsearch.accuracy.base import AccuracyEstimator, EstimatorError, ProxySettings
from archsearch.arch import ArchConfig
from archsearch.proxies.evaluation import Agreement, agreement


@dataclass(frozen=True)
class Evaluation:
    """`mae` only where the values are on the benchmark's scale (a learned estimator fitted or calibrated
    on it); `kendall_full_scale` only where that scale is a calibration, not the estimator's own."""

    n: int
    failed: int
    kendall: float
    spearman: float
    top10_regret: float
    mae: float | None
    kendall_full_scale: float | None
    seconds_per_net: float

    @classmethod
    def of(cls, a: Agreement, seconds_per_net: float) -> Evaluation:
        """The figures of scores measured elsewhere (e.g. proxies sharing passes on NAS-Bench-Macro)."""
        return cls(a.n, a.failed, a.kendall, a.spearman, a.top10_regret, None, None, seconds_per_net)


def evaluate(
    est: AccuracyEstimator, configs: Sequence[ArchConfig], truth: Sequence[float], source: str
) -> Evaluation:
    """`est` on `configs` against `truth`, the accuracies of benchmark `source` (e.g. 'anb', 'nbm')."""
    t0 = time.perf_counter()
    b = est.on_benchmark(configs, source)
    seconds = (time.perf_counter() - t0) / max(len(configs), 1)
    mae = float(np.nanmean(np.abs(b.values - np.asarray(truth, float)))) if b.on_scale else None
    full_kendall = None if b.own is None else float(stats.kendalltau(b.own, truth).statistic)
    a = agreement([float(v) for v in b.values], truth)
    return Evaluation(a.n, a.failed, a.kendall, a.spearman, a.top10_regret, mae, full_kendall, seconds)


@dataclass(frozen=True)
class BenchReport:
    """One row per estimator (its label and figures) on `n` networks of a benchmark; `seconds_per_net`
    is the time of all shared proxy passes together (NAS-Bench-Macro), `learned` whether any estimator
    reports an MAE-style scale."""

    rows: list[tuple[str, Evaluation]]
    n: int
    data: str
    seconds_per_net: float
    learned: bool


def evaluate_nasbench_macro(names: Sequence[str], settings: ProxySettings, sample: int | None) -> BenchReport:
    """Proxies scored together on each network (one shared pass per network, as `proxies.score_networks`
    does); every other estimator as a run scores it."""
    from archsearch.accuracy.base import get_estimator
    from archsearch.proxies import get_proxy, list_proxies, load_dataset
    from archsearch.proxies.ensemble import RankEnsemble
    from archsearch.proxies.evaluation import nasbench_macro_truth, sample_keys, score_networks
    from archsearch.proxies.scoring import expand
    from archsearch.spaces import nasbench_macro_config

    proxies = [n for n in names if n in list_proxies()]
    computed = expand(proxies)
    others = {n: get_estimator(n, settings) for n in names if n not in proxies}  # a typo fails before work
    data = load_dataset(settings.data)
    truth = nasbench_macro_truth()
    keys = sample_keys(list(truth), sample, settings.seed)
    acc = [truth[k] for k in keys]
    seconds = dict.fromkeys(computed, 0.0)
    t0 = time.perf_counter()
    scored = (
        list(score_networks(keys, computed, data, settings.resolution or 32, settings.batch, settings.seed,
                            timings=seconds))
        if computed else []
    )  # fmt: skip
    total = (time.perf_counter() - t0) / len(keys)
    configs = [nasbench_macro_config(k) for k in keys] if others else []
    rows = []
    for n in names:
        if n in others:
            label = others[n].label if others[n].population else n
            rows.append((label, evaluate(others[n], configs, acc, "nbm")))
            continue
        p = get_proxy(n)
        if isinstance(p, RankEnsemble):  # the population member: ranks over the scored networks
            scores, sec = p.combine(scored), sum(seconds[m] for m in p.members)
            label = f"ensemble({'+'.join(p.members)})"
        else:
            scores, sec, label = [r[n] for r in scored], seconds[n], n
        rows.append((label, Evaluation.of(agreement(scores, acc), sec / len(keys))))
    learned = any(e.kind == "learned" for e in others.values())
    return BenchReport(rows, len(keys), data.name, total, learned)


def evaluate_accel_nasbench(
    names: Sequence[str], settings: ProxySettings, sample: int | None, csv: str | None = None
) -> BenchReport:
    """Every estimator as a run scores it, on Accel-NASBench rows: the shared file's holdout, or every row
    of `csv` (any file in the shared file's format)."""
    from archsearch.accuracy.anb import load_anb
    from archsearch.accuracy.base import get_estimator
    from archsearch.proxies.evaluation import sample_keys

    ests = {n: get_estimator(n, settings) for n in names}
    rows = load_anb(csv, split=None) if csv else load_anb(split="holdout")
    if len(rows) < 2:
        raise EstimatorError(f"{csv}: {len(rows)} network(s); need at least 2 to rank")
    by_id = {r.arch_id: r for r in rows}
    picked = [by_id[i] for i in sample_keys(list(by_id), sample, settings.seed)]
    configs, acc = [r.config() for r in picked], [r.val_top1 for r in picked]
    out = [(e.label if e.population else n, evaluate(e, configs, acc, "anb")) for n, e in ests.items()]
    learned = any(e.kind == "learned" for e in ests.values())
    return BenchReport(out, len(picked), settings.data or "synthetic", 0.0, learned)
