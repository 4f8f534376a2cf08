"""`archsearch run`: the main job (search a space under a budget for a device)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archsearch.cli import add_format
from archsearch.output import render
from archsearch.runs import TrialRecord
from archsearch.search.budget import reference_macs
from archsearch.search.compare import verdict
from archsearch.search.evaluate import OBJECTIVES
from archsearch.search.executors import EXECUTORS
from archsearch.search.options import RunOptions
from archsearch.search.samplers import SAMPLERS

D = RunOptions()

if TYPE_CHECKING:  # the engine, pandas and torch load when a run starts, not to build the parser
    from archsearch.search.engine import RunResult


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="search a space for a device under a compute budget",
        description="Search SPACE for networks that beat MobileNetV2/ReXNet on a device. FLOPs in budgets are "
        f"multiply-adds of conv and linear layers ({reference_macs()}). Budgets: 300MFLOPs, 300M, 0.3GFLOPs, 3e8.",
    )
    p.add_argument("--space", default=D.space, help=f"search space name or YAML (default {D.space})")
    p.add_argument("--task", default=D.task, help="classification (default), detection, segmentation or "
                   "segmentation-aspp: the searched backbone with that task's head; budget, limits and latency "
                   "apply to the whole network, the score stays the backbone's (predicted ImageNet top-1)")  # fmt: skip
    p.add_argument("--budget", default=D.budget, help=f"MACs limit, e.g. 300MFLOPs (default {D.budget})")
    p.add_argument("--hw", default=D.hw, help=f"hardware profile for latency (default {D.hw})")
    p.add_argument("--trials", type=int, default=D.trials, help=f"number of trials (default {D.trials})")
    p.add_argument("--latency-ms", help="latency limit in ms on the profile (a constraint)")
    p.add_argument("--params", dest="params_limit", help="parameter-count limit (a constraint)")
    p.add_argument(
        "--objectives",
        default=D.objectives,
        help=f"comma list of {', '.join(OBJECTIVES)} (default {D.objectives})",
    )
    p.add_argument(
        "--sampler", default=D.sampler, help=f"Optuna sampler: {', '.join(SAMPLERS)} (default {D.sampler})"
    )
    p.add_argument(
        "--score",
        default=D.score,
        help=f"accuracy estimator behind the score objective: imagenet (predicted ImageNet top-1), cifar10, "
        f"ensemble or any proxy; see `archsearch estimators list` (default {D.score})",
    )
    p.add_argument(
        "--allow-extrapolation",
        action="store_true",
        help="also accept candidates outside the estimator's fitted ranges (default: they are infeasible)",
    )
    p.add_argument(
        "--also",
        dest="extra_proxies",
        action="append",
        default=[],
        help="extra proxies to record (repeatable)",
    )
    p.add_argument(
        "--no-seed-baselines",
        dest="seed_baselines",
        action="store_false",
        help="do not start the search from the baselines the space can express",
    )
    p.add_argument(
        "--finalists",
        type=int,
        default=D.finalists,
        help=f"Pareto finalists to train (default {D.finalists})",
    )
    p.add_argument(
        "--train-seconds", type=float, default=D.train_seconds, help="short-training budget per finalist"
    )
    p.add_argument(
        "--proxy-resolution", type=int, help="proxy input side (default: a quarter of the network's, >= 32)"
    )
    p.add_argument(
        "--proxy-batch", type=int, default=D.proxy_batch, help=f"proxy minibatch (default {D.proxy_batch})"
    )
    p.add_argument(
        "--train-steps", type=int, help="train finalists for a fixed number of steps instead (reproducible)"
    )
    p.add_argument(
        "--train-width",
        type=float,
        default=D.train_width,
        help=f"train a narrower stand-in of each finalist (default {D.train_width:g}; below 1 no weights)",
    )
    p.add_argument(
        "--reference",
        type=int,
        default=D.reference,
        help="reference sample size for population-based proxies (ensemble)",
    )
    p.add_argument(
        "--data",
        help="dataset for proxies/training: synthetic (default), cifar10:PATH, npz:PATH, imagefolder:PATH",
    )
    p.add_argument("--seed", type=int, default=D.seed, help="one seed makes the run reproducible")
    p.add_argument("--out", default=D.out, help="folder of runs (default runs/)")
    p.add_argument("--name", help="run name (its folder under --out)")
    p.add_argument("--storage", help="Optuna storage URL (default: SQLite in the run folder; any RDB URL)")
    p.add_argument("--executor", default=D.executor, choices=list(EXECUTORS), help="where evaluations run")
    p.add_argument("--ray-address", help="join this Ray cluster instead of starting a local one")
    p.add_argument("--workers", type=int, default=D.workers, help="parallel evaluations (Ray)")
    p.add_argument(
        "--no-baselines", dest="baselines", action="store_false", help="skip scoring the baselines"
    )
    p.add_argument("--resume", metavar="RUN", help="continue an interrupted run (its id or folder)")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    add_format(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from archsearch.search.engine import execute, resume, start

    if args.resume:
        search = resume(args.resume, args.out, args.workers if args.workers != D.workers else None)
    else:
        keys = set(RunOptions.__dataclass_fields__) & set(vars(args))
        search = start(RunOptions(**{k: getattr(args, k) for k in keys}))
    try:
        result = execute(search, progress=args.progress)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean exit short
        sys.stderr.write(
            f"archsearch: interrupted; finished trials are kept. Resume: archsearch run --resume {search.run.path}\n"
        )
        sys.stdout.flush()
        sys.stderr.flush()
        # Every finished trial is already committed and fsync'd; leave now, before interpreter shutdown
        # (library threads and finalizers), where a stray interrupt turned exit 130 into death by SIGINT.
        os._exit(130)
    from archsearch.export.run_reader import export_finalists
    from archsearch.report.dashboard import write_dashboard
    from archsearch.report.data import run_data

    dashboard = write_dashboard(run_data(result.run.path))
    exports = export_finalists(result.run.path, [r.number for r in result.finalists if r.number is not None])
    report(result, args.format, dashboard, exports)
    return 0


def report(result: RunResult, fmt: str, dashboard: Path, exports: list[Path]) -> None:
    from archsearch.report.estimator import Score, figures_line
    from archsearch.search.finalists import trust_note

    meta = result.run.read_meta()
    unit = "%" if meta.get("score_unit") == "top1" else ""
    versus = {c.finalist: c for c in result.comparisons}
    rows = []
    for r in result.finalists:
        c = versus.get(r.name)
        rows.append(_summary_row(r, c.baseline if c else None, c.margin if c else None, None))
    for b in result.baselines:
        if fmt != "table":
            rows.append(_summary_row(b, b.baseline, b.margin, b.published_top1))
    if fmt != "table":
        print(render(rows, fmt))
        return
    print(render(rows, "table", digits=3))
    inside = sum(1 for b in result.baselines if b.feasible)
    print(f"\nThe search started from {len(result.seeded)} baselines the space reproduces exactly "
          f"({inside} baselines inside the limits were scored; the others are not expressible in this space).")  # fmt: skip
    if result.comparisons:
        print("\nFinalists against the best baseline that is no slower on the profile:")
        for c in result.comparisons:
            print("  " + c.line(unit))
        print(verdict(result.comparisons) + ".")
    for r in result.finalists:
        if r.extrapolates:
            print(f"warning: {r.name} extrapolates ({r.extrapolation}): its score is outside "
                  "the estimator's fitted ranges (--allow-extrapolation was given)")  # fmt: skip
    task = meta.get("task") or "classification"
    if task != "classification":
        print("\n" + textwrap.fill(f"Task {task}: MACs, params and latency are the whole network's (backbone and "
                                    f"{task} head at its input side; NMS not counted); the score is the backbone's "
                                    "(no detection or segmentation accuracy data is shipped); the baselines are the "
                                    "task baselines (archsearch baselines --task).", 100))  # fmt: skip
    print("\n" + textwrap.fill(figures_line(Score.of(meta)), 100))
    opts = RunOptions.recorded(meta["options"])
    if result.trained:
        print("\n" + textwrap.fill(trust_note(opts), 100))
    elif opts.finalists:
        print("\nFinalists were not trained: short training needs real images (--data cifar10:PATH, npz:PATH or "
              "imagefolder:PATH); on the synthetic set it ranks nothing.")  # fmt: skip
    print(f"\nrun directory: {result.run.path}")
    print(f"trials table:  {result.run.trials_csv}")
    print(f"dashboard:     {dashboard}")
    for path in exports:
        print(f"export:        {path}")


def _num(v: Any) -> Any:
    """A number as the summary shows it: large integral values as int."""
    if v is None:
        return None
    f = float(v)
    return int(f) if f.is_integer() and abs(f) > 1000 else f


def _summary_row(r: TrialRecord, baseline: str | None, margin: float | None, published: float | None) -> dict:
    row = {
        "model": r.name,
        "config_id": r.config_id or None,
        "macs": _num(r.macs),
        "params": _num(r.params),
        "latency_ms": _num(r.latency_ms),
        "score": _num(r.score),
        "extrapolates": bool(r.extrapolates),
        "baseline": baseline,
        "margin": _num(margin),
    }
    row.update({f"proxy_{k}": _num(v) for k, v in r.proxies.items()})
    row.update(trained_top1=_num(r.trained_top1), published_top1=_num(published))
    return row
