"""Accuracy of predicted against measured latency: the figures every profile reports."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.stats import kendalltau


def accuracy(predicted: Sequence[float], measured: Sequence[float]) -> dict[str, float | int]:
    """n, MAPE (%), share within +-5% and +-10% (%), Kendall tau of the two rankings."""
    p, m = np.asarray(predicted, float), np.asarray(measured, float)
    err = np.abs(p - m) / m
    tau = kendalltau(p, m).statistic if len(p) > 1 else float("nan")
    return {
        "n": int(len(p)),
        "mape": round(float(100 * err.mean()), 2),
        "within_5": round(float(100 * (err <= 0.05).mean()), 1),
        "within_10": round(float(100 * (err <= 0.10).mean()), 1),
        "kendall_tau": round(float(tau), 3),
    }
