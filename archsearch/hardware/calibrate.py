"""Calibration: fit a profile's predictor from lookup tables, whole-network CSVs or measurements taken
here, validate it on data it never saw, and correct it with a few whole-network anchors.

Nothing is fitted on `holdout` rows; they are scored. LUT profiles are validated by leaving one table
(one resolution) out, or by k-fold over the entries of a single table.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import random
import re
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from archsearch.arch import ArchConfig
from archsearch.hardware.datasets import read_csv, read_lut, row_samples, split_rows
from archsearch.hardware.errors import DataError
from archsearch.hardware.measure import clock, reference_timer, runner, time_in_rounds
from archsearch.hardware.metrics import accuracy
from archsearch.hardware.predictors import LatencyPredictor, Sample, network_sample, new_predictor
from archsearch.hardware.profile import Profile

TODAY = dt.date.today().isoformat()  # the day a profile is written, recorded in its provenance
RUNTIME_NAMES = {"torch": "PyTorch eager CPU", "onnxruntime": "ONNX Runtime CPU",
                 "litert": "TF-Lite (LiteRT interpreter, XNNPACK CPU)", "cuda": "PyTorch CUDA"}  # fmt: skip


class Fit(NamedTuple):
    predictor: LatencyPredictor
    samples: int
    validation: dict[str, Any]


def fit_samples(samples: Sequence[Sample], kind: str) -> LatencyPredictor:
    return new_predictor(kind).fit(samples)


def _score(p: LatencyPredictor, samples: Sequence[Sample]) -> tuple[list[float], list[float]]:
    return [p.predict_sample(s) for s in samples], [s.ms for s in samples]


def fit_lut(paths: Sequence[str | Path], kind: str = "kernel-linear", folds: int = 6) -> Fit:
    """Fit on every entry of the tables; validate leaving one table out (several tables) or k-fold."""
    tables = {str(p): [e.sample for e in read_lut(p)] for p in paths}
    everything = [s for ss in tables.values() for s in ss]
    pred, meas = [], []
    if len(tables) > 1:
        how = f"leave-one-table-out over {len(tables)} tables (each table a different input resolution)"
        for held in tables:
            p = fit_samples([s for t, ss in tables.items() if t != held for s in ss], kind)
            a, b = _score(p, tables[held])
            pred += a
            meas += b
    else:
        how = f"{folds}-fold cross-validation over the table's entries (blocks timed one at a time)"
        order = random.Random(0).sample(range(len(everything)), len(everything))
        for f in range(folds):
            test = {i for j, i in enumerate(order) if j % folds == f}
            p = fit_samples([s for i, s in enumerate(everything) if i not in test], kind)
            a, b = _score(p, [everything[i] for i in sorted(test)])
            pred += a
            meas += b
    validation = {"lut_cv": {"set": how, **accuracy(pred, meas)}}
    return Fit(fit_samples(everything, kind), len(everything), validation)


def fit_csv(
    path: str | Path, column: str, kind: str = "kernel-linear", config_column: str | None = None
) -> Fit:
    """Fit on the `calibration` rows (whole-network sums); score the `holdout` rows."""
    adapter, rows = read_csv(path, column, config_column)
    cal, hold = split_rows(rows, "calibration"), split_rows(rows, "holdout")
    if not cal:
        raise DataError(f"{path}: no rows with split=calibration to fit on")
    p = fit_samples(row_samples(cal), kind)
    validation: dict[str, Any] = {}
    if hold:
        pred = p.predict_many([r.config for r in hold])
        validation["holdout"] = {"set": f"{len(hold)} split=holdout rows of {Path(path).name} ({adapter} space)",
                                 **accuracy(pred, [r.ms for r in hold])}  # fmt: skip
    return Fit(p, len(cal), validation)


def anchor_scale(predictor: LatencyPredictor, anchors: Sequence[tuple[ArchConfig, float]]) -> float:
    """The scale that best maps raw predictions onto the anchors (geometric mean of the ratios)."""
    logs = [math.log(ms / predictor.predict(cfg)) for cfg, ms in anchors]
    return math.exp(sum(logs) / len(logs))


# ---------------------------------------------------------------------------------------------------
# calibration on this machine


def random_configs(
    spaces: Sequence[str], n: int, seed: int, exclude: set[str] = frozenset()
) -> list[ArchConfig]:
    """`n` distinct random configs, alternating between the spaces, none with an id in `exclude`."""
    from archsearch.spaces import load_space

    loaded = [load_space(s) for s in spaces]
    rng = random.Random(seed)
    out, seen = [], set(exclude)
    while len(out) < n:
        space = loaded[len(out) % len(loaded)]
        cfg = space.random(rng)
        if cfg.id not in seen:
            seen.add(cfg.id)
            out.append(cfg.with_(name=f"{space.name}-{cfg.id}"))
    return out


class Measured(NamedTuple):
    config: ArchConfig
    ms: float
    spread_pct: float
    rerun_pct: float  # (largest - smallest) / smallest of the per-round figures, in %


REFERENCE = "mobilenet_v2-1.0-224"  # the reference network every calibration here is timed against


def measure_rounds(
    sets: dict[str, Sequence[ArchConfig]],
    runtime: str,
    threads: int,
    repeats: int,
    rounds: int,
    seed: int,
    log: Callable[[str], None],
    reference: str | None = REFERENCE,
) -> tuple[dict[str, list[Measured]], float | None]:
    """Measure every config of every set in `rounds` shuffled rounds (`measure.time_in_rounds`), so a
    slow spell of a shared machine hits calibration and validation alike; against a `reference`
    baseline (see `measure.ReferenceTimer`) unless it is None. Also returns the reference's fastest run
    (the ms scale of every time: it drifts by ~10% from one session to the next, ratios do not)."""
    from archsearch.baselines import get_baseline

    timer = reference_timer(get_baseline(reference).config, runtime, threads) if reference else None
    jobs = [cfg for cfgs in sets.values() for cfg in cfgs]
    figures = time_in_rounds([partial(runner, cfg, runtime, threads) for cfg in jobs], timer, rounds, repeats,
                             seed, log, clock(runtime, threads))  # fmt: skip
    measured = iter(
        Measured(cfg, f.ms, f.spread_pct, f.rerun_pct) for cfg, f in zip(jobs, figures, strict=True)
    )
    if timer:
        log(f"  reference {reference}: fastest run {timer.reference_ms:.3f} ms (the scale of every time)")
    return {name: [next(measured) for _ in cfgs] for name, cfgs in sets.items()}, (
        timer.reference_ms if timer else None
    )


def convert_all(cfgs: Sequence[ArchConfig], log: Callable[[str], None]) -> None:
    """Convert every config to TF-Lite before any timing (15-20 s each; cached, so a rerun is quick), so
    that no round times one network while it converts the next, and the user sees progress."""
    from archsearch.hardware.litert_timing import cache_dir, cache_key, cached_tflite

    todo = [c for c in cfgs if not (cache_dir() / f"{cache_key(c)}.tflite").is_file()]
    log(
        f"  converting {len(todo)} of {len(cfgs)} networks to TF-Lite (the others are cached in {cache_dir()})"
    )
    t0 = time.time()
    for i, cfg in enumerate(todo, 1):
        cached_tflite(cfg)
        if i % 10 == 0 or i == len(todo):
            log(f"  converted {i}/{len(todo)} ({(time.time() - t0) / i:.1f} s each)")


def write_measurements(path: Path, sets: dict[str, list[Measured]]) -> None:
    with path.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["split", "name", "ms", "spread_pct", "rerun_pct", "config"])
        for split, ms in sets.items():
            for m in ms:
                w.writerow([split, m.config.name, f"{m.ms:.4f}", f"{m.spread_pct:.2f}", f"{m.rerun_pct:.2f}",
                            m.config.to_json()])  # fmt: skip


def calibrate_here(
    name: str,
    runtime: str = "torch",
    threads: int = 1,
    n_cal: int = 160,
    n_val: int = 48,
    repeats: int = 8,
    rounds: int = 3,
    kind: str = "kernel-linear",
    seed: int = 0,
    log: Callable[[str], None] = print,
    reference: str | None = REFERENCE,
) -> tuple[Profile, dict[str, list[Measured]], np.ndarray]:
    """Measure random mbv2 + rexnet networks (and the MobileNetV1 baselines, for depthwise-separable
    blocks) here, fit on them, and validate on `n_val` other random networks measured alongside."""
    import platform

    from archsearch.baselines import all_baselines

    t0 = time.time()
    cal_cfgs = random_configs(("mbv2", "rexnet"), n_cal, seed)
    cal_cfgs += [b.config for b in all_baselines(("mobilenet_v1",)) if b.resolution in (128, 224)]
    val_cfgs = random_configs(("mbv2", "rexnet"), n_val, seed + 1, {c.id for c in cal_cfgs})
    log(f"calibrating {name}: {len(cal_cfgs)} calibration networks, {len(val_cfgs)} validation networks, "
        f"runtime {runtime}, {threads} thread(s), {rounds} rounds of {repeats} repeats")  # fmt: skip
    sets = {"calibration": cal_cfgs, "validation": val_cfgs}
    if runtime == "litert":
        convert_all([*cal_cfgs, *val_cfgs], log)
    measured, reference_ms = measure_rounds(sets, runtime, threads, repeats, rounds, seed, log, reference)
    cal, val = measured["calibration"], measured["validation"]
    predictor = fit_samples([network_sample(m.config, m.ms) for m in cal], kind)
    pred = predictor.predict_many([m.config for m in val])
    noise = {"median_spread_pct": round(float(np.median([m.spread_pct for m in val])), 2),
             "median_rerun_pct": round(float(np.median([m.rerun_pct for m in val])), 2),
             "p90_rerun_pct": round(float(np.percentile([m.rerun_pct for m in val], 90)), 2)}  # fmt: skip
    validation = {"unseen_random": {"set": f"{len(val)} random mbv2 + rexnet networks (seed {seed + 1}) never "
                                           f"used in calibration, timed in the same {rounds} rounds",
                                    **accuracy(pred, [m.ms for m in val]), "measurement_noise": noise}}  # fmt: skip
    profile = Profile(
        name=name,
        device=f"this machine: {platform.processor() or platform.machine()} ({_cpu_model()})",
        runtime=RUNTIME_NAMES[runtime],
        precision="float32",
        batch=1,
        threads=threads,
        predictor=predictor,
        provenance={
            "source": "local",
            "runtime_key": runtime,
            "date": TODAY,
            "samples": len(cal),
            "data": f"{name}.measurements.csv",
            "method": f"whole-network timings (3 warm-up, {repeats} repeats in each of {rounds} rounds; "
            f"calibration and validation shuffled together every round) of random mbv2 + rexnet "
            f"networks (seed {seed}) and the MobileNetV1 baselines at 128 and 224; "
            + (
                f"each repeat timed between two runs of {reference}, a network's time its median ratio to "
                f"them times {reference}'s fastest run"
                if reference
                else "a network's time its fastest repeat"
            )
            + (
                "; the calling thread's CPU time (LiteRT, 1 thread)"
                if clock(runtime, threads) is time.thread_time
                else ""
            ),
            "seconds": round(time.time() - t0, 1),
            **({"reference": reference, "reference_ms": round(reference_ms, 4)} if reference_ms else {}),
        },  # fmt: skip
        validation=validation,
    )
    return profile, measured, pred


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


# ---------------------------------------------------------------------------------------------------
# profiles from data files, anchors, and the figures a calibration reports


def lut_files(specs: Sequence[str | Path]) -> list[Path]:
    """The table files named by `specs`: files, or every .yaml of a folder."""
    files: list[Path] = []
    for s in specs:
        p = Path(s)
        if p.is_dir():
            found = sorted(p.glob("*.yaml"))
            if not found:
                raise DataError(f"--from-lut {s}: folder has no .yaml tables")
            files += found
        elif p.is_file():
            files.append(p)
        else:
            raise DataError(f"--from-lut {s}: no such file or folder")
    return files


def shared_name(p: Path) -> str:
    """The data file as `latency/<file>` when it lies in the shared data folder (no absolute paths)."""
    parts = p.resolve().parts
    return "/".join(parts[parts.index("data") + 1 :]) if "data" in parts else p.name


def _data_profile(name: str, fit: Fit, device: str, runtime: str, batch: int, threads: int | None,
                  provenance: dict[str, Any]) -> Profile:  # fmt: skip
    return Profile(name=name, device=device, runtime=runtime, precision="float32", batch=batch, threads=threads,
                   predictor=fit.predictor, provenance=provenance, validation=fit.validation)  # fmt: skip


def profile_from_lut(
    name: str,
    specs: Sequence[str | Path],
    kind: str = "kernel-linear",
    device: str | None = None,
    runtime: str | None = None,
    batch: int | None = None,
    threads: int | None = None,
) -> Profile:
    """A profile fitted on per-block lookup tables (files or folders), validated table-out or k-fold."""
    files = lut_files(specs)
    fit = fit_lut(files, kind)
    prov = {"source": "lut", "data": [shared_name(f) for f in files], "date": TODAY, "samples": fit.samples,
            "method": "per-block lookup table entries (blocks timed one at a time), relative-error NNLS"}  # fmt: skip
    return _data_profile(name, fit, device or "unknown device (lookup table)", runtime or "unknown runtime",
                         batch or 1, threads, prov)  # fmt: skip


def profile_from_csv(
    name: str,
    path: str | Path,
    column: str,
    kind: str = "kernel-linear",
    config_column: str | None = None,
    device: str | None = None,
    runtime: str | None = None,
    batch: int | None = None,
    threads: int | None = None,
) -> Profile:
    """A profile fitted on a whole-network CSV's calibration rows; the device and batch default to what
    the column's name says (`<device>[_<batch>]_ms`)."""
    fit = fit_csv(path, column, kind, config_column)
    m = re.fullmatch(r"(.+?)(?:_(\d+))?_ms", column)
    col_device, col_batch = (m.group(1), int(m.group(2) or 1)) if m else (column, 1)
    prov = {"source": "csv", "data": shared_name(Path(path)), "column": column, "date": TODAY,
            "samples": fit.samples, "method": "split=calibration whole-network rows, relative-error NNLS over "
            "per-kernel-group feature sums; split=holdout rows only scored"}  # fmt: skip
    return _data_profile(name, fit, device or col_device, runtime or "as measured in the source data",
                         batch or col_batch, threads, prov)  # fmt: skip


def apply_anchors(profile: Profile, anchors: Sequence[tuple[str, ArchConfig, float]]) -> None:
    """Rescale `profile` to best match the (label, config, ms) anchors and record each one's fit."""
    if not anchors:
        return
    profile.scale = anchor_scale(profile.predictor, [(c, ms) for _, c, ms in anchors])
    profile.anchors = [{"network": n, "measured_ms": ms, "predicted_ms": round(profile.predict(c), 3)}
                       for n, c, ms in anchors]  # fmt: skip


def validation_rows(profile: Profile) -> list[dict[str, Any]]:
    """One row per validation set and per anchor: the figures `archsearch calibrate` prints."""
    rows = [{"profile": profile.name, "validation": k, **{c: v.get(c) for c in ("n", "mape", "within_5", "within_10", "kendall_tau")},
             # the measurement noise beside the error: the repeat spread and the round-to-round rerun spread
             "noise_spread_pct": v.get("measurement_noise", {}).get("median_spread_pct"),
             "noise_rerun_pct": v.get("measurement_noise", {}).get("median_rerun_pct"),
             "set": v.get("set", "")} for k, v in profile.validation.items()]  # fmt: skip
    rows += [{"profile": profile.name, "validation": f"anchor {a['network']}", "n": 1,
              "mape": round(100 * abs(a["predicted_ms"] - a["measured_ms"]) / a["measured_ms"], 2),
              "set": f"measured {a['measured_ms']} ms, predicted {a['predicted_ms']} ms after scale {profile.scale:.4f}"}
             for a in profile.anchors]  # fmt: skip
    return rows
