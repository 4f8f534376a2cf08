"""Expected latency error on families a profile never saw, measured for real on this machine.

A. `local-cpu` (fitted on random mbv2 + rexnet networks and the MobileNetV1 baselines) against networks
   measured here from families and widths it never saw: random `ofa`, `fbnet` and `nasbench-macro`
   networks, the MobileNetV2 alpha x resolution grid and the ReXNet widths.
B. The `pixel` method replayed here: every block of the ProxylessNAS Pixel 1 table is micro-benchmarked
   alone on this CPU, a predictor is fitted on those block timings only and anchored with one measured
   MobileNetV2 1.0-224, then scored on the same networks. The pixel profile is built exactly so (from
   the phone's table), so B estimates its error on unseen widths, resolutions and families.

Run: `flock /tmp/archsearch-cpu.lock python benchmarks/bench_latency_families.py` (about 2 minutes).
"""

from __future__ import annotations

import argparse
from collections import defaultdict

from archsearch.baselines import all_baselines, get_baseline
from archsearch.hardware import load_profile
from archsearch.hardware.calibrate import anchor_scale, measure_rounds, random_configs
from archsearch.hardware.datasets import read_lut
from archsearch.hardware.measure import measure, part_runner, time_runner
from archsearch.hardware.metrics import accuracy
from archsearch.hardware.predictors import KernelLinear, Sample
from archsearch.shared import shared_file


def _table(title: str, groups: dict[str, list[tuple[float, float]]]) -> None:
    print(f"\n{title}\n\n| family | n | MAPE % | within +-10% | Kendall tau |\n|---|---:|---:|---:|---:|")
    for fam, pairs in groups.items():
        a = accuracy([p for p, _ in pairs], [m for _, m in pairs])
        print(f"| {fam} | {a['n']} | {a['mape']} | {a['within_10']} | {a['kendall_tau']} |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--random", type=int, default=15, help="random networks per unseen space")
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    profile = load_profile("local-cpu")
    runtime, threads = profile.provenance.get("runtime_key", "torch"), profile.threads or 1
    nets = {f"random {s}": random_configs((s,), args.random, 100) for s in ("ofa", "fbnet", "nasbench-macro")}
    nets["MobileNetV2 grid"] = [b.config for b in all_baselines(("mobilenet_v2",))]
    nets["ReXNet widths"] = [b.config for b in all_baselines(("rexnet",))]
    # Same statistic as the calibration: fastest repeat over shuffled rounds (see hardware/calibrate.py).
    rounds, _ = measure_rounds(nets, runtime, threads, args.repeats, args.rounds, 1, lambda _: None)
    measured = {fam: [m.ms for m in ms] for fam, ms in rounds.items()}

    groups = defaultdict(list)
    for fam, cfgs in nets.items():
        for c, m in zip(cfgs, measured[fam], strict=True):
            groups[fam].append((profile.predict(c), m))
    _table(f"A. local-cpu on families it never saw ({runtime}, {threads} thread(s))", groups)

    entries = read_lut(shared_file("latency/pixel1_proxylessnas_block_lut.yaml"))
    runners = [part_runner(e.sample.parts[0], runtime, threads) for e in entries]
    block_ms = [min(time_runner(r, 3, args.repeats).min_ms for _ in range(args.rounds)) for r in runners]
    blocks = [Sample(e.sample.parts, ms, False) for e, ms in zip(entries, block_ms, strict=True)]
    lut = KernelLinear().fit(blocks)
    mbv2 = get_baseline("mobilenet_v2-1.0-224").config
    anchor_ms = min(measure(mbv2, runtime, threads, repeats=args.repeats).min_ms for _ in range(args.rounds))
    scale = anchor_scale(lut, [(mbv2, anchor_ms)])
    groups = defaultdict(list)
    for fam, cfgs in nets.items():
        for c, m in zip(cfgs, measured[fam], strict=True):
            groups[fam].append((scale * lut.predict(c), m))
    _table(f"B. pixel method here: fitted on {len(blocks)} lone-block timings of the Pixel 1 table's shapes, "
           f"anchored on MobileNetV2 1.0-224 (scale {scale:.3f})", groups)  # fmt: skip


if __name__ == "__main__":
    main()
