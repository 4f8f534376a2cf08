"""What the harness itself costs, measured side by side in one run.

1. Cheap stage: milliseconds per trial that `archsearch run` adds around the proxy computation (Optuna
   ask/tell with the sampler, SQLite storage, decoding, cost model, latency prediction, trials.csv),
   scored by the default `imagenet` estimator (microseconds, so the harness is what is timed); beside it, the sampler's own
   cost alone (ask, suggest, tell on an in-memory study, no storage, no evaluation), so the difference is
   what the harness adds to the search algorithm.
2. Finalist stage on Ray: wall time to train the same finalists (fixed steps, 1 thread per worker)
   with 1 and with 2 Ray workers; the throughput ratio.

Usage: python benchmarks/bench_search_overhead.py [--trials 200] [--finalists 4] [--steps 30]"""

from __future__ import annotations

import argparse
import platform
import random
import tempfile
import time
from dataclasses import replace

import optuna

from archsearch.search.engine import start
from archsearch.search.evaluate import EvalContext, train_task
from archsearch.search.executors import make_executor
from archsearch.search.options import RunOptions
from archsearch.search.samplers import make_sampler, trial_seed
from archsearch.spaces import load_space


def cheap_stage_overhead(trials: int, sampler: str) -> float:
    """ms per trial of the harness, scored by the learned estimator (what the card's command runs)."""
    with tempfile.TemporaryDirectory() as out:
        opts = RunOptions(space="mbv2", budget="300M", hw="pixel", trials=trials, finalists=0,
                          baselines=False, out=out, name="overhead", sampler=sampler)  # fmt: skip
        search = start(opts, argv=[])
        t0 = time.perf_counter()
        search.search(progress=False)
        return (time.perf_counter() - t0) / trials * 1000


def sampler_alone(trials: int, sampler: str) -> float:
    """ms per trial of the sampler by itself: the engine's per-trial seeded sampler on an in-memory study."""
    space, study, rng = (
        load_space("mbv2"),
        optuna.create_study(directions=["maximize", "minimize"]),
        random.Random(0),
    )
    t0 = time.perf_counter()
    for k in range(trials):
        study.sampler = make_sampler(sampler, trial_seed(0, k), max(10, min(50, trials // 5)), space)
        trial = study.ask()
        space.sample(trial)
        study.tell(trial, [rng.random(), rng.random()])
    return (time.perf_counter() - t0) / trials * 1000


def finalist_throughput(workers: int, ctx: EvalContext, cfgs: list[str]) -> float:
    """Finalists trained per second with `workers` Ray workers."""
    with make_executor("ray", workers) as ex:
        ex.map(train_task, [(ctx, cfgs[0])])  # warm the workers' imports
        t0 = time.perf_counter()
        outs = ex.map(train_task, [(ctx, c) for c in cfgs])
        dt = time.perf_counter() - t0
    assert all(o.ok for o in outs), [o.error for o in outs if not o.ok]
    return len(cfgs) / dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--finalists", type=int, default=4)
    ap.add_argument("--steps", type=int, default=30)
    args = ap.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    print(f"machine: {platform.machine()}, {platform.python_version()}, optuna {optuna.__version__}")
    for sampler in ("tpe", "nsga2", "random"):
        total, alone = cheap_stage_overhead(args.trials, sampler), sampler_alone(args.trials, sampler)
        print(f"cheap stage, {sampler:6}: {total:6.1f} ms/trial over {args.trials} trials; the sampler alone "
              f"{alone:5.1f} ms; the harness adds {total - alone:5.1f} ms (goal <= 10)")  # fmt: skip
    if args.finalists < 1:
        return

    space, rng = load_space("nasbench-macro"), random.Random(0)
    cfgs = [space.random(rng).to_json() for _ in range(args.finalists)]
    ctx = EvalContext(
        space="nasbench-macro", hw="pixel", score="synflow", proxies=("synflow",), data=None, seed=0
    )
    ctx = replace(ctx, train_steps=args.steps, train_threads=1)
    one = finalist_throughput(1, ctx, cfgs)
    two = finalist_throughput(2, ctx, cfgs)
    print(
        f"finalist stage on Ray: 1 worker {one:.3f}/s, 2 workers {two:.3f}/s, ratio {two / one:.2f}x (goal >= 1.6x)"
    )


if __name__ == "__main__":
    main()
