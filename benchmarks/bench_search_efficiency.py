"""Search efficiency on NAS-Bench-Macro with a tabular objective (accuracy looked up, no training).

For each sampler (nsga2, tpe, random) and seed, run the engine's sampler set-up (one sampler seeded per
trial, as `archsearch run` does) over the `nasbench-macro` space with objectives (maximise mean_acc,
minimise MACs), and record the hypervolume of the found set against the true Pareto front of all 6561
keys after every evaluation. Prints, per sampler, the evaluations needed to reach 99% of the true
hypervolume (median and range over seeds) and the ratio to random search.

Usage: python benchmarks/bench_search_efficiency.py [--seeds 10] [--max-evals 1500]"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
import optuna

from archsearch.cost import cost
from archsearch.pareto import hypervolume_2d
from archsearch.search.samplers import make_sampler, trial_seed
from archsearch.shared import shared_file
from archsearch.spaces import NasBenchMacroSpace, load_space, nasbench_macro_config

DIRECTIONS = ("maximize", "minimize")


def load_table() -> dict[str, tuple[float, int]]:
    bench = json.loads(shared_file("nas-bench-macro/nas-bench-macro_cifar10.json").read_text())
    return {k: (v["mean_acc"], cost(nasbench_macro_config(k)).macs) for k, v in bench.items()}


def run_one(
    sampler: str, seed: int, table: dict, ref: tuple[float, float], true_hv: float, max_evals: int
) -> list[float]:
    """Fraction of the true hypervolume after each evaluation."""
    space = load_space("nasbench-macro")
    study = optuna.create_study(directions=list(DIRECTIONS))
    found: list[tuple[float, int]] = []
    curve = []
    population = max(10, min(50, max_evals // 5))
    for k in range(max_evals):
        study.sampler = make_sampler(sampler, trial_seed(seed, k), population, space)
        trial = study.ask()
        space.sample(trial)
        acc, macs = table[NasBenchMacroSpace.key(trial.params)]
        study.tell(trial, [acc, macs])
        found.append((acc, macs))
        curve.append(hypervolume_2d(found, DIRECTIONS, ref) / true_hv)
        if curve[-1] >= 0.99:
            break
    return curve


def evals_to(curve: list[float], frac: float) -> int | None:
    return next((i + 1 for i, v in enumerate(curve) if v >= frac), None)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--max-evals", type=int, default=1500)
    ap.add_argument("--samplers", default="nsga2,tpe,random")
    args = ap.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    table = load_table()
    pts = list(table.values())
    accs, macs = np.array([p[0] for p in pts]), np.array([p[1] for p in pts])
    ref = (float(accs.min()) - 1.0, float(macs.max()) * 1.05)
    true_hv = hypervolume_2d(pts, DIRECTIONS, ref)
    print(f"true Pareto hypervolume {true_hv:.4g} over {len(table)} keys; reference point {ref}")
    print(f"{'sampler':8}{'median evals to 99%':>22}{'range':>16}{'reached':>10}{'s/seed':>9}")
    medians = {}
    for sampler in args.samplers.split(","):
        needed, times = [], []
        for seed in range(args.seeds):
            t0 = time.perf_counter()
            curve = run_one(sampler, seed, table, ref, true_hv, args.max_evals)
            times.append(time.perf_counter() - t0)
            needed.append(evals_to(curve, 0.99))
        reached = [n for n in needed if n is not None]
        # a seed that never reached 99% counts as max_evals (a lower bound), so the median stays honest
        med = statistics.median([n if n is not None else args.max_evals for n in needed])
        medians[sampler] = med
        rng = f"{min(reached)}-{max(reached)}" if reached else "-"
        print(f"{sampler:8}{med:>22.0f}{rng:>16}{len(reached):>7}/{args.seeds}{statistics.mean(times):>9.1f}")
    if "random" in medians:
        for s, m in medians.items():
            if s != "random":
                print(f"{s}: {m / medians['random']:.2f}x the evaluations of random search (goal <= 0.33)")


if __name__ == "__main__":
    main()
