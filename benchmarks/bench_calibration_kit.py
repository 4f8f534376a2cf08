"""The calibration kit's round trip on this machine, with its own LiteRT standing in for the phone:
export-set -> time every .tflite here (as benchmark_model would on the phone) -> fill the manifest ->
`archsearch calibrate --from-measurements` -> the held-out figures.

By default the kit's networks are the `--base` profile's own validation networks (read from its
measurements CSV): networks the base never saw, already converted (the conversion cache), so the round
trip costs seconds, not a conversion per network; `--diverse N` draws N networks the way
`calibrate --export-set` does instead (each converted once, 15-20 s). Each file is timed against the
reference network as calibration here is (`hardware.measure.ReferenceTimer`): its median ratio over
`--rounds` shuffled rounds times the reference's fastest run.
Usage: python benchmarks/bench_calibration_kit.py [--base local-litert] [--diverse N] [--rounds 3]"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
from functools import partial
from pathlib import Path

import numpy as np

from archsearch.arch import ArchConfig
from archsearch.baselines import get_baseline
from archsearch.cli import main as cli
from archsearch.hardware import load_profile
from archsearch.hardware.calibrate import REFERENCE
from archsearch.hardware.kit import MANIFEST, diverse_configs, export_set, read_manifest
from archsearch.hardware.litert_timing import cached_tflite, tflite_runner
from archsearch.hardware.measure import ReferenceTimer, clock, time_in_rounds
from archsearch.hardware.metrics import accuracy
from archsearch.hardware.transfer import NetworkPoint, fit_transfer
from archsearch.resources import find


def validation_networks(base: str) -> list[ArchConfig]:
    path = find("hardware_profiles", base).with_suffix(".measurements.csv")
    with path.open(newline="") as f:
        return [ArchConfig.from_json(r["config"]) for r in csv.DictReader(f) if r["split"] == "validation"]


def cross_check(manifest: Path, base) -> None:
    """Every network held out once (4 folds of the kit's seeded order), so the figure rests on all of
    them, not on the quarter the CLI holds out."""
    measured = read_manifest(manifest)
    held = np.zeros(len(measured), dtype=int)
    held[random.Random(0).sample(range(len(measured)), len(measured))] = np.arange(len(measured)) % 4
    pred = np.empty(len(measured))
    for fold in range(4):
        train = [NetworkPoint(m.config, m.ms) for m, h in zip(measured, held, strict=True) if h != fold]
        t = fit_transfer(base.predictor, (), train)
        for i in np.flatnonzero(held == fold):
            pred[i] = t.predict(measured[i].config)
    a = accuracy(pred, [m.ms for m in measured])
    print(
        f"4-fold cross-check, every network held out once: n {a['n']}, MAPE {a['mape']}%, "
        f"within +-10% {a['within_10']}%, Kendall {a['kendall_tau']}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--base", default="local-litert")
    ap.add_argument("--diverse", type=int, default=0, metavar="N")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument(
        "--keep", help="folder to keep the kit and the fitted profile in (default: a temporary one)"
    )
    args = ap.parse_args()
    base = load_profile(args.base)
    cfgs = (
        diverse_configs(("mbv2", "rexnet"), args.diverse, base, seed=7)
        if args.diverse
        else validation_networks(args.base)
    )
    work = Path(args.keep or tempfile.mkdtemp(prefix="kit-roundtrip-"))
    manifest = export_set(work / "kit", cfgs, threads=1, log=lambda m: None)
    with manifest.open(newline="") as f:
        rows = list(csv.DictReader(f))
    tick = clock("litert", 1)
    timer = ReferenceTimer(tflite_runner(cached_tflite(get_baseline(REFERENCE).config)), tick)
    runners = [partial(tflite_runner, manifest.parent / r["file"]) for r in rows]
    for r, f in zip(rows, time_in_rounds(runners, timer, args.rounds, args.repeats, clock=tick), strict=True):
        r["ms"] = f"{f.ms:.4f}"
    with manifest.open("w", newline="") as f:
        w = csv.DictWriter(f, list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"{len(rows)} networks timed here with LiteRT (1 thread, {args.repeats} repeats x {args.rounds} rounds "
          f"against {REFERENCE}) as the phone; kit in {manifest.parent}")  # fmt: skip
    cross_check(manifest, base)
    rc = cli(["calibrate", "--from-measurements", str(work / "kit" / MANIFEST), "--name", "kit-roundtrip",
              "--base", args.base, "--out", str(work / "kit-roundtrip.yaml"), "--plot", str(work / "kit-roundtrip.html")])  # fmt: skip
    raise SystemExit(rc)


if __name__ == "__main__":
    main()
