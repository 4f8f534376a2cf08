"""Prediction speed of the learned accuracy estimators: configs per second, batch and one at a time.

Batch = `predict(configs)` on N random configs of a space (featurisation, which counts each network's
MACs and params, plus the LightGBM ensemble), cold (no cost cached) and warm; one-at-a-time = what a
search trial pays. Usage: python benchmarks/bench_accuracy_speed.py [--space mbv2] [--n 20000]"""

from __future__ import annotations

import argparse
import json
import platform
import random
import time

from archsearch.accuracy.members import load_learned
from archsearch.spaces import load_space


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--space", default="mbv2")
    p.add_argument("--estimator", default="imagenet")
    p.add_argument("--n", type=int, default=20000)
    args = p.parse_args()
    est = load_learned(args.estimator)
    rng = random.Random(0)
    space = load_space(args.space)
    configs = [space.random(rng) for _ in range(args.n)]
    t = time.perf_counter()
    est.predict(configs)
    batch = args.n / (time.perf_counter() - t)
    single = configs[:1000]
    t = time.perf_counter()
    for c in single:
        est.predict([c])
    one = len(single) / (time.perf_counter() - t)
    print(json.dumps({"estimator": args.estimator, "space": args.space, "configs": args.n,
                      "batch_configs_per_s": round(batch), "single_configs_per_s": round(one),
                      "machine": platform.processor() or platform.machine(), "date": time.strftime("%Y-%m-%d")}))  # fmt: skip


if __name__ == "__main__":
    main()
