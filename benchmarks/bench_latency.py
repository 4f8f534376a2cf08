"""Prediction speed of hardware profiles: configs per second for `profile.predict(cfg)`.

Configs are sampled first (sampling is the search's cost, not the predictor's). "cold" starts with
empty caches, so it includes computing the features of every block never seen before (random configs
of four spaces: ~5 new blocks per config); "warm" repeats the same configs (a search revisits blocks). Acceptance: >= 10,000
configs/s. Run: `flock /tmp/archsearch-cpu.lock python benchmarks/bench_latency.py`.
"""

from __future__ import annotations

import argparse
import platform
import random
import time

from archsearch.hardware import load_profile
from archsearch.hardware.features import _CACHE, block_features
from archsearch.spaces import load_space


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000, help="configs per space")
    ap.add_argument("--profiles", nargs="+", default=["pixel", "gpu", "a50", "local-cpu"])
    args = ap.parse_args()
    rng = random.Random(0)
    spaces = ("mbv2", "rexnet", "ofa", "fbnet")
    cfgs = [load_space(s).random(rng) for s in spaces for _ in range(args.n)]
    print(
        f"{len(cfgs)} random configs from {', '.join(spaces)}; {platform.processor() or platform.machine()}"
    )
    print(f"{'profile':10s} {'cold cfg/s':>11s} {'warm cfg/s':>11s} {'predict_many cfg/s':>19s}")
    for name in args.profiles:
        p = load_profile(name)  # fresh profile: empty per-block cache
        _CACHE.clear()
        block_features.cache_clear()
        rates = []
        for _ in range(2):
            t0 = time.perf_counter()
            for c in cfgs:
                p.predict(c)
            rates.append(len(cfgs) / (time.perf_counter() - t0))
        t0 = time.perf_counter()
        p.predict_many(cfgs)
        many = len(cfgs) / (time.perf_counter() - t0)
        print(f"{name:10s} {rates[0]:11,.0f} {rates[1]:11,.0f} {many:19,.0f}")


if __name__ == "__main__":
    main()
