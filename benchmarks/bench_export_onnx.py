"""ONNX export of every baseline and N random configs per space, checked with ONNX Runtime against torch.

The test suite checks a sample (tests/test_export_roundtrip.py); this runs the whole acceptance set and
prints the largest |ONNX Runtime - torch| per group and the seconds per network.
Usage: python benchmarks/bench_export_onnx.py [--per-space 50] [--resolution 64]"""

from __future__ import annotations

import argparse
import random
import time

import torch

from archsearch.baselines import all_baselines
from archsearch.export.onnx_file import onnx_for_config
from archsearch.spaces import list_spaces, load_space


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--per-space", type=int, default=50)
    ap.add_argument("--resolution", type=int, default=64, help="random configs above it are checked at it")
    args = ap.parse_args()
    torch.set_num_threads(2)
    groups = {"baselines": [b.config for b in all_baselines()]}
    for name in list_spaces():
        rng = random.Random(0)
        cfgs = [load_space(name).random(rng) for _ in range(args.per_space)]
        groups[name] = [c.with_(resolution=min(c.resolution, args.resolution)) for c in cfgs]
    worst = 0.0
    for group, cfgs in groups.items():
        t0 = time.perf_counter()
        diff = max(onnx_for_config(c)[1] for c in cfgs)
        worst = max(worst, diff)
        print(
            f"{group:16}{len(cfgs):5d} networks  max |diff| {diff:.2e}  {(time.perf_counter() - t0) / len(cfgs):.2f} s/net"
        )
    print(f"all: max |ONNX Runtime - torch| = {worst:.2e} (tolerance 1e-4)")


if __name__ == "__main__":
    main()
