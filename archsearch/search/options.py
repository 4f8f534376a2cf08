"""What a run is asked to do (`RunOptions`, as run.json records them) and its validation: everything a
user can get wrong is checked before anything is written."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from archsearch.runs import RunError
from archsearch.search.budget import parse_budget, parse_limit
from archsearch.search.evaluate import OBJECTIVES, EvalContext
from archsearch.search.executors import EXECUTORS
from archsearch.search.samplers import SAMPLERS
from archsearch.spaces import SearchSpace, load_space
from archsearch.tasks import TaskError, get_task, network
from archsearch.tasks.lowering import network_cost


@dataclass
class RunOptions:
    space: str = "mbv2"
    task: str = "classification"  # detection / segmentation: limits and latency on the whole network
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


def validate(opts: RunOptions) -> tuple[SearchSpace, EvalContext]:
    from archsearch.hardware import load_profile

    space = load_space(opts.space)
    load_profile(opts.hw)
    if get_task(opts.task).head:
        try:
            network(space.random(random.Random(0)), opts.task)
        except TaskError as e:
            raise RunError(f"--task {opts.task}: space {space.name} has no {opts.task} form: {e}") from None
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
        smallest = space.smallest(lambda cfg: network_cost(network(cfg, opts.task)).macs)[1]
        if budget < smallest:
            what = f"{opts.task} network" if get_task(opts.task).head else "network"
            raise RunError(
                f"budget {opts.budget} ({budget:,} MACs) is below the smallest {what} of space {space.name}: "
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
        task=opts.task,
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
