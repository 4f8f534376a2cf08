"""`archsearch run`: the Optuna study, the multi-fidelity stages, resume.

Reproducibility under interruption: the sampler of the k-th trial is seeded with (seed, k), trials are
asked in fixed batches of `workers` and told in order, and a trial left RUNNING by a crash or kill is
re-evaluated on resume with its stored parameters. So a resumed run finishes exactly the trials an
uninterrupted run with the same seed would have, none lost and none duplicated."""

from __future__ import annotations

import json
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial, Trial, TrialState

from archsearch import __version__
from archsearch.baselines import all_baselines
from archsearch.cost import cost
from archsearch.pareto import pareto_mask, spread_pick
from archsearch.search.budget import parse_budget, parse_limit
from archsearch.search.evaluate import (
    OBJECTIVES,
    RECORD_KEY,
    EvalContext,
    cheap_task,
    objective_values,
    train_task,
)
from archsearch.search.executors import EXECUTORS, Executor, make_executor
from archsearch.search.storage import RunDir, RunError, columns, digest
from archsearch.spaces import SearchSpace, load_space

SAMPLERS = ("nsga2", "tpe", "random")
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
)


@dataclass
class RunOptions:
    space: str = "mbv2"
    hw: str = "pixel"
    budget: str | None = "300MFLOPs"
    latency_ms: str | None = None
    params_limit: str | None = None
    trials: int = 120
    objectives: str = "score,latency"
    sampler: str = "tpe"
    proxy: str = "ensemble"
    finalists: int = 3
    data: str | None = None
    seed: int = 0
    out: str = "runs"
    name: str | None = None
    storage: str | None = None
    executor: str = "local"
    ray_address: str | None = None
    workers: int = 1
    proxy_resolution: int = 32
    proxy_batch: int = 64
    train_seconds: float = 60.0
    baselines: bool = True
    extra_proxies: list[str] = field(default_factory=list)


@dataclass
class RunResult:
    run: RunDir
    finalists: list[dict[str, Any]]
    baselines: list[dict[str, Any]]
    interrupted: bool = False


# ---------------------------------------------------------------------------------------------------
# validation: everything a user can get wrong is checked before anything is written


def validate(opts: RunOptions) -> tuple[SearchSpace, EvalContext]:
    from archsearch.hardware import load_profile
    from archsearch.proxies import list_proxies

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
    known = list_proxies()
    proxies = tuple(dict.fromkeys([opts.proxy, *opts.extra_proxies]))
    unknown = [p for p in proxies if p not in known]
    if unknown:
        raise RunError(f"unknown proxy {unknown[0]!r}; available: {', '.join(known)}")
    if opts.trials < 1 or opts.workers < 1 or opts.finalists < 0:
        raise RunError("--trials and --workers must be >= 1 and --finalists >= 0")
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
        proxy=opts.proxy,
        proxies=proxies,
        data=opts.data,
        seed=opts.seed,
        proxy_resolution=opts.proxy_resolution,
        proxy_batch=opts.proxy_batch,
        budget_macs=budget,
        latency_ms=parse_limit(opts.latency_ms, "latency limit (ms)") if opts.latency_ms else None,
        params_limit=int(parse_limit(opts.params_limit, "params limit")) if opts.params_limit else None,
        train_seconds=opts.train_seconds,
        objectives=objectives,
    )
    if opts.data:
        from archsearch.proxies import load_dataset

        load_dataset(opts.data)  # a bad path fails now, with its own one-line error
    return space, ctx


def _open_study(url: str, run_id: str, objectives: tuple[str, ...]) -> optuna.Study:
    try:
        storage = optuna.storages.RDBStorage(url, engine_kwargs={"pool_pre_ping": True})
        return optuna.create_study(
            storage=storage,
            study_name=run_id,
            directions=[OBJECTIVES[o] for o in objectives],
            load_if_exists=True,
        )
    except Exception as e:  # sqlalchemy/driver errors: unreachable host, bad URL, missing driver
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise RunError(f"cannot use storage {url!r}: {first}") from None


# ---------------------------------------------------------------------------------------------------


def constraints_of(trial: FrozenTrial) -> list[float]:
    """Optuna's constraints_func: the normalised limit violations stored with the trial."""
    return list(trial.user_attrs.get("constraints", []))


def make_sampler(name: str, seed: int, constrained: bool, population: int) -> optuna.samplers.BaseSampler:
    cf = constraints_of if constrained else None
    if name == "nsga2":
        return optuna.samplers.NSGAIISampler(population_size=population, seed=seed, constraints_func=cf)
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed, multivariate=True, constraints_func=cf)
    return optuna.samplers.RandomSampler(seed=seed)


def trial_seed(seed: int, k: int) -> int:
    return (seed * 1_000_003 + k * 7_919) % (2**31 - 1)


class Search:
    """One run: its directory, study, context and executor."""

    def __init__(
        self, run: RunDir, meta: dict[str, Any], space: SearchSpace, ctx: EvalContext, executor: Executor
    ):
        self.run, self.meta, self.space, self.ctx, self.executor = run, meta, space, ctx, executor
        self.opts = RunOptions(**meta["options"])
        self.study = _open_study(meta["storage"], run.id, ctx.objectives)
        self.cols = columns(ctx.proxies)
        self.population = max(10, min(50, self.opts.trials // 5))

    # -- storage helpers
    def _live(self) -> list[FrozenTrial]:
        return [t for t in self.study.get_trials(deepcopy=False) if not t.user_attrs.get("abandoned")]

    def _set(self, t: Trial | FrozenTrial, attrs: dict[str, Any]) -> None:
        trial = t if isinstance(t, Trial) else Trial(self.study, t._trial_id)
        for k, v in attrs.items():
            trial.set_user_attr(k, v)

    @staticmethod
    def _row(number: int, state: str, params: dict[str, Any], attrs: dict[str, Any]) -> dict[str, Any]:
        return {**attrs, "number": number, "state": state, "params_json": json.dumps(params, sort_keys=True)}

    def row(self, t: FrozenTrial) -> dict[str, Any]:
        return self._row(t.number, t.state.name, t.params, dict(t.user_attrs))

    # -- the cheap stage
    def reconcile(self) -> None:
        """After a crash: trials whose parameters were not all sampled cannot be re-run; mark them."""
        names = {p.name for p in self.space.params}
        for t in self.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            if not t.user_attrs.get("abandoned") and set(t.params) != names:
                self._set(
                    t, {"abandoned": True, "fail_reason": "interrupted while its parameters were sampled"}
                )
                self.study.tell(t.number, state=TrialState.FAIL)

    def search(self, progress: bool = True) -> None:
        from tqdm import tqdm

        self.reconcile()
        target, w = self.opts.trials, (self.executor.workers if self.executor.name != "local" else 1)
        constrained = violations_enabled(self.ctx)
        live = self._live()
        running: list[Trial | FrozenTrial] = [t for t in live if t.state == TrialState.RUNNING]
        finished = [t for t in live if t.state.is_finished()]
        k = len(live)
        bar = tqdm(
            total=target,
            initial=min(len(finished), target),
            desc="trials",
            disable=not progress,
            unit="trial",
        )
        feasible = sum(1 for t in finished if t.user_attrs.get("feasible"))
        best = max(
            (t.user_attrs["score"] for t in finished if t.user_attrs.get("score") is not None), default=None
        )
        try:
            while True:
                if not running or k % w:
                    for _ in range(min(target - k, (w - k % w) if k % w else w)):
                        seed = trial_seed(self.opts.seed, k)
                        self.study.sampler = make_sampler(
                            self.opts.sampler, seed, constrained, self.population
                        )
                        trial = self.study.ask()
                        self.space.sample(trial)
                        running.append(trial)
                        k += 1
                if not running:
                    break
                cfgs = [self.space.decode(t.params) for t in running]
                outcomes = self.executor.map(cheap_task, [(self.ctx, c.to_json()) for c in cfgs])
                rows = []
                for t, out in zip(running, outcomes, strict=True):
                    if out.ok:
                        rec = out.value
                        attrs = {
                            k: rec[k] for k in (*RECORD_FIELDS, "constraints", "seconds_cheap") if k in rec
                        }
                        attrs.update({k: v for k, v in rec.items() if k.startswith("proxy_")})
                        self._set(t, attrs)
                        self.study.tell(t.number, objective_values(self.ctx, rec))
                        feasible += bool(rec["feasible"])
                        if rec["score"] is not None:
                            best = rec["score"] if best is None else max(best, rec["score"])
                        rows.append(self._row(t.number, "COMPLETE", t.params, attrs))
                    else:
                        self._set(t, {"fail_reason": out.error})
                        self.study.tell(t.number, state=TrialState.FAIL)
                        rows.append(self._row(t.number, "FAIL", t.params, {"fail_reason": out.error}))
                self.run.append_rows(self.run.trials_csv, rows, self.cols)
                bar.update(len(running))
                bar.set_postfix(feasible=feasible, best=f"{best:.4g}" if best is not None else "-")
                running = []
        finally:
            bar.close()

    # -- the finalist stage
    def finalist_trials(self) -> list[FrozenTrial]:
        done = [t for t in self._live() if t.state == TrialState.COMPLETE and t.user_attrs.get("feasible")]
        if not done or self.opts.finalists == 0:
            return []
        pts = [[t.user_attrs[RECORD_KEY[o]] for o in self.ctx.objectives] for t in done]
        front = [
            t
            for t, m in zip(done, pareto_mask(pts, [OBJECTIVES[o] for o in self.ctx.objectives]), strict=True)
            if m
        ]
        key = next((o for o in self.ctx.objectives if o != "score"), "score")
        picks = spread_pick([t.user_attrs[RECORD_KEY[key]] for t in front], self.opts.finalists)
        return [front[i] for i in picks]

    def train_finalists(self) -> list[FrozenTrial]:
        finalists = self.finalist_trials()
        for t in finalists:
            if not t.user_attrs.get("finalist"):
                self._set(t, {"finalist": True})
        todo = [
            t
            for t in finalists
            if t.user_attrs.get("trained_top1") is None and not t.user_attrs.get("train_failed")
        ]
        ctx = self._train_ctx()
        outcomes = self.executor.map(train_task, [(ctx, t.user_attrs["config_json"]) for t in todo])
        for t, out in zip(todo, outcomes, strict=True):
            if out.ok:
                self._set(t, {k: out.value[k] for k in ("trained_top1", "train_curve", "seconds_train")})
            else:
                self._set(t, {"train_failed": out.error})
        return [self.study.get_trials(deepcopy=False)[t.number] for t in finalists]

    def _train_ctx(self) -> EvalContext:
        from dataclasses import replace

        return replace(self.ctx, weights_dir=str(self.run.weights_dir.resolve()))

    # -- baselines, scored exactly like the candidates
    def score_baselines(self) -> list[dict[str, Any]]:
        done = _read_csv(self.run.baselines_csv)
        if done and all(r.get("stage") == "done" for r in done):
            return done
        cands = [b for b in all_baselines() if self._within_limits(b.config)]
        outcomes = self.executor.map(cheap_task, [(self.ctx, b.config.to_json()) for b in cands])
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
        if ok and self.opts.finalists:
            pts = [[r[RECORD_KEY[o]] for o in self.ctx.objectives] for r in ok]
            front = [
                r
                for r, m in zip(
                    ok, pareto_mask(pts, [OBJECTIVES[o] for o in self.ctx.objectives]), strict=True
                )
                if m
            ]
            key = next((o for o in self.ctx.objectives if o != "score"), "score")
            chosen = [front[i] for i in spread_pick([r[RECORD_KEY[key]] for r in front], self.opts.finalists)]
            trained = self.executor.map(train_task, [(self._train_ctx(), r["config_json"]) for r in chosen])
            for r, out in zip(chosen, trained, strict=True):
                r["finalist"] = True
                if out.ok:
                    r.update({k: out.value[k] for k in ("trained_top1", "seconds_train")})
                else:
                    r["fail_reason"] = out.error
        for r in rows:
            r["stage"] = "done"
        self.run.rewrite(
            self.run.baselines_csv, rows, ["name", "family", "published_top1", "stage", *self.cols]
        )
        return _read_csv(self.run.baselines_csv)

    def _within_limits(self, cfg: Any) -> bool:
        c = cost(cfg)
        return not (self.ctx.budget_macs and c.macs > self.ctx.budget_macs) and not (
            self.ctx.params_limit and c.params > self.ctx.params_limit
        )

    def write_table(self, finalists: list[FrozenTrial]) -> None:
        """Rebuild trials.csv from the storage, with finalist and Pareto flags."""
        trials = [t for t in self.study.get_trials(deepcopy=False)]
        done = [t for t in trials if t.state == TrialState.COMPLETE and t.user_attrs.get("feasible")]
        front: set[int] = set()
        if done:
            pts = [[t.user_attrs[RECORD_KEY[o]] for o in self.ctx.objectives] for t in done]
            mask = pareto_mask(pts, [OBJECTIVES[o] for o in self.ctx.objectives])
            front = {t.number for t, m in zip(done, mask, strict=True) if m}
        fin = {t.number for t in finalists}
        rows = []
        for t in trials:
            r = self.row(t)
            r.update(
                pareto=t.number in front,
                finalist=t.number in fin,
                trained_top1=t.user_attrs.get("trained_top1"),
            )
            r["seconds_train"] = t.user_attrs.get("seconds_train")
            if t.user_attrs.get("train_failed"):
                r["fail_reason"] = f"training failed: {t.user_attrs['train_failed']}"
            rows.append(r)
        self.run.rewrite(self.run.trials_csv, rows, self.cols)


def violations_enabled(ctx: EvalContext) -> bool:
    return bool(ctx.budget_macs or ctx.latency_ms or ctx.params_limit)


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


def start(opts: RunOptions, argv: list[str] | None = None) -> Search:
    """A new run (validated, directory and run.json written) ready to search."""
    space, ctx = validate(opts)
    out = Path(opts.out)
    from archsearch.hardware import load_profile

    run = RunDir.create(out, opts.name, space.name, opts.hw)
    storage = opts.storage or run.sqlite_url()
    meta = {
        "id": run.id,
        "name": opts.name or run.id,
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
        "storage": storage,
        "options": asdict(opts),
        "versions": _versions(),
    }
    try:
        executor = make_executor(opts.executor, opts.workers, opts.ray_address)
        search = Search(run, meta, space, ctx, executor)
    except Exception:
        import shutil

        shutil.rmtree(run.path, ignore_errors=True)  # nothing half-made stays behind on bad input
        raise
    run.write_meta(meta)
    return search


def resume(ref: str, out: str = "runs", workers: int | None = None) -> Search:
    run = RunDir.open(ref, Path(out))
    meta = run.read_meta()
    opts = RunOptions(**meta["options"])
    if workers:
        opts.workers = workers
    space, ctx = validate(opts)
    executor = make_executor(opts.executor, opts.workers, opts.ray_address)
    return Search(run, meta, space, ctx, executor)


def execute(search: Search, progress: bool = True) -> RunResult:
    """Run (or finish) every stage of a search."""
    with search.executor:
        search.search(progress)
        finalists = search.train_finalists()
        search.write_table(finalists)
        baselines = search.score_baselines() if search.opts.baselines else []
    rows = [search.row(t) | {"trained_top1": t.user_attrs.get("trained_top1")} for t in finalists]
    return RunResult(search.run, rows, baselines)
