"""The finalist stage: up to K trials of the Pareto front spread along latency (from the front points
that beat every no-slower baseline by the win margin when there are any), and their short training."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from archsearch.pareto import pareto_mask, spread_pick
from archsearch.search.compare import compare
from archsearch.search.evaluate import OBJECTIVES, RECORD_KEY, EvalContext, train_task
from archsearch.search.executors import Executor

TRAINING_KEYS = ("trained_top1", "train_curve", "seconds_train")


def front(recs: Sequence[dict[str, Any]], objectives: Sequence[str]) -> list[bool]:
    """Which records (feasible, scored) are on the Pareto front of the run's objectives."""
    pts = [[r[RECORD_KEY[o]] for o in objectives] for r in recs]
    return list(pareto_mask(pts, [OBJECTIVES[o] for o in objectives]))


def spread(
    recs: Sequence[dict[str, Any]], pool: Sequence[int], objectives: Sequence[str], k: int
) -> list[int]:
    """Up to k of the `pool` indices, spread along the first non-score objective."""
    key = RECORD_KEY[next((o for o in objectives if o != "score"), "score")]
    return [pool[j] for j in spread_pick([recs[i][key] for i in pool], k)]


def pick(
    study: optuna.Study, objectives: Sequence[str], k: int, baselines: Sequence[dict[str, Any]]
) -> list[FrozenTrial]:
    """Up to k finished feasible trials of the front, preferring those that win against the baselines."""
    done = [
        t
        for t in study.get_trials(deepcopy=False)
        if t.state == TrialState.COMPLETE and t.user_attrs.get("record", {}).get("feasible")
    ]
    if not done or k == 0:
        return []
    recs = [t.user_attrs["record"] | {"name": f"trial {t.number}"} for t in done]
    on = [i for i, m in enumerate(front(recs, objectives)) if m]
    wins = [i for i, c in zip(on, compare([recs[i] for i in on], baselines), strict=True) if c.wins]
    return [done[i] for i in spread(recs, wins or on, objectives, k)]


def training(study: optuna.Study, number: int) -> dict[str, Any]:
    """The finalist-stage result of a trial (finished trials are immutable in Optuna, so it is kept in the
    study's user attributes): trained_top1, train_curve, seconds_train, or failed."""
    return study.user_attrs.get(f"train/{number}", {})


def train(
    study: optuna.Study, executor: Executor, ctx: EvalContext, finalists: Sequence[FrozenTrial]
) -> None:
    """Short training of the finalists not trained yet, each result stored as it comes back."""
    todo = [t for t in finalists if not training(study, t.number)]
    outcomes = executor.map(train_task, [(ctx, t.user_attrs["record"]["config_json"]) for t in todo])
    for t, out in zip(todo, outcomes, strict=True):
        result = {k: out.value[k] for k in TRAINING_KEYS} if out.ok else {"failed": out.error}
        study.set_user_attr(f"train/{t.number}", result)


def trust_note(opts: Any) -> str:
    """How far to trust trained_top1, in the run's own terms (`RunOptions`) and with the figures of the
    measured short-training curve (read from its file)."""
    from archsearch.proxies.training import measured_curve

    budget = f"{opts.train_steps} steps" if opts.train_steps else f"{opts.train_seconds:g} s per network"
    what = "the networks themselves" if opts.train_width == 1 else f"{opts.train_width:g}-width stand-ins"
    return (f"How far to trust trained_top1: it is short proxy training ({budget}) of {what} on {opts.data}. "
            f"Measured on NAS-Bench-Macro networks against their fully trained accuracy: {measured_curve()} "
            "It ranks finalists and baselines alike, beside the predicted score and latency.")  # fmt: skip
