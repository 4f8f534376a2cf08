"""Does the card's command find networks that beat the baselines, and how close is the search to the truth?

- `curve`: found-front hypervolume (predicted top-1 vs predicted latency, against the baselines' front on
  the same axes and reference point) after N trials of one run (the first N trials of a run are exactly
  an N-trial run: each trial's sampler is seeded with (seed, k)), with the wall time, to choose the
  default number of trials.
- `card`: the card's command for mbv2 on pixel, gpu and local-cpu and for rexnet on pixel, 3 seeds each:
  finalists that beat every no-slower baseline by >= 1 pt, the best margin, extrapolating finalists,
  hypervolume of the found front against the baselines' front.
- `truth-nbm`: NAS-Bench-Macro, where the truth is known: `--score cifar10` (TPE and random sampling)
  and `--score ensemble` under a MACs budget, 10 seeds; regret = best true mean_acc under the budget
  minus the true mean_acc of the run's pick (its highest-scored feasible trial); a random feasible
  network beside them.
- `truth-anb`: Accel-NASBench holdout rows (the `imagenet` estimator never saw them): under MACs budgets
  the regret of the estimator's pick among those rows, beside picking by MACs and at random.

Usage: python benchmarks/bench_search_wins.py {curve,card,truth-nbm,truth-anb} [--out CSV] [options]"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from archsearch.pareto import hypervolume_2d
from archsearch.search.compare import compare
from archsearch.search.engine import execute, start
from archsearch.search.options import RunOptions

CASES = (("mbv2", "pixel"), ("mbv2", "gpu"), ("mbv2", "local-cpu"), ("rexnet", "pixel"))


def read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def front_hv(points: list[tuple[float, float]], ref: tuple[float, float]) -> float:
    """Hypervolume of (score max, latency min) points against `ref` (score floor, latency ceiling)."""
    if not points:
        return 0.0
    return hypervolume_2d(np.array(points, float), ("maximize", "minimize"), ref)


def run(
    space: str, hw: str, seed: int, trials: int, folder: str, **extra
) -> tuple[list[dict], list[dict], float]:
    t0 = time.perf_counter()
    opts = RunOptions(
        space=space, hw=hw, trials=trials, seed=seed, out=folder, name=f"{space}-{hw}-{seed}", **extra
    )
    result = execute(start(opts, argv=[]), progress=False)
    return read(result.run.trials_csv), read(result.run.baselines_csv), time.perf_counter() - t0


def points(rows: list[dict]) -> list[tuple[float, float]]:
    ok = [r for r in rows if r.get("feasible") == "true" and r.get("score")]
    return [(float(r["score"]), float(r["latency_ms"])) for r in ok]


def reference(base: list[dict], found: list[tuple[float, float]]) -> tuple[float, float]:
    """One reference point for both fronts: below the lowest score and beyond the slowest latency seen."""
    allp = points(base) + found
    return min(s for s, _ in allp) - 1.0, max(lat for _, lat in allp) * 1.05


def cmd_curve(args: argparse.Namespace) -> list[dict]:
    with tempfile.TemporaryDirectory() as d:
        trials, base, wall = run(args.space, args.hw, 0, max(args.at), d)
    done = sorted((r for r in trials if r["state"] == "COMPLETE"), key=lambda r: int(r["number"]))
    ref = reference(base, points(done))
    hv_base = front_hv(points(base), ref)
    seconds = np.cumsum([float(r["seconds_cheap"] or 0) for r in done])
    out = []
    for n in args.at:
        hv = front_hv(points(done[:n]), ref)
        out.append({"trials": n, "hv_found": hv, "hv_baselines": hv_base, "ratio": hv / hv_base,
                    "cheap_seconds": float(seconds[min(n, len(seconds)) - 1]), "run_wall_s": wall})  # fmt: skip
    return out


def cmd_card(args: argparse.Namespace) -> list[dict]:
    out = []
    for space, hw in CASES:
        for seed in range(args.seeds):
            with tempfile.TemporaryDirectory() as d:
                trials, base, wall = run(space, hw, seed, args.trials, d, finalists=args.finalists)
            fin = [r | {"name": f"trial {r['number']}"} for r in trials if r["finalist"] == "true"]
            cmp = compare(fin, base)
            found = points(trials)
            ref = reference(base, found)
            hv_f, hv_b = front_hv(found, ref), front_hv(points(base), ref)
            best = max(cmp, key=lambda c: c.margin if c.margin is not None else -1e9, default=None)
            out.append({"space": space, "hw": hw, "seed": seed, "trials": args.trials, "wall_s": round(wall, 1),
                        "finalists": len(cmp), "winners": sum(c.wins and not c.extrapolates for c in cmp),
                        "best_margin": None if best is None else round(best.margin or 0, 2),
                        "best": None if best is None else best.line(), "any_extrapolates": any(c.extrapolates for c in cmp),
                        "hv_found": round(hv_f, 2), "hv_baselines": round(hv_b, 2), "hv_ratio": round(hv_f / hv_b, 3)})  # fmt: skip
            print(out[-1], file=sys.stderr, flush=True)
    return out


def nbm_truth() -> dict[str, float]:
    from archsearch.proxies.evaluation import nasbench_macro_truth

    return nasbench_macro_truth()


def cmd_truth_nbm(args: argparse.Namespace) -> list[dict]:
    from itertools import product

    from archsearch.cost import cost
    from archsearch.proxies.evaluation import nasbench_macro_truth
    from archsearch.spaces import NasBenchMacroSpace, nasbench_macro_config

    truth = nasbench_macro_truth()  # canonical key -> mean_acc
    canonical = {}
    for chars in product("012", repeat=8):
        key = "".join(chars)
        canonical[nasbench_macro_config(key).id] = NasBenchMacroSpace.canonical_key(key)
    budget = int(float(args.budget))
    inside = {k: v for k, v in truth.items() if cost(nasbench_macro_config(k)).macs <= budget}
    best = max(inside.values())
    methods = {"tpe+cifar10": {"score": "cifar10"}, "random+cifar10": {"score": "cifar10", "sampler": "random"},
               "tpe+ensemble": {"score": "ensemble", "data": args.data}}  # fmt: skip
    out = []
    for seed in range(args.seeds):
        for method, extra in methods.items():
            with tempfile.TemporaryDirectory() as d:
                trials, _, wall = run("nasbench-macro", "pixel", seed, args.trials, d, budget=str(budget),
                                      objectives="score,macs", finalists=0, baselines=False, **extra)  # fmt: skip
            ok = [r for r in trials if r["feasible"] == "true" and r["score"]]
            got = truth[canonical[max(ok, key=lambda r: float(r["score"]))["config_id"]]]
            out.append({"method": method, "seed": seed, "budget": budget, "trials": args.trials, "true_best": best,
                        "pick_true": got, "regret": round(best - got, 3), "wall_s": round(wall, 1)})  # fmt: skip
            print(out[-1], file=sys.stderr, flush=True)
        pick = random.Random(seed).choice(sorted(inside))
        out.append({"method": "random pick", "seed": seed, "budget": budget, "trials": 1, "true_best": best,
                    "pick_true": inside[pick], "regret": round(best - inside[pick], 3), "wall_s": 0.0})  # fmt: skip
    return out


def cmd_truth_anb(args: argparse.Namespace) -> list[dict]:
    from archsearch.accuracy.anb import load_anb
    from archsearch.accuracy.members import load_learned
    from archsearch.cost import cost

    rows = load_anb(split="holdout")
    cfgs = [r.config() for r in rows]
    macs = np.array([cost(c).macs for c in cfgs], float)
    true = np.array([r.val_top1 for r in rows])
    pred = load_learned("imagenet").predict(cfgs).value
    out = []
    for q in (0.1, 0.25, 0.5, 0.75, 1.0):
        budget = float(np.quantile(macs, q))
        ok = macs <= budget
        best = true[ok].max()

        def pick(s: np.ndarray, ok: np.ndarray = ok) -> float:
            return float(true[ok][int(np.argmax(s[ok]))])

        rng = np.random.default_rng(0)
        rand = float(np.mean([true[ok][rng.integers(ok.sum())] for _ in range(1000)]))
        out.append({"macs_quantile": q, "budget_mmacs": round(budget / 1e6, 1), "networks": int(ok.sum()),
                    "true_best": best, "regret_imagenet": round(best - pick(pred), 3),
                    "regret_macs": round(best - pick(macs), 3), "regret_random": round(best - rand, 3)})  # fmt: skip
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("what", choices=["curve", "card", "truth-nbm", "truth-anb"])
    p.add_argument("--out", help="CSV file for the rows (printed as JSON too)")
    p.add_argument("--space", default="mbv2")
    p.add_argument("--hw", default="pixel")
    p.add_argument("--at", type=int, nargs="+", default=[100, 250, 500, 1000, 2000, 3000])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--trials", type=int, default=RunOptions().trials)
    p.add_argument("--finalists", type=int, default=RunOptions().finalists)
    p.add_argument("--budget", default="40e6", help="truth-nbm: MACs budget")
    p.add_argument("--data", help="truth-nbm: images for the ensemble's proxies, e.g. cifar10:PATH")
    args = p.parse_args()
    rows = {"curve": cmd_curve, "card": cmd_card, "truth-nbm": cmd_truth_nbm, "truth-anb": cmd_truth_anb}[
        args.what
    ](args)
    print(json.dumps(rows, indent=1))
    if args.out and rows:
        with open(args.out, "w", newline="") as f:
            w = csv.DictWriter(f, list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    if args.what == "truth-nbm":
        for m in dict.fromkeys(r["method"] for r in rows):
            reg = [r["regret"] for r in rows if r["method"] == m]
            print(
                f"{m}: median regret {statistics.median(reg):.3f}, mean {statistics.mean(reg):.3f}",
                file=sys.stderr,
            )


if __name__ == "__main__":
    main()
