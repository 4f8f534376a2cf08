"""Seconds per zero-cost proxy for a MobileNetV2-1.0-sized network at 32x32, batch 64, on 2 threads.

Each proxy runs alone on a fresh probe (its shared pass included), median of `--repeats` runs after one
warm-up; the last row scores all of them together on one probe (passes shared). Goal: each <= 1 s.

    python benchmarks/proxy_speed.py [--threads 2] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from archsearch.baselines import mobilenet_v2
from archsearch.output import render
from archsearch.proxies import get_proxy, list_proxies, load_dataset
from archsearch.proxies.base import Probe
from archsearch.proxies.scoring import adapt, make_batch


def seconds(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--batch", type=int, default=64)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    data = load_dataset("synthetic")
    cfg = adapt(mobilenet_v2(1.0, 224), data, 32)
    x, y = make_batch(data, 32, args.batch)
    names = [n for n in list_proxies() if n != "ensemble"]
    rows = []
    for n in names:
        s = seconds(lambda n=n: get_proxy(n).score(Probe(cfg, x, y, 0)), args.repeats)
        rows.append({"proxy": n, "seconds": s, "within_1s": s <= 1.0})

    def everything() -> None:
        probe = Probe(cfg, x, y, 0)
        for n in names:
            get_proxy(n).score(probe)

    rows.append(
        {"proxy": "all (shared passes)", "seconds": seconds(everything, args.repeats), "within_1s": None}
    )
    print(render(rows, "table", digits=3))
    print(f"\n{cfg.name} at 32x32 ({data.num_classes} classes), batch {args.batch}, {torch.get_num_threads()} threads, "
          f"median of {args.repeats} after a warm-up.")  # fmt: skip


if __name__ == "__main__":
    main()
