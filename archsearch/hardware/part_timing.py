"""Local LiteRT times of a device table's entries and of whole networks: what a transfer profile starts from.

A device's per-block table says what each block costs on the device; `transfer.py` needs what the same
block costs here. Each entry's part (a block, or the stem/head kernels) is built alone
(`measure.part_module`), converted to TF-Lite once, NHWC in and out as inside a network (NCHW would add two
layout transposes: 3-35% of a lone block's time), cached beside the networks' conversions by the part and the
converter's version, and timed the way calibrations are: every round in a fresh shuffled
order, each repeat between two runs of the reference network (`measure.ReferenceTimer`), a workload's time
its median ratio over the rounds times the reference's fastest run. A repeat runs a small workload
`inner` times back to back (at least `MIN_REPEAT_MS` of work), as a table's device times are means over
consecutive runs of the lone block. The rows are the CSV `transfer.read_local_times` reads.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import NamedTuple

import numpy as np

from archsearch.arch import ArchConfig
from archsearch.hardware.errors import MeasureError
from archsearch.hardware.features import Part
from archsearch.hardware.litert_timing import cached_conversion, cached_tflite, tflite_runner
from archsearch.hardware.measure import ReferenceTimer, clock, part_module, time_in_rounds, time_runner

MIN_REPEAT_MS = 2.0  # a repeat of a small workload loops it until about this much work
COLUMNS = ("kind", "name", "config", "local_ms", "median_ms", "spread_pct", "rounds", "machine", "date",
           "ratio")  # fmt: skip


class Workload(NamedTuple):
    """A row to time: `kind` network (config JSON) or lut_block (`config` the table key), its .tflite."""

    kind: str
    name: str
    config: str
    tflite: Path


class Timed(NamedTuple):
    workload: Workload
    local_ms: float  # median ratio over rounds x the reference's fastest run (the quiet machine's scale)
    median_ms: float  # the same ratio x the reference's median run (the machine's typical speed)
    spread_pct: float  # (largest - smallest) / smallest of the per-round ratios, in %
    ratio: float  # median over rounds of the workload's time / the reference's runs beside it


def part_tflite(part: Part, cache: Path | None = None) -> Path:
    """The .tflite of a lone part (random weights), NHWC in and out as inside a network, converted on
    first use and cached by its key."""
    from archsearch.export.tflite_file import export_tflite

    what = repr(part.block) if part.block is not None else repr(part.kernels)
    first = part.kernels[0]
    return cached_conversion(
        f"part nhwc {part.key} {what}",
        lambda: export_tflite(part_module(part), first.cin, first.h_in, channels_last=True),
        cache,
        f"{part.label}: ",
    )


def lut_workload(key: str, part: Part) -> Workload:
    return Workload("lut_block", key, key, part_tflite(part))


def network_workload(cfg: ArchConfig) -> Workload:
    return Workload("network", cfg.name, cfg.to_json(), cached_tflite(cfg))


def _looped_runner(tflite: Path, inner: int) -> Callable[[], None]:
    """A fresh interpreter of `tflite` whose run invokes it `inner` times back to back."""
    run = tflite_runner(tflite)
    if inner == 1:
        return run

    def loop() -> None:
        for _ in range(inner):
            run()

    return loop


def time_workloads(
    workloads: Sequence[Workload],
    reference: Path,
    rounds: int = 5,
    repeats: int = 5,
    seed: int = 0,
    log: Callable[[str], None] = lambda _: None,
) -> list[Timed]:
    """Time every workload in `rounds` shuffled rounds against the `reference` .tflite (1 thread, the
    calling thread's CPU time)."""
    if rounds < 1 or repeats < 1:
        raise MeasureError(f"rounds and repeats must be >= 1, got {rounds} and {repeats}")
    tick = clock("litert", 1)
    timer = ReferenceTimer(tflite_runner(reference), tick)
    inner = []
    for w in workloads:  # small workloads loop to MIN_REPEAT_MS per repeat
        fastest = time_runner(tflite_runner(w.tflite), warmup=2, repeats=3, clock=tick).min_ms
        inner.append(max(1, math.ceil(MIN_REPEAT_MS / max(fastest, 1e-3))))
    runners = [partial(_looped_runner, w.tflite, n) for w, n in zip(workloads, inner, strict=True)]
    figures = time_in_rounds(runners, timer, rounds, repeats, seed, log, tick, warmup=1)
    ref_median = float(np.median(timer.reference_runs))
    out = [Timed(w, f.ms / n, f.ratio / n * ref_median, f.rerun_pct, f.ratio / n)
           for w, n, f in zip(workloads, inner, figures, strict=True)]  # fmt: skip
    log(f"  reference: fastest run {timer.reference_ms:.3f} ms, median {ref_median:.3f} ms")
    return out


def write_times(path: Path, rows: Sequence[Timed], rounds: int, machine: str, date: str) -> None:
    """The CSV `transfer.read_local_times` reads (one row per workload, `COLUMNS`)."""
    with path.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLUMNS)
        for t in rows:
            wl = t.workload
            w.writerow([wl.kind, wl.name, wl.config, f"{t.local_ms:.6g}", f"{t.median_ms:.6g}",
                        f"{t.spread_pct:.2f}", rounds, machine, date, f"{t.ratio:.6g}"])  # fmt: skip
