"""Short-training fidelity: Kendall tau of held-out accuracy after short training against NAS-Bench-Macro
mean_acc, for several budgets, on a seeded uniform sample of distinct networks. One separate run (its own
cosine schedule) per network and budget; rows are appended to a CSV as they finish (resumable).

Budgets are in optimizer steps so results do not depend on how busy the machine is; each row also records
wall seconds and process CPU seconds / threads (the seconds an otherwise idle machine would need).

    python benchmarks/train_curve.py run --out runs/train_curve.csv --networks 20 --steps 25 50 100 200
    python benchmarks/train_curve.py summary --csv runs/train_curve.csv
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
from scipy import stats

from archsearch.output import render
from archsearch.proxies import load_dataset, train_config
from archsearch.proxies.evaluation import nasbench_macro_truth, sample_keys
from archsearch.spaces import nasbench_macro_config

CIFAR = "cifar10:" + str(
    Path(__file__).resolve().parents[2] / "shared/data/cifar10/cifar10_subset_10k_2k.npz"
)
FIELDS = ["key", "steps", "top1", "train_seconds", "cpu_seconds_per_thread", "wall_seconds"]


def run(args: argparse.Namespace) -> None:
    torch.set_num_threads(args.threads)
    keys = sample_keys(list(nasbench_macro_truth()), args.networks, args.seed)
    random.Random(args.seed).shuffle(keys)
    out = Path(args.out)
    done = set()
    if out.exists():
        with out.open() as f:
            done = {(r["key"], int(r["steps"])) for r in csv.DictReader(f)}
    data = load_dataset(args.data)
    new = not out.exists()
    with out.open("a", newline="") as f:
        w = csv.DictWriter(f, FIELDS)
        if new:
            w.writeheader()
        for steps in args.steps:  # all networks at the short budgets first: a cut-short run still has a curve
            for key in keys:
                if (key, steps) in done:
                    continue
                t, c = time.perf_counter(), time.process_time()
                r = train_config(nasbench_macro_config(key), data, steps=steps, batch=args.batch, seed=args.seed,
                                 progress=False, evals=1, threads=args.threads)  # fmt: skip
                w.writerow({"key": key, "steps": steps, "top1": r.top1, "train_seconds": r.seconds,
                            "cpu_seconds_per_thread": (time.process_time() - c) / args.threads,
                            "wall_seconds": time.perf_counter() - t})  # fmt: skip
                f.flush()
                print(f"{key} {steps} steps: {r.top1:.1f}% in {r.seconds:.1f}s", file=sys.stderr, flush=True)


def summary(args: argparse.Namespace) -> None:
    truth = nasbench_macro_truth()
    with open(args.csv) as f:
        rows = list(csv.DictReader(f))
    table = []
    for steps in sorted({int(r["steps"]) for r in rows}):
        sel = [r for r in rows if int(r["steps"]) == steps]
        acc = [float(r["top1"]) for r in sel]
        gt = [truth[r["key"]] for r in sel]
        table.append({"steps": steps, "n": len(sel), "kendall": stats.kendalltau(acc, gt).statistic,
                      "spearman": stats.spearmanr(acc, gt).statistic, "mean_top1": float(np.mean(acc)),
                      "train_s_per_net": float(np.mean([float(r["train_seconds"]) for r in sel])),
                      "cpu_s_per_net": float(np.mean([float(r["cpu_seconds_per_thread"]) for r in sel]))})  # fmt: skip
    print(render(table, args.format, digits=3))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--out", required=True)
    r.add_argument("--data", default=CIFAR)
    r.add_argument("--networks", type=int, default=20)
    r.add_argument("--steps", type=int, nargs="+", default=[25, 50, 100, 200])
    r.add_argument("--batch", type=int, default=64)
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--threads", type=int, default=2)
    r.set_defaults(func=run)
    s = sub.add_parser("summary")
    s.add_argument("--csv", required=True)
    s.add_argument("--format", default="table")
    s.set_defaults(func=summary)
    args = p.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
