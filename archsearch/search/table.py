"""The trials table rebuilt from the Optuna storage (the source of truth): every trial's record with its
Pareto and finalist flags, each finalist's best no-slower baseline and margin, and its training result."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from archsearch.runs import RunDir, TrialRecord
from archsearch.search.compare import Comparison
from archsearch.search.finalists import front, training


def record(t: FrozenTrial) -> dict[str, Any]:
    """A finished trial's evaluation record (config, costs, latency, feasibility, scores, timings)."""
    return t.user_attrs.get("record", {})


def trial_record(t: FrozenTrial, state: str | None = None) -> TrialRecord:
    """A trial as a table row (its record, number, state, parameters, failure reason)."""
    return TrialRecord.of(
        {
            **record(t),
            "fail_reason": t.user_attrs.get("fail_reason"),
            "number": t.number,
            "state": state or t.state.name,
            "params_json": json.dumps(t.params, sort_keys=True),
        }
    )


def rebuild(
    run: RunDir,
    study: optuna.Study,
    objectives: Sequence[str],
    proxies: Sequence[str],
    finalists: Sequence[FrozenTrial],
    comparisons: Sequence[Comparison],
) -> None:
    """Rewrite trials.csv from the storage, with finalist and Pareto flags."""
    versus = {c.finalist: c for c in comparisons}
    trials = study.get_trials(deepcopy=False)
    done = [t for t in trials if t.state == TrialState.COMPLETE and record(t).get("feasible")]
    on_front: set[int] = set()
    if done:
        mask = front([record(t) for t in done], objectives)
        on_front = {t.number for t, m in zip(done, mask, strict=True) if m}
    chosen = {t.number for t in finalists}
    rows = []
    for t in trials:
        r = trial_record(t)
        r.pareto, r.finalist = t.number in on_front, t.number in chosen
        c = versus.get(f"trial {t.number}")
        if c is not None:
            r.baseline, r.margin = c.baseline or "", None if c.margin is None else round(c.margin, 4)
        trained = training(study, t.number)
        r.trained_top1, r.seconds_train = trained.get("trained_top1"), trained.get("seconds_train")
        if trained.get("failed"):
            r.fail_reason = f"training failed: {trained['failed']}"
        rows.append(r)
    run.write_trials(rows, proxies)
