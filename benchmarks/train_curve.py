"""Short-training fidelity: Kendall tau of held-out accuracy after short training against NAS-Bench-Macro
mean_acc, for several budgets, on a seeded uniform sample of distinct networks. Each network trains once
through `train_budgets`: every budget's result is exactly the separate run that `train_config` (what
`archsearch run` does for finalists) would do for that budget, at the cost of the longest run plus the
other budgets' decay phases. Rows are appended to a CSV per network as they finish (resumable).

Budgets are in optimizer steps so results do not depend on how busy the machine is; each row also records
wall seconds and process CPU seconds / threads of that budget's run (what an otherwise idle machine would
need), which is the curve's x-axis. `--seconds` gives budgets in training seconds instead, as `archsearch
run` gives its finalists: the x-axis is then exact, the steps taken depend on the network and the machine
(run it alone), and each budget is its own run (its decay follows the clock, so budgets share nothing).

    python benchmarks/train_curve.py run --out runs/train_curve.csv --networks 50 --steps 16 32 64 128
    python benchmarks/train_curve.py run --out runs/w025.csv --steps 125 250 500 1000 --width 0.25
    python benchmarks/train_curve.py run --out runs/w025_300s.csv --seconds 300 --width 0.25
    python benchmarks/train_curve.py summary --csv runs/train_curve.csv
    python benchmarks/train_curve.py summary --csv runs/train_curve.csv runs/longer_budgets.csv

`--width` trains each network's narrower stand-in (`ArchConfig.with_width`), as `archsearch run` does for
its finalists; the summary keeps widths apart. The summary also gives, per budget, the Kendall tau
between the trained accuracy and the network's MACs (what short training is really measuring) and, for
reference, MACs against the truth on the same networks.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats

from archsearch.cost import cost
from archsearch.output import render
from archsearch.proxies import load_dataset, train_budgets, train_config
from archsearch.proxies.evaluation import nasbench_macro_truth, sample_keys
from archsearch.spaces import nasbench_macro_config

CIFAR = "cifar10:" + str(
    Path(__file__).resolve().parents[2] / "shared/data/cifar10/cifar10_subset_10k_2k.npz"
)
FIELDS = ["key", "steps", "width", "top1", "train_seconds", "cpu_seconds_per_thread", "network_wall_seconds",
          "seconds_budget"]  # fmt: skip


def run(args: argparse.Namespace) -> None:
    keys = sample_keys(list(nasbench_macro_truth()), args.networks, args.seed)
    random.Random(args.seed).shuffle(keys)
    budgets = (
        [("steps", float(n)) for n in args.steps]
        if args.seconds is None
        else [("s", s) for s in args.seconds]
    )
    out = Path(args.out)
    done = set()
    if out.exists():
        with out.open() as f:
            reader = csv.DictReader(f)
            if reader.fieldnames != FIELDS:
                sys.exit(
                    f"{out}: columns {reader.fieldnames} are not this script's {FIELDS}; use a new --out"
                )
            rows = list(reader)
        if any(float(r["width"]) != args.width for r in rows):
            sys.exit(f"{out} holds rows of another --width; use a new --out")
        done = {(r["key"], _budget(r)) for r in rows}
    data = load_dataset(args.data)
    new = not out.exists()
    with out.open("a", newline="") as f:
        w = csv.DictWriter(f, FIELDS)
        if new:
            w.writeheader()
        for i, key in enumerate(keys):
            todo = [b for b in budgets if (key, b) not in done]
            if not todo:
                continue
            t = time.perf_counter()
            cfg, common = nasbench_macro_config(key), {"batch": args.batch, "seed": args.seed,
                                                        "threads": args.threads, "width": args.width}  # fmt: skip
            if args.seconds is None:
                results = train_budgets(cfg, data, [int(steps) for _, steps in todo], **common)
            else:  # a seconds budget's decay follows the clock, so each budget is its own run
                results = [train_config(cfg, data, seconds=seconds, evals=1, progress=False, **common)
                           for _, seconds in todo]  # fmt: skip
            for (unit, value), r in zip(todo, results, strict=True):  # a network's budgets land together
                w.writerow({"key": key, "steps": r.steps, "width": args.width, "top1": r.top1, "train_seconds": r.seconds,
                            "cpu_seconds_per_thread": r.cpu_seconds / args.threads,
                            "network_wall_seconds": time.perf_counter() - t,
                            "seconds_budget": f"{value:g}" if unit == "s" else ""})  # fmt: skip
            f.flush()
            curve = ", ".join(
                f"{_label(b)}: {r.top1:.1f}% ({r.steps} steps)" for b, r in zip(todo, results, strict=True)
            )
            print(
                f"{i + 1}/{len(keys)} {key} {curve} ({time.perf_counter() - t:.0f}s)",
                file=sys.stderr,
                flush=True,
            )


Budget = tuple[str, float]  # ("steps", 1000.0) or ("s", 300.0)


def _budget(row: dict[str, str]) -> Budget:
    """A row's budget: its seconds budget when it had one, else its steps (files from before --seconds)."""
    seconds = row.get("seconds_budget")
    return ("s", float(seconds)) if seconds else ("steps", float(row["steps"]))


def _label(budget: Budget) -> str:
    unit, value = budget
    return f"{value:g} {unit}"


def _width(row: dict[str, str]) -> float:
    return float(row.get("width") or 1.0)  # files from before --width trained the networks themselves


def summary(args: argparse.Namespace) -> None:
    truth = nasbench_macro_truth()
    files = []
    for path in args.csv:
        with open(path) as f:
            files.append(list(csv.DictReader(f)))
    common = set.intersection(*({r["key"] for r in rows} for rows in files))  # compare on the same networks
    rows = [r for rows in files for r in rows if r["key"] in common]
    groups: dict[tuple[float, Budget], list[dict[str, str]]] = {}
    for r in rows:
        groups.setdefault((_width(r), _budget(r)), []).append(r)
    macs_of = {key: cost(nasbench_macro_config(key)).macs for key in common}
    table = []
    for (width, budget), sel in sorted(
        groups.items(),
        key=lambda g: (-g[0][0], g[0][1][0] == "s", g[0][1][1]),  # widest first; step budgets, then seconds
    ):
        acc = [float(r["top1"]) for r in sel]
        gt = [truth[r["key"]] for r in sel]
        macs = [macs_of[r["key"]] for r in sel]
        table.append({"width": width, "budget": _label(budget), "mean_steps": float(np.mean([int(r["steps"]) for r in sel])), "n": len(sel), "kendall": stats.kendalltau(acc, gt).statistic,
                      "spearman": stats.spearmanr(acc, gt).statistic,
                      "kendall_top1_vs_macs": stats.kendalltau(acc, macs).statistic,
                      "kendall_macs_vs_truth": stats.kendalltau(macs, gt).statistic, "mean_top1": float(np.mean(acc)),
                      "train_s_per_net": float(np.mean([float(r["train_seconds"]) for r in sel])),
                      "cpu_s_per_net": float(np.mean([float(r["cpu_seconds_per_thread"]) for r in sel]))})  # fmt: skip
    print(render(table, args.format, digits=3))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--out", required=True)
    r.add_argument("--data", default=CIFAR)
    r.add_argument("--networks", type=int, default=50)
    budget = r.add_mutually_exclusive_group()
    budget.add_argument("--steps", type=int, nargs="+", default=[16, 32, 64, 128], help="budgets in steps")
    budget.add_argument(
        "--seconds",
        type=float,
        nargs="+",
        help="budgets in training seconds, as `archsearch run` gives its finalists",
    )
    r.add_argument("--batch", type=int, default=128)
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--threads", type=int, default=2)
    r.add_argument("--width", type=float, default=1.0, help="train a narrower stand-in (1 = the network)")
    r.set_defaults(func=run)
    s = sub.add_parser("summary")
    s.add_argument(
        "--csv", required=True, nargs="+", help="several files: only the networks all of them hold"
    )
    s.add_argument("--format", default="table")
    s.set_defaults(func=summary)
    args = p.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
