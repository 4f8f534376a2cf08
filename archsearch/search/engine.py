"""`archsearch run`: the search loop (ask, evaluate, tell, persist) and the order of a run's stages.

Reproducibility under interruption: the sampler of the k-th trial is seeded with (seed, k), trials are
asked in fixed batches of `workers` and told in order, and a trial left RUNNING by a crash or kill is
re-evaluated on resume with its stored parameters. So a resumed run finishes exactly the trials an
uninterrupted run with the same seed would have, none lost and none duplicated."""

from __future__ import annotations

import platform
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial, Trial, TrialState

from archsearch import __version__
from archsearch.arch import ArchConfig
from archsearch.runs import RunDir, TrialRecord, digest, record_columns
from archsearch.search import finalists as finalist_stage
from archsearch.search.baseline_scores import score_baselines
from archsearch.search.compare import Comparison, compare
from archsearch.search.evaluate import OBJECTIVES, EvalContext, cheap_task, objective_values
from archsearch.search.executors import Executor, make_executor
from archsearch.search.interrupt import checkpoint, interruptible
from archsearch.search.options import RunOptions, validate
from archsearch.search.reference import prepare_score, within_limits
from archsearch.search.samplers import make_sampler, trial_seed
from archsearch.search.seeding import baseline_params
from archsearch.search.study_storage import open_study
from archsearch.search.table import rebuild, record, trial_record
from archsearch.spaces import SearchSpace


@dataclass
class RunResult:
    run: RunDir
    finalists: list[TrialRecord]  # named "trial <number>", with their training result
    baselines: list[TrialRecord]
    comparisons: list[Comparison]
    trained: bool  # False without --data: short training on synthetic images ranks nothing
    seeded: list[str]  # the baselines the search started from (those the space reproduces, inside the limits)


class Search:
    """One run: its directory, context, executor and two views of its Optuna study.

    The sampler works on an in-memory copy of the study (`memory`): asking and suggesting there costs
    microseconds, where a storage pays for every suggested parameter. Every finished trial (parameters,
    values, constraints, its evaluation record) is then written to the real storage (`study`: the run's
    journal file or an RDB URL) in one `add_trial`. Resume rebuilds the memory copy from the storage, so
    the sampler sees exactly the history it had."""

    def __init__(
        self, run: RunDir, meta: dict[str, Any], space: SearchSpace, ctx: EvalContext, executor: Executor
    ):
        self.run, self.meta, self.space, self.ctx, self.executor = run, meta, space, ctx, executor
        self.opts = RunOptions.recorded(meta["options"])
        self.directions = [OBJECTIVES[o] for o in ctx.objectives]
        self.study = open_study(run.storage_url(meta["storage"]), run.id, self.directions)
        self.proxies = list(ctx.proxies)
        self.population = max(10, min(50, self.opts.trials // 5))
        # (baseline name, parameters): the baselines inside the limits that the space reproduces
        self.seeding = [
            (n, p)
            for n, p in (baseline_params(space) if self.opts.seed_baselines else [])
            if within_limits(ctx, space.decode(p))
        ]
        self.batch = self.executor.workers if self.executor.name != "local" else 1

    def _restore(self) -> tuple[optuna.Study, list[FrozenTrial]]:
        """The sampler's in-memory study rebuilt from the storage, and the stored trials of a batch that
        was cut short (asked together, so they are re-asked as running trials to keep the history exact)."""
        stored = [t for t in self.study.get_trials(deepcopy=False) if t.state.is_finished()]
        cut = len(stored) % self.batch
        memory = optuna.create_study(directions=self.directions)
        memory.add_trials(stored[: len(stored) - cut])
        return memory, stored[len(stored) - cut :]

    def _ask(
        self, memory: optuna.Study, k: int, fixed: FrozenTrial | None = None
    ) -> tuple[Trial, ArchConfig]:
        memory.sampler = make_sampler(
            self.opts.sampler, trial_seed(self.opts.seed, k), self.population, self.space
        )
        if fixed is not None:
            memory.enqueue_trial(fixed.params)
        elif k < len(self.seeding):
            memory.enqueue_trial(self.seeding[k][1])
        trial = memory.ask()
        return trial, self.space.sample(trial)

    def _tell(self, memory: optuna.Study, trial: Trial, out: Any) -> TrialRecord:
        """Tell one evaluated trial to the sampler and write it to the storage (one transaction)."""
        if out.ok:
            trial.set_user_attr("record", record_columns(out.value))
            for name, v in out.value["constraints"].items():
                trial.set_constraint(name, v)
            memory.tell(trial, objective_values(self.ctx, out.value))
        else:
            trial.set_user_attr("fail_reason", out.error)
            memory.tell(trial, state=TrialState.FAIL)
        frozen = memory.get_trials(deepcopy=False)[trial.number]
        self.study.add_trial(frozen)
        return trial_record(frozen)

    def search(self, progress: bool = True) -> None:
        from tqdm import tqdm

        memory, pending = self._restore()
        done = memory.get_trials(deepcopy=False) + pending
        target, k = self.opts.trials, len(memory.trials)
        bar = tqdm(
            total=target, initial=min(len(done), target), desc="trials", disable=not progress, unit="trial"
        )
        feasible = sum(1 for t in done if record(t).get("feasible"))
        best = max((record(t)["score"] for t in done if record(t).get("score") is not None), default=None)
        try:
            while k < target:
                n = min(self.batch, target - k)
                batch = [self._ask(memory, k + i, pending[i] if i < len(pending) else None) for i in range(n)]
                fresh = batch[len(pending) :]
                outcomes = self.executor.map(cheap_task, [(self.ctx, cfg.to_json()) for _, cfg in fresh])
                for (trial, _), stored in zip(batch, pending, strict=False):  # already evaluated and stored
                    memory.tell(trial, stored.values, state=stored.state, skip_if_finished=True)
                rows = [
                    self._tell(memory, trial, out) for (trial, _), out in zip(fresh, outcomes, strict=True)
                ]
                for r in rows:
                    feasible += bool(r.feasible)
                    if r.score is not None:
                        best = r.score if best is None else max(best, r.score)
                self.run.write_trials(rows, self.proxies, append=True)
                checkpoint()  # the batch is stored; stop here if a Ctrl-C was swallowed meanwhile
                k += n
                pending = []
                bar.update(n)
                bar.set_postfix(feasible=feasible, best=f"{best:.4g}" if best is not None else "-")
        finally:
            bar.close()

    @property
    def trains(self) -> bool:
        """Short training runs only on real images (`--data`): on the synthetic set it ranks nothing."""
        return bool(self.opts.data) and self.opts.finalists > 0

    def train_ctx(self) -> EvalContext:
        return replace(self.ctx, weights_dir=str(self.run.weights_dir.resolve()))


def _versions() -> dict[str, str]:
    import torch

    return {
        "archsearch": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "optuna": optuna.__version__,
        "platform": platform.platform(),
    }


def score_meta(ctx: EvalContext) -> dict[str, Any]:
    """What a run records of its score: the estimator, its axis label and unit, and its own validation
    figures (read from its file), so reports and notes never restate figures."""
    from archsearch.accuracy.base import get_estimator
    from archsearch.tasks import get_task

    est = get_estimator(ctx.score, ctx.settings)
    task = get_task(ctx.task)
    return {
        "score": est.name,
        # a task network's score is its backbone's: no detection or segmentation accuracy data is shipped
        "score_label": f"{est.axis_label} of the backbone" if task.head else est.axis_label,
        "score_unit": est.unit,
        "score_figures": est.figures,
    }


def start(opts: RunOptions, argv: list[str] | None = None) -> Search:
    """A new run (validated, directory and run.json written) ready to search."""
    space, ctx = validate(opts)
    out = Path(opts.out)
    from archsearch.hardware import load_profile

    run_id = RunDir.new_id(opts.name, space.name, opts.hw)
    meta = {
        "id": run_id,
        "name": opts.name or run_id,
        "command": "archsearch " + " ".join(argv if argv is not None else sys.argv[1:]),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "seed": opts.seed,
        "space": space.name,
        "space_digest": digest(space.path),
        "task": ctx.task,
        "profile": opts.hw,
        "profile_digest": digest(load_profile(opts.hw).path),
        "budget_macs": ctx.budget_macs,
        "latency_limit_ms": ctx.latency_ms,
        "params_limit": ctx.params_limit,
        "objectives": list(ctx.objectives),
        "proxies": list(ctx.proxies),
        **score_meta(ctx),
        "storage": opts.storage,  # None: the journal file in the run folder
        "options": asdict(opts),
        "versions": _versions(),
    }
    run = RunDir.create(out, run_id, meta)
    try:
        return Search(run, meta, space, ctx, make_executor(opts.executor, opts.workers, opts.ray_address))
    except Exception:
        import shutil

        shutil.rmtree(run.path, ignore_errors=True)  # nothing half-made stays behind on bad input
        raise


def resume(ref: str, out: str = "runs", workers: int | None = None) -> Search:
    run = RunDir.open(ref, Path(out))
    meta = run.read_meta()
    opts = RunOptions.recorded(meta["options"])
    if workers:
        opts.workers = workers
    space, ctx = validate(opts)
    executor = make_executor(opts.executor, opts.workers, opts.ray_address)
    return Search(run, meta, space, ctx, executor)


def execute(search: Search, progress: bool = True) -> RunResult:
    """Run (or finish) every stage of a search."""
    s, k = search, search.opts.finalists
    with s.executor, interruptible():
        s.ctx = prepare_score(s.run, s.space, s.ctx, s.opts.seed, s.opts.reference)
        s.search(progress)
        checkpoint()
        baselines = (
            score_baselines(s.run, s.executor, s.ctx, s.proxies, k, s.trains) if s.opts.baselines else []
        )
        base_rows = [b.row() for b in baselines]
        chosen = finalist_stage.pick(s.study, s.ctx.objectives, k, base_rows)
        if s.trains:
            finalist_stage.train(s.study, s.executor, s.train_ctx(), chosen)
        checkpoint()
        finalists = []
        for t in chosen:
            r = trial_record(t)
            r.name, r.trained_top1 = (
                f"trial {t.number}",
                finalist_stage.training(s.study, t.number).get("trained_top1"),
            )
            finalists.append(r)
        comparisons = compare([r.row() for r in finalists], base_rows)
        rebuild(s.run, s.study, s.ctx.objectives, s.proxies, chosen, comparisons)
    return RunResult(s.run, finalists, baselines, comparisons, s.trains, [n for n, _ in s.seeding])
