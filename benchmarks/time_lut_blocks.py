"""Time a device table's entries (and named whole networks) here on LiteRT: the `<device>.litert-times.csv`
that a transfer profile is built from (`archsearch/hardware/part_timing.py` says how).

    python benchmarks/time_lut_blocks.py --lut latency/note10_ofa_block_lut/224_lookup_table.yaml \\
        --network mobilenet_v2-1.0-224 --network mnasnet_a1-0.35-96 --out hardware_profiles/x.litert-times.csv

`--lut` takes a file under the shared data folder (or any path); `--network` a baseline name,
`mnasnet_a1-<multiplier>-<resolution>` or `proxylessnas_mobile`. Entries that several tables share are
timed once. `--convert-only` converts everything (cached) and stops, so a busy machine's conversions and a
quiet machine's timing can be two runs. Progress on stderr; rows go to `--out`.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from archsearch.arch import ConfigError
from archsearch.baselines import get_baseline
from archsearch.hardware.calibrate import REFERENCE, TODAY, _cpu_model
from archsearch.hardware.datasets import read_lut
from archsearch.hardware.errors import HARDWARE_ERRORS
from archsearch.hardware.litert_timing import cached_tflite
from archsearch.hardware.part_timing import lut_workload, network_workload, time_workloads, write_times
from archsearch.published import mnasnet_a1, proxylessnas_mobile
from archsearch.resources import UnknownNameError
from archsearch.shared import shared_root


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def network(name: str):  # -> ArchConfig
    if name == "proxylessnas_mobile":
        return proxylessnas_mobile()
    if m := re.fullmatch(r"mnasnet_a1-([\d.]+)-(\d+)", name):
        return mnasnet_a1(float(m.group(1)), int(m.group(2)))
    return get_baseline(name).config


def lut_path(spec: str) -> Path:
    root = shared_root()
    p = Path(spec)
    return p if p.exists() or root is None else root / "data" / spec


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lut", action="append", default=[], help="a per-block table (repeatable)")
    ap.add_argument("--network", action="append", default=[], help="a whole network by name (repeatable)")
    ap.add_argument("--out", type=Path, help="the CSV to write")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--convert-only", action="store_true", help="convert (and cache) everything, time nothing"
    )
    args = ap.parse_args(argv)
    if not args.lut and not args.network:
        ap.error("nothing to time: give --lut and/or --network")
    if not args.convert_only and args.out is None:
        ap.error("--out is required unless --convert-only")
    try:
        entries = {}
        for spec in args.lut:
            for e in read_lut(lut_path(spec)):
                entries.setdefault(e.key, e.sample.parts[0])
        cfgs = [network(n) for n in args.network]
        t0, workloads = time.time(), []
        log(
            f"converting {len(entries)} table entries and {len(cfgs)} networks (cached ones are not reconverted)"
        )
        for i, (key, part) in enumerate(entries.items(), 1):
            workloads.append(lut_workload(key, part))
            if i % 20 == 0 or i == len(entries):
                log(f"  {i}/{len(entries)} entries ({time.time() - t0:.0f} s)")
        for i, cfg in enumerate(cfgs, 1):
            workloads.append(network_workload(cfg))
            if i % 10 == 0 or i == len(cfgs):
                log(f"  {i}/{len(cfgs)} networks ({time.time() - t0:.0f} s)")
        reference = cached_tflite(get_baseline(REFERENCE).config)
        if args.convert_only:
            return 0
        log(
            f"timing {len(workloads)} workloads against {REFERENCE}: {args.rounds} rounds of {args.repeats} repeats"
        )
        rows = time_workloads(workloads, reference, args.rounds, args.repeats, args.seed, log)
    except (*HARDWARE_ERRORS, ConfigError, UnknownNameError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    write_times(args.out, rows, args.rounds, _cpu_model(), TODAY)
    log(f"wrote {args.out} ({len(rows)} rows, {time.time() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
