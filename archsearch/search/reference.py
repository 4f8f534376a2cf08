"""A population estimator (the rank ensemble) is fitted on a fixed reference sample of the space, drawn
once with the run's seed inside its limits and kept in `reference.json`, so a resumed run scores alike."""

from __future__ import annotations

import json
import random
from dataclasses import replace

from archsearch.arch import ArchConfig
from archsearch.runs import RunDir
from archsearch.search.evaluate import EvalContext, whole
from archsearch.spaces import SearchSpace
from archsearch.tasks.lowering import network_cost

REFERENCE_JSON = "reference.json"


def within_limits(ctx: EvalContext, cfg: ArchConfig) -> bool:
    """Inside the run's MACs and parameter limits (latency needs a prediction: not checked here), the
    whole network's with a task."""
    c = network_cost(whole(ctx, cfg))
    return not (ctx.budget_macs and c.macs > ctx.budget_macs) and not (
        ctx.params_limit and c.params > ctx.params_limit
    )


def prepare_score(run: RunDir, space: SearchSpace, ctx: EvalContext, seed: int, size: int) -> EvalContext:
    """The context with the fitted population estimator's state in it (unchanged for other scores)."""
    from archsearch.accuracy.base import get_estimator

    est = get_estimator(ctx.score, ctx.settings)
    if not est.population:
        return ctx
    path = run.path / REFERENCE_JSON
    if path.exists():
        state = json.loads(path.read_text())
    else:
        rng, cfgs = random.Random(seed), []
        for _ in range(50 * size):
            cfg = space.random(rng)
            if within_limits(ctx, cfg):
                cfgs.append(cfg)
            if len(cfgs) == size:
                break
        state = est.fit(cfgs).to_dict() | {"configs": [c.id for c in cfgs]}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=1))
        tmp.replace(path)
    return replace(ctx, score_state=json.dumps(state))
