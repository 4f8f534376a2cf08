"""Search progress: the best feasible score and the hypervolume of the feasible front after each trial.

The hypervolume is taken over the run's first two objectives, normalised to the range of the run's
feasible points (0 = ideal, 1 = nadir, reference 1.1), so it reads as a fraction of the reachable
area and curves of runs on different devices are comparable. The front is kept incrementally, so a
5,000-trial run costs a few milliseconds, not a hypervolume per trial over every point."""

from __future__ import annotations

import numpy as np
import pandas as pd

from archsearch.pareto import hypervolume_2d, pareto_mask
from archsearch.search.evaluate import OBJECTIVES, RECORD_KEY

REFERENCE = 1.1


def progress(trials: pd.DataFrame, scored: pd.DataFrame, objectives: list[str]) -> pd.DataFrame:
    """Per trial number: `best` (best feasible score so far) and `hypervolume` (or NaN without 2 objectives)."""
    numbers = trials["number"].dropna().astype(int).sort_values().to_numpy()
    out = pd.DataFrame({"number": numbers})
    best = scored.groupby(scored["number"].astype(int))["score"].max()
    out["best"] = out["number"].map(best).cummax().ffill()
    out["hypervolume"] = np.nan
    pair = objective_pair(objectives)
    if not pair or scored.empty:
        return out
    dirs = [OBJECTIVES[o] for o in pair]
    vals = scored[[RECORD_KEY[o] for o in pair]].to_numpy(dtype=float)
    ok = np.isfinite(vals).all(axis=1)
    vals, nums = vals[ok], scored["number"].to_numpy()[ok].astype(int)
    if len(vals) == 0:
        return out
    signs = np.array([-1.0 if d == "maximize" else 1.0 for d in dirs])
    mins = vals * signs  # as minimisation
    lo, hi = mins.min(axis=0), mins.max(axis=0)
    norm = (mins - lo) / np.where(hi > lo, hi - lo, 1.0)
    hv_at: dict[int, float] = {}
    front = np.empty((0, 2))
    hv = 0.0
    for i in np.argsort(nums, kind="stable"):
        p = norm[i]
        if not (front <= p).all(axis=1).any():  # not weakly dominated: the front grows
            front = np.vstack([front, p])
            front = front[pareto_mask(front, ["minimize", "minimize"])]
            hv = hypervolume_2d(front, ["minimize", "minimize"], [REFERENCE, REFERENCE]) / REFERENCE**2
        hv_at[int(nums[i])] = hv
    out["hypervolume"] = out["number"].map(hv_at).ffill().fillna(0.0)
    return out


def objective_pair(objectives: list[str]) -> list[str]:
    """The two objectives the hypervolume is taken over (empty when the run has fewer)."""
    pair = [o for o in objectives if o in RECORD_KEY][:2]
    return pair if len(pair) == 2 else []
