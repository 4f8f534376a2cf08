"""Fit the shipped estimators and measure them on data they never saw; the figures go into their files.

`imagenet`: fitted on the full-training grids (REFERENCE.md §1-3) and the Accel-NASBench calibration
rows. Reported, never fitted on: the 822 Accel-NASBench holdout rows; each full-training family
predicted by a fit without it (leave-one-family-out); the published networks of REFERENCE.md §6 that
archsearch expresses. `cifar10`: NAS-Bench-Macro, fitted on a seeded half of the distinct networks and
reported on the other half."""

from __future__ import annotations

import datetime
import platform
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

from archsearch.accuracy.features import feature_matrix
from archsearch.accuracy.learned import LearnedEstimator
from archsearch.accuracy.training_data import (
    FULL_FAMILIES,
    Rows,
    anb_rows,
    full_training_rows,
    imagenet_rows,
    nbm_rows,
)

# Published pairs of about equal MACs (REFERENCE.md §6 vs §1), for the ordering check.
EQUAL_MACS_PAIRS = (
    ("MnasNet-A1 1.0", "mobilenet_v2-1.0-224"),
    ("EfficientNet-B0", "mobilenet_v2-1.3-224"),
    ("MobileNetV3-Large 1.0", "mobilenet_v2-0.75-224"),
)


def agreement(pred: Sequence[float], truth: Sequence[float]) -> dict[str, float]:
    """The figures an estimator file states: `proxies.evaluation.agreement` plus MAE, rounded."""
    from archsearch.proxies.evaluation import agreement as rank_agreement

    a = rank_agreement(list(pred), truth)
    mae = float(np.abs(np.asarray(pred, float) - np.asarray(truth, float)).mean())
    return {"n": a.n, "kendall": round(a.kendall, 4), "spearman": round(a.spearman, 4), "mae": round(mae, 3),
            "top10_regret": round(a.top10_regret, 3)}  # fmt: skip


def _fit(rows: Rows, name: str = "imagenet", reference: str = "full") -> LearnedEstimator:
    est = LearnedEstimator(name, reference_source=reference)
    est.fit_matrix(feature_matrix(rows.configs), np.asarray(rows.targets, float), np.asarray(rows.sources))
    return est


def leave_one_family_out(rows: Rows) -> dict[str, dict[str, float]]:
    """Each full-training family predicted by an estimator fitted without it."""
    out = {}
    for family in FULL_FAMILIES:
        held = [g == family for g in rows.groups]
        est = _fit(rows.where([not h for h in held]))
        test = rows.where(held)
        out[family] = agreement(est.predict(test.configs).value, test.targets)
    return out


def published_report(est: LearnedEstimator) -> dict[str, Any]:
    """Predictions for the REFERENCE.md §6 networks (report only), their Kendall against published
    top-1 and whether the equal-MACs pairs come out in the published order."""
    from archsearch.baselines import get_baseline
    from archsearch.published import published_networks

    nets = {p.name: (p.config, p.top1) for p in published_networks()}
    for pair in EQUAL_MACS_PAIRS:
        if pair[1] not in nets:
            b = get_baseline(pair[1])
            nets[pair[1]] = (b.config, b.top1)
    names = sorted(nets)
    pred = est.predict([nets[n][0] for n in names])
    by_name = {n: float(v) for n, v in zip(names, pred.value, strict=True)}
    six = [n for n in names if not n.startswith("mobilenet_v2")]
    return {
        "networks": {
            n: {"predicted": round(by_name[n], 2), "published": nets[n][1], "extrapolates": bool(x)}
            for n, x in zip(names, pred.extrapolates, strict=True)
        },
        "kendall": round(float(stats.kendalltau([by_name[n] for n in six], [nets[n][1] for n in six]).statistic), 4),
        "pairs_ordered": {f"{a} > {b}": by_name[a] > by_name[b] for a, b in EQUAL_MACS_PAIRS if a in by_name},
    }  # fmt: skip


def fit_imagenet() -> LearnedEstimator:
    rows = imagenet_rows()
    est = _fit(rows)
    holdout = anb_rows("holdout")
    x = feature_matrix(holdout.configs)
    lofo = leave_one_family_out(rows)
    est.noise = round(float(np.sqrt(np.mean([v["mae"] ** 2 for v in lofo.values()]))), 3)
    full = full_training_rows()
    from archsearch.baselines import get_baseline

    rex, v2 = est.predict(
        [get_baseline("rexnet-1.0-224").config, get_baseline("mobilenet_v2-1.0-224").config]
    ).value
    est.meta = {
        "provenance": _provenance(rows, "full-training grids of REFERENCE.md §1-3 (archsearch.baselines) + "
                                  "../shared/data/accel-nasbench/accel_nasbench_imagenet.csv split=calibration"),
        "validation": {
            "anb_holdout": agreement(est.predict_source(x, "anb"), holdout.targets),
            "anb_holdout_full_scale_kendall": round(float(stats.kendalltau(est.predict_matrix(x).value, holdout.targets).statistic), 4),
            "leave_one_family_out": lofo,
            "full_training_fit": agreement(est.predict(full.configs).value, full.targets),
            "published": published_report(est),
            "rexnet_1.0_vs_mobilenet_v2_1.0": {"rexnet-1.0-224": round(float(rex), 2), "mobilenet_v2-1.0-224": round(float(v2), 2)},
        },
    }  # fmt: skip
    est.description = (
        "ImageNet top-1 (%) after full training: a size term fitted on the MobileNetV1/V2 and ReXNet grids "
        "plus a LightGBM design term fitted on Accel-NASBench at equal size"
    )
    est.target = "ImageNet top-1 (%)"
    return est


def fit_cifar10() -> LearnedEstimator:
    fit, report = nbm_rows("fit"), nbm_rows("report")
    est = _fit(fit, "cifar10", reference="nbm")
    x = feature_matrix(report.configs)
    figures = agreement(est.predict_matrix(x).value, report.targets)
    est.noise = round(
        float(np.sqrt(np.mean((est.predict_matrix(x).value - np.asarray(report.targets)) ** 2))), 3
    )
    est.meta = {
        "provenance": _provenance(fit, "../shared/data/nas-bench-macro/nas-bench-macro_cifar10.json, mean_acc, "
                                  "seeded half (seed 0) of the 3969 distinct networks"),
        "validation": {"nbm_other_half": figures},
    }  # fmt: skip
    est.description = (
        "CIFAR-10 top-1 (%) as NAS-Bench-Macro trains (50 epochs): LightGBM on the general features"
    )
    est.target = "CIFAR-10 top-1 (%)"
    return est


FITTERS = {"imagenet": fit_imagenet, "cifar10": fit_cifar10}


def _provenance(rows: Rows, data: str) -> dict[str, Any]:
    import lightgbm

    from archsearch import __version__

    counts: dict[str, int] = {}
    for s in rows.sources:
        counts[s] = counts.get(s, 0) + 1
    return {
        "data": data,
        "rows": counts,
        "date": datetime.date.today().isoformat(),
        "versions": {"archsearch": __version__, "lightgbm": lightgbm.__version__, "numpy": np.__version__,
                     "python": platform.python_version()},
        "fitted_by": "archsearch estimators fit NAME (archsearch/accuracy/fitting.py)",
    }  # fmt: skip
