"""TF-Lite export of every baseline and N random configs per space, checked with LiteRT against torch.

The test suite converts one sample (tests/test_mobile_tflite.py: a conversion costs 15-20 s); this runs
the whole acceptance set. Weights are randomised the way the ONNX round-trip tests do (BN statistics and
affine terms, a unit-scale classifier), so logits are O(1) and a mis-lowered op cannot hide behind
archsearch's near-zero initial logits. Prints, per group, the largest |LiteRT - torch| over two batch-1
inputs, the largest logit (the scale the difference is judged against) and the seconds per conversion;
writes every network's row to benchmarks/results/tflite_export.csv.
Usage: python benchmarks/bench_tflite_export.py [--per-space 20] [--spaces mbv2 rexnet ...] [--out CSV]
(two processes on disjoint --spaces with their own --out halve the wall time on two cores)"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from pathlib import Path

import torch

from archsearch.baselines import all_baselines
from archsearch.export.tflite_file import TOLERANCE, tflite_for_config
from archsearch.models import build_model
from archsearch.spaces import list_spaces, load_space

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from export_helpers import randomize_  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "tflite_export.csv"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--per-space", type=int, default=20)
    ap.add_argument("--spaces", nargs="*", help="default: every space")
    ap.add_argument("--no-baselines", action="store_true")
    ap.add_argument("--out", type=Path, default=OUT, help="per-network CSV (default %(default)s)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    groups = {} if args.no_baselines else {"baselines": [b.config for b in all_baselines()]}
    for name in args.spaces or list_spaces():
        rng = random.Random(0)
        groups[name] = [load_space(name).random(rng) for _ in range(args.per_space)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    worst, failed = 0.0, []
    with args.out.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["group", "name", "resolution", "max_abs_diff", "max_abs_logit", "seconds", "error"])
        for group, cfgs in groups.items():
            t0, diffs, scale = time.perf_counter(), [], 0.0
            for i, cfg in enumerate(cfgs):
                state = randomize_(build_model(cfg), seed=i).state_dict()
                x = torch.randn(2, cfg.in_chans, cfg.resolution, cfg.resolution, generator=torch.Generator().manual_seed(0))  # fmt: skip
                model = build_model(cfg)
                model.load_state_dict(state)
                with torch.no_grad():
                    logit = float(model.eval()(x).abs().max())
                t = time.perf_counter()
                try:
                    _, diff = tflite_for_config(cfg, state)
                    err = ""
                except Exception as e:  # noqa: BLE001 - a benchmark records every failure and goes on
                    diff, err = float("nan"), str(e).splitlines()[0][:200]
                    failed.append(f"{group}/{cfg.name or cfg.id}: {err}")
                diffs.append(diff)
                scale = max(scale, logit)
                w.writerow([group, cfg.name or cfg.id, cfg.resolution, f"{diff:.3e}", f"{logit:.3g}",
                            f"{time.perf_counter() - t:.1f}", err])  # fmt: skip
                f.flush()
            ok = [d for d in diffs if d == d]
            gmax = max(ok, default=float("nan"))
            worst = max(worst, gmax) if ok else worst
            print(f"{group:16}{len(cfgs):5d} networks  max |diff| {gmax:.2e}  max |logit| {scale:.3g}  "
                  f"{(time.perf_counter() - t0) / len(cfgs):.1f} s/net  failed {len(cfgs) - len(ok)}", flush=True)  # fmt: skip
    n = sum(len(c) for c in groups.values())
    print(f"all {n}: max |LiteRT - torch| = {worst:.2e} (tolerance {TOLERANCE:g}); failed: {len(failed)}")
    for line in failed:
        print("  " + line)


if __name__ == "__main__":
    main()
