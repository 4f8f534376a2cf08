"""`archsearch run`: the Optuna study, the multi-fidelity stages, resume.

Reproducibility under interruption: the sampler of the k-th trial is seeded with (seed, k), trials are
asked in fixed batches of `workers` and told in order, and a trial left RUNNING by a crash or kill is
re-evaluated on resume with its stored parameters. So a resumed run finishes exactly the trials an
uninterrupted run with the same seed would have, none lost and none duplicated."""

from __future__ import annotations

import json
import platform
import random
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial, Trial, TrialState

from archsearch import __version__
from archsearch.baselines import comparison_baselines
from archsearch.cost import cost
from archsearch.pareto import pareto_mask, spread_pick
from archsearch.search.budget import parse_budget, parse_limit
from archsearch.search.compare import Comparison, compare
from archsearch.search.evaluate import (
    OBJECTIVES,
    RECORD_KEY,
    EvalContext,
    cheap_task,
    objective_values,
    train_task,
)
from archsearch.search.executors import EXECUTORS, Executor, make_executor
from archsearch.search.interrupt import checkpoint, interruptible
from archsearch.search.samplers import SAMPLERS, make_sampler, trial_seed
from archsearch.search.storage import RunDir, RunError, columns, digest
from archsearch.search.study_storage import open_study
from archsearch.spaces import SearchSpace, load_space

RECORD_FIELDS = (
    "config_id",
    "config_json",
    "macs",
    "params",
    "peak_bytes",
    "latency_ms",
    "feasible",
    "violation",
    "score",
    "score_uncertainty",
    "extrapolates",
    "extrapolation",
)


@dataclass
class RunOptions:
    space: str = "mbv2"
    hw: str = "pixel"
    budget: str | None = "300MFLOPs"
    latency_ms: str | None = None
    params_limit: str | None = None
    trials: int = 1000  # found-front hypervolume vs trials: benchmarks/RESULTS.md, "Search wins"
    objectives: str = "score,latency"
    sampler: str = "tpe"
    score: str = "imagenet"
    allow_extrapolation: bool = False
    seed_baselines: bool = True
    finalists: int = 4
    data: str | None = None
    seed: int = 0
    out: str = "runs"
    name: str | None = None
    storage: str | None = None
    executor: str = "local"
    ray_address: str | None = None
    workers: int = 1
    proxy_resolution: int | None = None  # None: a quarter of the network's own input side, at least 32
    proxy_batch: int = 32
    train_seconds: float = 60.0
    train_steps: int | None = None
    train_width: float = 0.25  # a quarter-width stand-in ranks networks in 60 s; full width does not
    reference: int = 32

    baselines: bool = True
    extra_proxies: list[str] = field(default_factory=list)

    @classmethod
    def recorded(cls, options: dict[str, Any]) -> RunOptions:
        """The options a run folder's run.json holds; runs from before `train_width` trained at full width,
        runs from before `score` named their score `proxy`."""
        options = dict(options)
        if "proxy" in options:
            options["score"] = options.pop("proxy")
        return cls(**{"train_width": 1.0, **options})


@dataclass
class RunResult:
    run: RunDir
    finalists: list[dict[str, Any]]
    baselines: list[dict[str, Any]]
    comparisons: list[Comparison]
    trained: bool  # False without --data: short training on synthetic images ranks nothing
    seeded: list[str]  # the baselines the search started from (those the space reproduces, inside the limits)


# ---------------------------------------------------------------------------------------------------
# validation: everything a user can get wrong is checked before anything is written


def validate(opts: RunOptions) -> tuple[SearchSpace, EvalContext]:
    from archsearch.hardware import load_profile

    space = load_space(opts.space)
    load_profile(opts.hw)
    if opts.sampler not in SAMPLERS:
        raise RunError(f"unknown sampler {opts.sampler!r}; available: {', '.join(SAMPLERS)}")
    if opts.executor not in EXECUTORS:
        raise RunError(f"unknown executor {opts.executor!r}; available: {', '.join(EXECUTORS)}")
    objectives = tuple(o.strip() for o in opts.objectives.split(",") if o.strip())
    bad = [o for o in objectives if o not in OBJECTIVES]
    if bad or not objectives or len(set(objectives)) != len(objectives):
        raise RunError(
            f"invalid --objectives {opts.objectives!r}; choose distinct names from: {', '.join(OBJECTIVES)}"
        )
    from archsearch.accuracy.base import ProxySettings, get_estimator
    from archsearch.proxies import list_proxies

    settings = ProxySettings(opts.data, opts.proxy_resolution, opts.proxy_batch, opts.seed)
    score = get_estimator(opts.score, settings)
    known = list_proxies()
    unknown = [p for p in opts.extra_proxies if p not in known]
    if unknown:
        raise RunError(f"unknown proxy {unknown[0]!r}; available: {', '.join(known)}")
    proxies = tuple(dict.fromkeys([*score.inputs, *opts.extra_proxies]))
    if not opts.allow_extrapolation:
        check_domain(space, score)
    if opts.trials < 1 or opts.workers < 1 or opts.finalists < 0:
        raise RunError("--trials and --workers must be >= 1 and --finalists >= 0")
    if not 0 < opts.train_width <= 1:
        raise RunError(f"--train-width {opts.train_width:g} must be in (0, 1]")
    budget = parse_budget(opts.budget) if opts.budget else None
    if budget is not None:
        smallest = cost(space.smallest()).macs
        if budget < smallest:
            raise RunError(
                f"budget {opts.budget} ({budget:,} MACs) is below the smallest network of space {space.name}: "
                f"{smallest:,} MACs ({smallest / 1e6:.1f}M)"
            )
    ctx = EvalContext(
        space=opts.space,
        hw=opts.hw,
        score=opts.score,
        proxies=proxies,
        data=opts.data,
        seed=opts.seed,
        proxy_resolution=opts.proxy_resolution,
        proxy_batch=opts.proxy_batch,
        budget_macs=budget,
        latency_ms=parse_limit(opts.latency_ms, "latency limit (ms)") if opts.latency_ms else None,
        params_limit=int(parse_limit(opts.params_limit, "params limit")) if opts.params_limit else None,
        train_seconds=opts.train_seconds,
        train_steps=opts.train_steps,
        train_width=opts.train_width,
        train_threads=1 if opts.executor != "local" and opts.workers > 1 else None,
        objectives=objectives,
        allow_extrapolation=opts.allow_extrapolation,
    )
    if opts.data:
        from archsearch.proxies import load_dataset

        load_dataset(opts.data)  # a bad path fails now, with its own one-line error
    return space, ctx


def check_domain(space: SearchSpace, score: Any, samples: int = 200) -> None:
    """A score that cannot score the space (every sampled network and every baseline it expresses lies
    outside the estimator's fitted ranges) is a one-line error, not a run with nothing feasible."""
    from archsearch.accuracy.base import EstimatorError
    from archsearch.search.seeding import baseline_params

    if score.kind != "learned":
        return
    rng = random.Random(0)
    configs = [space.random(rng) for _ in range(samples)] + [
        space.decode(p) for _, p in baseline_params(space)
    ]
    try:
        pred = score.predict(configs)
    except EstimatorError as e:
        raise RunError(f"score {score.name} cannot score space {space.name}: {e}") from None
    if pred.extrapolates.all():
        outside = pred.why[0].split(",")
        example = ", ".join(outside[:3]) + (f" and {len(outside) - 3} more" if len(outside) > 3 else "")
        raise RunError(
            f"score {score.name} cannot score space {space.name}: all {len(configs)} sampled networks lie outside "
            f"its fitted ranges (e.g. {example}); choose a score fitted on such networks or --allow-extrapolation"
        )


# ---------------------------------------------------------------------------------------------------


class Search:
    """One run: its directory, context, executor and two views of its Optuna study.

    The sampler works on an in-memory copy of the study (`memory`): asking and suggesting there costs
    microseconds, where a storage pays one transaction per suggested parameter. Every finished trial
    (parameters, values, constraints, its evaluation record) is then written to the real storage
    (`study`: the run's SQLite file or an RDB URL) in one transaction. Resume rebuilds the memory copy
    from the storage, so the sampler sees exactly the history it had."""

    def __init__(
        self, run: RunDir, meta: dict[str, Any], space: SearchSpace, ctx: EvalContext, executor: Executor
    ):
        self.run, self.meta, self.space, self.ctx, self.executor = run, meta, space, ctx, executor
        self.opts = RunOptions.recorded(meta["options"])
        self.directions = [OBJECTIVES[o] for o in ctx.objectives]
        self.study = open_study(run.storage_url(meta["storage"]), run.id, self.directions)
        self.cols = columns(ctx.proxies)
        self.population = max(10, min(50, self.opts.trials // 5))
        self.seeding = (
            self.seeded()
        )  # (baseline name, parameters): computed once, read by _ask and the result
        self.seeds = [p for _, p in self.seeding]
        self.batch = self.executor.workers if self.executor.name != "local" else 1

    @staticmethod
    def _row(number: int, state: str, params: dict[str, Any], attrs: dict[str, Any]) -> dict[str, Any]:
        return {**attrs, "number": number, "state": state, "params_json": json.dumps(params, sort_keys=True)}

    def row(self, t: FrozenTrial) -> dict[str, Any]:
        return self._row(
            t.number, t.state.name, t.params, {**record(t), "fail_reason": t.user_attrs.get("fail_reason")}
        )

    # -- the cheap stage
    def _restore(self) -> tuple[optuna.Study, list[FrozenTrial]]:
        """The sampler's in-memory study rebuilt from the storage, and the stored trials of a batch that
        was cut short (asked together, so they are re-asked as running trials to keep the history exact)."""
        stored = [t for t in self.study.get_trials(deepcopy=False) if t.state.is_finished()]
        cut = len(stored) % self.batch
        memory = optuna.create_study(directions=self.directions)
        memory.add_trials(stored[: len(stored) - cut])
        return memory, stored[len(stored) - cut :]

    def _ask(self, memory: optuna.Study, k: int, fixed: FrozenTrial | None = None) -> Trial:
        memory.sampler = make_sampler(
            self.opts.sampler, trial_seed(self.opts.seed, k), self.population, self.space
        )
        if fixed is not None:
            memory.enqueue_trial(fixed.params)
        elif k < len(self.seeds):
            memory.enqueue_trial(self.seeds[k])
        trial = memory.ask()
        self.space.sample(trial)
        return trial

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
                outcomes = self.executor.map(
                    cheap_task, [(self.ctx, self.space.decode(t.params).to_json()) for t in fresh]
                )
                rows = []
                for trial, stored in zip(batch, pending, strict=False):  # already evaluated and stored
                    memory.tell(trial, stored.values, state=stored.state, skip_if_finished=True)
                for trial, out in zip(fresh, outcomes, strict=True):
                    if out.ok:
                        rec = out.value
                        attrs = {key: rec[key] for key in (*RECORD_FIELDS, "seconds_cheap") if key in rec}
                        attrs.update({key: v for key, v in rec.items() if key.startswith("proxy_")})
                        trial.set_user_attr("record", attrs)
                        for name, v in rec["constraints"].items():
                            trial.set_constraint(name, v)
                        memory.tell(trial, objective_values(self.ctx, rec))
                        feasible += bool(rec["feasible"])
                        if rec["score"] is not None:
                            best = rec["score"] if best is None else max(best, rec["score"])
                        rows.append(self._row(trial.number, "COMPLETE", trial.params, attrs))
                    else:
                        trial.set_user_attr("fail_reason", out.error)
                        memory.tell(trial, state=TrialState.FAIL)
                        rows.append(self._row(trial.number, "FAIL", trial.params, {"fail_reason": out.error}))
                    self.study.add_trial(memory.get_trials(deepcopy=False)[trial.number])  # one transaction

                self.run.append_rows(self.run.trials_csv, rows, self.cols)
                checkpoint()  # the batch is stored; stop here if a Ctrl-C was swallowed meanwhile
                k += n
                pending = []
                bar.update(n)
                bar.set_postfix(feasible=feasible, best=f"{best:.4g}" if best is not None else "-")
        finally:
            bar.close()

    def seeded(self) -> list[tuple[str, dict[str, Any]]]:
        """The baselines inside the limits that the space reproduces: the first trials of the search."""
        from archsearch.search.seeding import baseline_params

        if not self.opts.seed_baselines:
            return []
        return [(n, p) for n, p in baseline_params(self.space) if self._within_limits(self.space.decode(p))]

    # -- a population estimator (the rank ensemble) is fitted on a fixed reference sample of the space
    def prepare_score(self) -> None:
        from dataclasses import replace

        from archsearch.accuracy.base import get_estimator

        est = get_estimator(self.ctx.score, self.ctx.settings)
        if not est.population:
            return
        path = self.run.path / "reference.json"
        if path.exists():
            state = json.loads(path.read_text())
        else:
            rng, cfgs = random.Random(self.opts.seed), []
            for _ in range(50 * self.opts.reference):
                cfg = self.space.random(rng)
                if self._within_limits(cfg):
                    cfgs.append(cfg)
                if len(cfgs) == self.opts.reference:
                    break
            state = est.fit(cfgs).to_dict() | {"configs": [c.id for c in cfgs]}
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(state, indent=1))
            tmp.replace(path)
        self.ctx = replace(self.ctx, score_state=json.dumps(state))

    # -- the finalist stage
    def finalist_trials(self, baselines: list[dict[str, Any]]) -> list[FrozenTrial]:
        """Up to K trials of the Pareto front spread along latency, taken from the front points that beat
        every no-slower baseline by the win margin when there are any (what a user came for)."""
        done = [
            t
            for t in self.study.get_trials(deepcopy=False)
            if t.state == TrialState.COMPLETE and record(t).get("feasible")
        ]
        if not done or self.opts.finalists == 0:
            return []
        recs = [record(t) | {"name": f"trial {t.number}"} for t in done]
        front = [i for i, on in enumerate(self._front(recs)) if on]
        wins = [i for i, c in zip(front, compare([recs[i] for i in front], baselines), strict=True) if c.wins]
        pool = wins or front
        key = RECORD_KEY[next((o for o in self.ctx.objectives if o != "score"), "score")]
        return [done[pool[j]] for j in spread_pick([recs[i][key] for i in pool], self.opts.finalists)]

    def _front(self, recs: list[dict[str, Any]]) -> list[bool]:
        """Which records (feasible, scored) are on the Pareto front of the run's objectives."""
        pts = [[r[RECORD_KEY[o]] for o in self.ctx.objectives] for r in recs]
        return list(pareto_mask(pts, [OBJECTIVES[o] for o in self.ctx.objectives]))

    def _finalists(self, recs: list[dict[str, Any]]) -> list[int]:
        """Indices of up to K records of the Pareto front, spread along the first non-score objective."""
        front = [i for i, on in enumerate(self._front(recs)) if on]
        key = RECORD_KEY[next((o for o in self.ctx.objectives if o != "score"), "score")]
        return [front[j] for j in spread_pick([recs[i][key] for i in front], self.opts.finalists)]

    def training(self, number: int) -> dict[str, Any]:
        """The finalist-stage result of a trial (finished trials are immutable in Optuna, so it is kept
        in the study's user attributes): trained_top1, train_curve, seconds_train, or failed."""
        return self.study.user_attrs.get(f"train/{number}", {})

    @property
    def trains(self) -> bool:
        """Short training runs only on real images (`--data`): on the synthetic set it ranks nothing."""
        return bool(self.opts.data) and self.opts.finalists > 0

    def train_finalists(self, finalists: list[FrozenTrial]) -> None:
        if not self.trains:
            return
        todo = [t for t in finalists if not self.training(t.number)]
        ctx = self._train_ctx()
        outcomes = self.executor.map(train_task, [(ctx, record(t)["config_json"]) for t in todo])
        for t, out in zip(todo, outcomes, strict=True):
            keep = ("trained_top1", "train_curve", "seconds_train")
            result = {k: out.value[k] for k in keep} if out.ok else {"failed": out.error}
            self.study.set_user_attr(f"train/{t.number}", result)

    def _train_ctx(self) -> EvalContext:
        from dataclasses import replace

        return replace(self.ctx, weights_dir=str(self.run.weights_dir.resolve()))

    # -- baselines, scored exactly like the candidates
    def score_baselines(self) -> list[dict[str, Any]]:
        done = _read_csv(self.run.baselines_csv)
        if done and all(r.get("stage") == "done" for r in done):
            return done
        from dataclasses import replace

        cands = [b for b in comparison_baselines() if self._within_limits(b.config)]
        ctx = replace(self.ctx, allow_extrapolation=True)  # a baseline is compared whatever its domain
        outcomes = self.executor.map(cheap_task, [(ctx, b.config.to_json()) for b in cands])
        rows = []
        for b, out in zip(cands, outcomes, strict=True):
            row = {
                "name": b.name,
                "family": b.family,
                "published_top1": b.top1,
                "state": "COMPLETE" if out.ok else "FAIL",
            }
            row.update(out.value if out.ok else {"fail_reason": out.error, "config_id": b.config.id})
            rows.append(row)
        ok = [r for r in rows if r["state"] == "COMPLETE" and r.get("feasible")]
        if ok and self.trains:
            chosen = [ok[i] for i in self._finalists(ok)]
            trained = self.executor.map(train_task, [(self._train_ctx(), r["config_json"]) for r in chosen])
            for r, out in zip(chosen, trained, strict=True):
                r["finalist"] = True
                if out.ok:
                    r.update({k: out.value[k] for k in ("trained_top1", "seconds_train")})
                else:
                    r["fail_reason"] = out.error
        for r in rows:
            r["stage"] = "done"
        self.run.rewrite(self.run.baselines_csv, rows, ["family", "published_top1", "stage", *self.cols])
        return _read_csv(self.run.baselines_csv)

    def _within_limits(self, cfg: Any) -> bool:
        c = cost(cfg)
        return not (self.ctx.budget_macs and c.macs > self.ctx.budget_macs) and not (
            self.ctx.params_limit and c.params > self.ctx.params_limit
        )

    def write_table(self, finalists: list[FrozenTrial], comparisons: list[Comparison]) -> None:
        """Rebuild trials.csv from the storage, with finalist and Pareto flags and each finalist's best
        no-slower baseline and margin."""
        versus = {c.finalist: c for c in comparisons}
        trials = [t for t in self.study.get_trials(deepcopy=False)]
        done = [t for t in trials if t.state == TrialState.COMPLETE and record(t).get("feasible")]
        front: set[int] = set()
        if done:
            mask = self._front([record(t) for t in done])
            front = {t.number for t, m in zip(done, mask, strict=True) if m}
        fin = {t.number for t in finalists}
        rows = []
        for t in trials:
            r = self.row(t)
            r.update(pareto=t.number in front, finalist=t.number in fin)
            if f"trial {t.number}" in versus:
                c = versus[f"trial {t.number}"]
                r.update(baseline=c.baseline, margin=None if c.margin is None else round(c.margin, 4))
            trained = self.training(t.number)
            r["trained_top1"], r["seconds_train"] = trained.get("trained_top1"), trained.get("seconds_train")
            if trained.get("failed"):
                r["fail_reason"] = f"training failed: {trained['failed']}"
            rows.append(r)
        self.run.rewrite(self.run.trials_csv, rows, self.cols)


def record(t: FrozenTrial) -> dict[str, Any]:
    """A finished trial's evaluation record (config, costs, latency, feasibility, scores, timings)."""
    return t.user_attrs.get("record", {})


def _read_csv(path: Path) -> list[dict[str, Any]]:
    import csv

    if not path.exists():
        return []
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


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

    est = get_estimator(ctx.score, ctx.settings)
    return {
        "score": est.name,
        "score_label": est.axis_label,
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
        "profile": opts.hw,
        "profile_digest": digest(load_profile(opts.hw).path),
        "budget_macs": ctx.budget_macs,
        "latency_limit_ms": ctx.latency_ms,
        "params_limit": ctx.params_limit,
        "objectives": list(ctx.objectives),
        "proxies": list(ctx.proxies),
        **score_meta(ctx),
        "storage": opts.storage,  # None: study.db in the run folder
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
    with search.executor, interruptible():
        search.prepare_score()
        search.search(progress)
        checkpoint()
        baselines = search.score_baselines() if search.opts.baselines else []
        finalists = search.finalist_trials(baselines)
        search.train_finalists(finalists)
        checkpoint()
        rows = [
            search.row(t)
            | {"name": f"trial {t.number}", "trained_top1": search.training(t.number).get("trained_top1")}
            for t in finalists
        ]
        comparisons = compare(rows, baselines)
        search.write_table(finalists, comparisons)
    return RunResult(search.run, rows, baselines, comparisons, search.trains, [n for n, _ in search.seeding])
