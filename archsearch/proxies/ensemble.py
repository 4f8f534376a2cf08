"""Rank ensemble: combine proxies by the mean of their ranks over a population of networks.

A rank is only defined within a population, so the ensemble scores a list of networks (the sample of an
evaluation, the trials of a search), not one network alone. Its default members were chosen on data by
`select_members` (greedy forward selection on one half of the NAS-Bench-Macro networks; the agreement is
reported on the other half): see benchmarks/RESULTS.md, section "Proxies"."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

DEFAULT_MEMBERS: tuple[str, ...] = ("jacob_cov", "depth", "macs")


class RankEnsemble:
    name = "ensemble"
    description = (
        "mean rank of its member proxies over the scored population (default members chosen on data)"
    )

    def __init__(self, members: Sequence[str] = DEFAULT_MEMBERS):
        self.members = tuple(members)

    def combine(self, rows: Sequence[dict[str, float | None]]) -> list[float | None]:
        """Mean over members of each network's rank (1 = lowest score); None where a member failed."""
        ranks = []
        for m in self.members:
            col = np.array([np.nan if r.get(m) is None else r[m] for r in rows], float)
            ranks.append(np.where(np.isfinite(col), stats.rankdata(np.nan_to_num(col, nan=-np.inf)), np.nan))
        mean = np.mean(ranks, axis=0)
        return [None if np.isnan(v) else float(v) for v in mean]


def split_halves(n: int, seed: int = 0) -> tuple[list[int], list[int]]:
    """A seeded random split of range(n) into a selection half and a reporting half."""
    order = np.random.default_rng(seed).permutation(n)
    return sorted(order[: n // 2].tolist()), sorted(order[n // 2 :].tolist())


def select_members(rows: Sequence[dict], truth: Sequence[float], candidates: Sequence[str],
                   max_members: int = 4) -> tuple[tuple[str, ...], float]:  # fmt: skip
    """Greedy forward selection of the members whose rank mean has the highest Kendall tau with truth;
    stops when adding a member no longer helps. Returns the members and their Kendall on `rows`."""
    chosen: list[str] = []
    best = -np.inf
    while len(chosen) < max_members:
        trial = {}
        for c in candidates:
            if c in chosen:
                continue
            s = np.array(
                [np.nan if v is None else v for v in RankEnsemble([*chosen, c]).combine(rows)], float
            )
            ok = np.isfinite(s)
            trial[c] = stats.kendalltau(s[ok], np.asarray(truth, float)[ok]).statistic
        if not trial:
            break
        c, tau = max(trial.items(), key=lambda kv: kv[1])
        if tau <= best:
            break
        chosen.append(c)
        best = tau
    return tuple(chosen), float(best)
