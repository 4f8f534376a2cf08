"""Pareto fronts and 2-D hypervolume, shared by the search (finalists) and the reports."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _as_minimisation(points: np.ndarray, directions: Sequence[str]) -> np.ndarray:
    signs = np.array([-1.0 if d == "maximize" else 1.0 for d in directions])
    return np.asarray(points, dtype=float) * signs


def pareto_mask(points: Sequence[Sequence[float]], directions: Sequence[str]) -> np.ndarray:
    """True for the points no other point dominates (ties: both kept)."""
    p = _as_minimisation(np.asarray(points, dtype=float).reshape(len(points), len(directions)), directions)
    mask = np.ones(len(p), dtype=bool)
    for i in range(len(p)):
        if not mask[i]:
            continue
        dominated = np.all(p <= p[i], axis=1) & np.any(p < p[i], axis=1)
        if dominated.any():
            mask[i] = False
    return mask


def hypervolume_2d(
    points: Sequence[Sequence[float]], directions: Sequence[str], reference: Sequence[float]
) -> float:
    """Area dominated by `points` and bounded by `reference` (in the objectives' own units)."""
    p = _as_minimisation(np.asarray(points, dtype=float).reshape(-1, 2), directions)
    ref = _as_minimisation(np.asarray([reference], dtype=float), directions)[0]
    p = p[np.all(p < ref, axis=1)]
    if len(p) == 0:
        return 0.0
    p = p[np.argsort(p[:, 0], kind="stable")]
    area, best_y = 0.0, ref[1]
    for x, y in p:
        if y < best_y:
            area += (ref[0] - x) * (best_y - y)
            best_y = y
    return float(area)


def spread_pick(values: Sequence[float], k: int) -> list[int]:
    """Indices of up to k items evenly spread over the sorted `values` (both ends included)."""
    order = list(np.argsort(np.asarray(values, dtype=float), kind="stable"))
    if len(order) <= k:
        return order
    picks = np.linspace(0, len(order) - 1, k).round().astype(int)
    return [order[i] for i in dict.fromkeys(picks.tolist())]
