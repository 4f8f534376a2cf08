"""The baselines inside the run's limits, scored exactly like the candidates (whatever the estimator's
domain); with real images the front of them is trained like the finalists. Written to baselines.csv once
done, so a resumed run reads them back instead of scoring them again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from archsearch.runs import RunDir, TrialRecord, read_table
from archsearch.search.evaluate import EvalContext, cheap_task, train_task
from archsearch.search.executors import Executor
from archsearch.search.finalists import front, spread
from archsearch.search.reference import within_limits
from archsearch.tasks.baselines import search_baselines

DONE = "done"


def score_baselines(
    run: RunDir, executor: Executor, ctx: EvalContext, proxies: Sequence[str], finalists: int, trains: bool
) -> list[TrialRecord]:
    """The scored baselines (read back if a previous attempt of the run finished them)."""
    stored = read_table(run.baselines_csv).records
    if stored and all(r.stage == DONE for r in stored):
        return stored
    cands = [b for b in search_baselines(ctx.task) if within_limits(ctx, b.config)]
    wide = replace(ctx, allow_extrapolation=True)  # a baseline is compared whatever its domain
    outcomes = executor.map(cheap_task, [(wide, b.config.to_json()) for b in cands])
    rows = []
    for b, out in zip(cands, outcomes, strict=True):
        values = out.value if out.ok else {"fail_reason": out.error, "config_id": b.config.id}
        rec = TrialRecord.of({**values, "name": b.name, "family": b.family, "published_top1": b.top1})
        rec.state, rec.stage = ("COMPLETE" if out.ok else "FAIL"), DONE
        rows.append(rec)
    ok = [r for r in rows if r.state == "COMPLETE" and r.feasible]
    if ok and trains:
        recs = [r.row() for r in ok]
        chosen = [ok[i] for i in spread(recs, [i for i, m in enumerate(front(recs, ctx.objectives)) if m],
                                        ctx.objectives, finalists)]  # fmt: skip
        tctx = replace(ctx, weights_dir=str(run.weights_dir.resolve()))
        trained = executor.map(train_task, [(tctx, r.config_json) for r in chosen])
        for r, out in zip(chosen, trained, strict=True):
            r.finalist = True
            if out.ok:
                r.trained_top1, r.seconds_train = out.value["trained_top1"], out.value["seconds_train"]
            else:
                r.fail_reason = out.error
    run.write_baselines(rows, proxies)
    return rows
