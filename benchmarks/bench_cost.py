"""Analytic cost model vs fvcore tracing on random configs, measured side by side in one run.

Usage: python benchmarks/bench_cost.py [--configs 20000] [--fvcore 30]
Prints configs/s for each and the ratio (goal: >= 20,000 configs/s and >= 1000x fvcore)."""

from __future__ import annotations

import argparse
import platform
import random
import time

import torch

from archsearch.cost import cost
from archsearch.models import fvcore_cost
from archsearch.spaces import load_space


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument(
        "--configs", type=int, default=20000, help="random configs per space for the analytic model"
    )
    ap.add_argument("--fvcore", type=int, default=30, help="random configs per space for fvcore")
    ap.add_argument("--spaces", default="mbv2,rexnet,mbv1,nasbench-macro")
    args = ap.parse_args()
    torch.set_num_threads(2)
    print(f"machine: {platform.machine()} {torch.get_num_threads()} threads, torch {torch.__version__}")
    print(f"{'space':16}{'analytic cfg/s':>16}{'fvcore cfg/s':>14}{'ratio':>10}")
    for name in args.spaces.split(","):
        space = load_space(name)
        rng = random.Random(0)
        cfgs = [space.random(rng) for _ in range(args.configs)]
        t0 = time.perf_counter()
        for c in cfgs:
            cost(c)
        analytic = len(cfgs) / (time.perf_counter() - t0)
        t0 = time.perf_counter()
        for c in cfgs[: args.fvcore]:
            fvcore_cost(c)
        traced = args.fvcore / (time.perf_counter() - t0)
        print(f"{name:16}{analytic:>16,.0f}{traced:>14,.2f}{analytic / traced:>10,.0f}x")


if __name__ == "__main__":
    main()
