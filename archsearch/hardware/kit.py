"""The on-device calibration kit: networks to time on a phone, and a profile from what the phone measured.

`export_set` writes N networks chosen to span the latency range of the spaces (candidates sampled at
random, then picked evenly over the base profile's predicted latency, so a handful of files covers small
and large networks alike) as float32 .tflite files, a manifest CSV (name, config JSON, file, an empty
`ms` column for the phone's times) and the TF-Lite `benchmark_model` command lines for adb.
`fit_measurements` reads the filled manifest and fits the few-shot transfer (`hardware/transfer.py`):
the base's local LiteRT kernel model mapped to the phone by a power law over the measured networks.
A seeded quarter of the rows is held out and scored before the final profile is fitted on every row.
"""

from __future__ import annotations

import csv
import math
import os
import random
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from archsearch.arch import ArchConfig, ConfigError
from archsearch.hardware.errors import DataError, PredictorError
from archsearch.hardware.metrics import accuracy
from archsearch.hardware.profile import Profile

MANIFEST = "manifest.csv"
COMMANDS = "benchmark_commands.sh"
COLUMNS = ("name", "config", "file", "ms")
PHONE_DIR = "/data/local/tmp/archsearch"
HOLDOUT_EVERY = 4  # every 4th row (seeded order) is held out for validation


class Measurement(NamedTuple):
    name: str
    config: ArchConfig
    ms: float
    line: int


def diverse_configs(
    spaces: Sequence[str], n: int, base: Profile, seed: int = 0, pool: int = 20
) -> list[ArchConfig]:
    """`n` distinct networks spread evenly (in log time) over the base's predicted latency of `pool * n`
    random candidates from `spaces` (taken in turn), so the set spans fast and slow networks."""
    from archsearch.hardware.calibrate import random_configs

    cands = random_configs(spaces, max(pool * n, n), seed)
    pred = np.log(base.predict_many(cands))
    order = np.argsort(pred)
    targets = np.linspace(pred[order[0]], pred[order[-1]], n)
    chosen: list[int] = []
    for t in targets:  # nearest unused candidate to each target
        free = [i for i in order if i not in chosen]
        chosen.append(min(free, key=lambda i: abs(pred[i] - t)))
    return [cands[i] for i in sorted(chosen, key=lambda i: pred[i])]


def benchmark_commands(files: Sequence[str], threads: int) -> str:
    """The adb lines that time each file with TF-Lite's `benchmark_model` on the phone."""
    head = [
        "#!/bin/sh",
        "# Time each network on an Android phone with TF-Lite's benchmark_model (see README: Calibrate",
        "# your own phone). Put each file's 'Inference (avg)' in ms into the manifest's ms column",
        "# (benchmark_model prints microseconds: divide by 1000).",
        f"adb shell mkdir -p {PHONE_DIR}",
        f"adb push *.tflite {PHONE_DIR}/",
        f"adb push benchmark_model {PHONE_DIR}/ && adb shell chmod +x {PHONE_DIR}/benchmark_model",
    ]
    lines = [
        f"adb shell {PHONE_DIR}/benchmark_model --graph={PHONE_DIR}/{f} --num_threads={threads} "
        f"--use_xnnpack=true --warmup_runs=5 --num_runs=50 2>&1 | grep 'Inference (avg)' | sed 's|^|{f}: |'"
        for f in files
    ]
    return "\n".join(head + lines) + "\n"


def export_set(
    out: Path,
    cfgs: Sequence[ArchConfig],
    threads: int = 1,
    log: Callable[[str], None] = print,
) -> Path:
    """Write the kit into `out` (which must not exist or be empty): staged in a sibling folder and
    renamed, so a failure (a conversion, the extra missing, an interrupt) leaves nothing behind."""
    from archsearch.hardware.litert_timing import cached_tflite

    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise DataError(f"{out} exists and is not an empty folder; choose another --export-set folder")
    stage = out.parent / f".{out.name}.partial-{os.getpid()}"
    try:
        stage.mkdir(parents=True)
        rows = []
        for i, cfg in enumerate(cfgs, 1):
            name = cfg.name or cfg.id
            file = f"{i:03d}_{name}.tflite"
            shutil.copyfile(cached_tflite(cfg), stage / file)
            rows.append({"name": name, "config": cfg.to_json(), "file": file, "ms": ""})
            log(f"  {i}/{len(cfgs)} {file}")
        with (stage / MANIFEST).open("w", newline="") as f:
            w = csv.DictWriter(f, COLUMNS, lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
        (stage / COMMANDS).write_text(benchmark_commands([r["file"] for r in rows], threads))
        if out.exists():
            out.rmdir()
        out.parent.mkdir(parents=True, exist_ok=True)
        os.replace(stage, out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return out / MANIFEST


def read_manifest(path: str | Path) -> list[Measurement]:
    """The rows of a filled manifest; any missing, non-numeric or non-positive `ms`, or a config that
    does not decode, is a DataError naming the line."""
    path = Path(path)
    try:
        f = path.open(newline="")
    except OSError as e:
        raise DataError(f"{path}: cannot read: {e.strerror}") from None
    out = []
    with f:
        reader = csv.DictReader(f)
        missing = [c for c in ("name", "config", "ms") if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError(f"{path}: line 1: missing column(s) {', '.join(missing)}; a manifest has "
                            f"{', '.join(COLUMNS)}")  # fmt: skip
        try:
            for r in reader:
                line = reader.line_num
                text = (r["ms"] or "").strip()
                try:
                    ms = float(text)
                except ValueError:
                    why = (
                        "is empty (time this network on the device)"
                        if not text
                        else f"is not a number: {text!r}"
                    )
                    raise DataError(f"{path}: line {line}: ms {why}") from None
                if not (math.isfinite(ms) and ms > 0):
                    raise DataError(f"{path}: line {line}: ms must be a positive number, got {text!r}")
                try:
                    cfg = ArchConfig.from_json(r["config"] or "")
                except (ConfigError, ValueError, TypeError, KeyError, AttributeError) as e:
                    raise DataError(f"{path}: line {line}: config: {str(e).splitlines()[0]}") from None
                out.append(Measurement(r["name"] or cfg.id, cfg, ms, line))
        except (csv.Error, UnicodeDecodeError) as e:
            raise DataError(f"{path}: line {reader.line_num}: not a readable CSV: {e}") from None
    if len(out) < 4:
        raise DataError(f"{path}: {len(out)} measured networks; the kit needs at least 4 (8 or more advised)")
    return out


def holdout_split(n: int, seed: int = 0) -> list[bool]:
    """Which of `n` rows are held out: every HOLDOUT_EVERY-th of a seeded order (at least one)."""
    order = random.Random(seed).sample(range(n), n)
    held = {i for j, i in enumerate(order) if j % HOLDOUT_EVERY == HOLDOUT_EVERY - 1} or {order[0]}
    return [i in held for i in range(n)]


class KitFit(NamedTuple):
    predictor: object  # transfer.Transfer
    held: list[Measurement]
    predicted: list[float]  # for `held`, by a fit that never saw them
    validation: dict


def fit_measurements(
    rows: Sequence[Measurement],
    base: Profile,
    anchors: Sequence[tuple[ArchConfig, float]] = (),
    seed: int = 0,
    source: str = MANIFEST,
) -> KitFit:
    """Transfer `base` (a local LiteRT profile) to the device: fit on the non-held-out rows (and the
    anchors, each one whole-network point), score the held-out rows, then refit on everything."""
    from archsearch.hardware.predictors import KernelLinear
    from archsearch.hardware.transfer import NetworkPoint, fit_transfer

    if not isinstance(base.predictor, KernelLinear) or base.scale != 1.0:
        raise PredictorError(f"base profile {base.name!r} must be an unanchored kernel-linear profile of "
                             "local LiteRT times (e.g. local-litert)")  # fmt: skip
    held_mask = holdout_split(len(rows), seed)
    extra = [NetworkPoint(c, ms) for c, ms in anchors]
    train = [NetworkPoint(r.config, r.ms) for r, h in zip(rows, held_mask, strict=True) if not h] + extra
    held = [r for r, h in zip(rows, held_mask, strict=True) if h]
    pred = [float(p) for p in fit_transfer(base.predictor, (), train).predict_many([r.config for r in held])]
    validation = {"held_out": {"set": f"{len(held)} of {len(rows)} networks of {source} (every "
                                      f"{HOLDOUT_EVERY}th, seed {seed}) left out of the fit",
                               **accuracy(pred, [r.ms for r in held])}}  # fmt: skip
    everything = [NetworkPoint(r.config, r.ms) for r in rows] + extra
    return KitFit(fit_transfer(base.predictor, (), everything), held, pred, validation)


def profile_from_measurements(
    name: str,
    manifest: str | Path,
    base: Profile,
    anchors: Sequence[tuple[str, ArchConfig, float]] = (),
    device: str | None = None,
    runtime: str | None = None,
    threads: int | None = 1,
    seed: int = 0,
) -> tuple[Profile, KitFit]:
    """The device's profile from a filled manifest (see `fit_measurements`), with its provenance."""
    from archsearch.hardware.calibrate import TODAY, shared_name

    rows = read_manifest(manifest)
    fit = fit_measurements(rows, base, [(c, ms) for _, c, ms in anchors], seed, Path(manifest).name)
    t = fit.predictor
    profile = Profile(
        name=name, device=device or f"device measured with the calibration kit ({Path(manifest).name})",
        runtime=runtime or "TF-Lite benchmark_model (XNNPACK, float32)", precision="float32", batch=1,
        threads=threads, predictor=t, validation=fit.validation,
        provenance={"source": "kit", "data": shared_name(Path(manifest)), "base": base.name, "date": TODAY,
                    "samples": len(rows) + len(anchors),
                    "method": f"few-shot transfer of {base.name} (local LiteRT kernel model): device ms = "
                              f"{t.scale:.4g} * local^{t.exponent:.4f}, fitted on {len(rows)} measured whole "
                              f"networks" + (f" and {len(anchors)} anchor(s), each one point" if anchors else "")},
    )  # fmt: skip
    profile.anchors = [{"network": n, "measured_ms": ms, "predicted_ms": round(profile.predict(c), 3)}
                       for n, c, ms in anchors]  # fmt: skip
    return profile, fit
