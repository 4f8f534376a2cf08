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

from archsearch.accuracy.base import AccuracyEstimator, EstimatorError
from archsearch.accuracy.features import FeatureError, feature_matrix
from archsearch.accuracy.learned import LearnedEstimator
from archsearch.accuracy.members import RankEnsembleEstimator, proxy_values
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
    mae = full_kendall = None
    if isinstance(est, RankEnsembleEstimator):
        from archsearch.proxies.ensemble import RankEnsemble

        rows = [proxy_values(c, est.members, est.settings) for c in configs]
        values = np.array(
            [np.nan if v is None else v for v in RankEnsemble(est.members).combine(rows)], float
        )
    elif isinstance(est, LearnedEstimator):
        try:
            x = feature_matrix(configs)
        except FeatureError as e:
            raise EstimatorError(str(e)) from None
        own = est.predict_matrix(x).value
        calibrated = source != est.reference_source and source in est.calibration
        values = est.predict_source(x, source) if calibrated else own
        if calibrated:
            full_kendall = float(stats.kendalltau(own, truth).statistic)
        if calibrated or source == est.reference_source:
            mae = float(np.nanmean(np.abs(values - np.asarray(truth, float))))
    else:
        values = est.predict(configs).value
    seconds = (time.perf_counter() - t0) / max(len(configs), 1)
    a = agreement([float(v) for v in values], truth)
    return Evaluation(a.n, a.failed, a.kendall, a.spearman, a.top10_regret, mae, full_kendall, seconds)
