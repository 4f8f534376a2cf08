"""`archsearch measure` (time networks here) and `archsearch calibrate` (fit, validate, anchor profiles;
the on-device kit). Parses arguments and calls `archsearch.hardware`; builds nothing itself."""

from __future__ import annotations

import argparse
import contextlib
import re
import sys
from pathlib import Path

from archsearch.arch import ArchConfig
from archsearch.cli import UsageError, add_format
from archsearch.cli.config_args import add_config_args, configs_from_args, read_config
from archsearch.output import render

LOCAL_RUNTIMES = ("torch", "onnxruntime", "litert", "cuda")  # hardware/measure.RUNTIMES
KIT_NETWORKS = 32


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "measure", help="time networks on this machine (warm-up, fixed threads, median and spread)"
    )
    p.add_argument("--hw", help="a profile measured on this machine (e.g. local-cpu): its runtime and threads, "
                               "and its prediction beside the measurement")  # fmt: skip
    add_config_args(p)
    p.add_argument("--tflite", action="append", default=[], metavar="FILE",
                   help="a .tflite file to time with LiteRT (repeatable; e.g. a calibration kit's files)")  # fmt: skip
    p.add_argument("--space", help="measure random networks of this space (with --random N)")
    p.add_argument("--random", type=int, default=0, metavar="N", help="number of random networks of --space")
    p.add_argument("--seed", type=int, default=0)
    _add_timing_args(p)
    add_format(p)
    p.set_defaults(func=run_measure)

    p = sub.add_parser("calibrate", help="fit a hardware profile from a lookup table, a CSV, measurements here or "
                                         "a phone's (the calibration kit); or correct one with --anchor")  # fmt: skip
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "--from-lut", nargs="+", metavar="FILE", help="per-block lookup table(s) (YAML) or a folder of them"
    )
    src.add_argument(
        "--from-csv",
        metavar="FILE",
        help="whole-network latency CSV: a config JSON column or a space encoding "
        "(Accel-NASBench, ofa, fbnet), a latency column, optionally split (else every 5th row is held out)",
    )
    src.add_argument("--export-set", metavar="DIR", help="write the calibration kit: --networks diverse networks "
                     "as .tflite, a manifest CSV with an empty ms column, and benchmark_model adb commands")  # fmt: skip
    src.add_argument("--from-measurements", metavar="MANIFEST", help="a kit manifest with the phone's ms filled "
                     "in: fit a profile (few-shot transfer of --base), validated on a held-out quarter")  # fmt: skip
    p.add_argument(
        "--column", "--latency-column", dest="column", help="latency column of --from-csv, e.g. v100_64_ms"
    )
    p.add_argument("--config-column", help="config JSON column of --from-csv (default: 'config' if present)")
    p.add_argument(
        "--name", help="name of the profile to write (with --from-lut / --from-csv / --from-measurements)"
    )
    p.add_argument("--hw", help="profile to anchor (with --anchor) or to measure here (without)")
    p.add_argument("--anchor", action="append", default=[], metavar="NET=MS",
                   help="whole-network latency measured on the real device: a baseline name or config JSON "
                        "and milliseconds, e.g. mobilenet_v2-1.0-224=73.8 (repeatable)")  # fmt: skip
    p.add_argument("--predictor", default="kernel-linear", help="predictor kind (kernel-linear, block-table)")
    p.add_argument("--device", help="device description written into the profile")
    p.add_argument("--runtime-name", help="runtime description written into the profile (e.g. 'TF-Lite 1.x')")
    p.add_argument("--batch", type=int, help="batch size of the data (default: from the CSV column, else 1)")
    p.add_argument("--out", help="profile path (default: hardware_profiles/<name>.yaml)")
    p.add_argument("--networks", type=int, help="random networks to measure for calibration here (default 160), "
                   f"or to put in the --export-set kit (default {KIT_NETWORKS})")  # fmt: skip
    p.add_argument("--space", action="append", default=[], metavar="S",
                   help="--export-set: space(s) to draw the kit's networks from (default: mbv2 and rexnet)")  # fmt: skip
    p.add_argument("--base", default="local-litert",
                   help="--export-set / --from-measurements: local LiteRT profile the device is transferred from")  # fmt: skip
    p.add_argument("--validate", type=int, default=48, help="unseen random networks to validate on here")
    p.add_argument("--plot", help="predicted-vs-measured HTML (default: runs/calibrate-<name>.html)")
    p.add_argument(
        "--rounds", type=int, default=3, help="measurement rounds here (each network's fastest is kept)"
    )
    p.add_argument("--seed", type=int, default=0)
    _add_timing_args(p)
    add_format(p)
    p.set_defaults(func=run_calibrate, repeats=10)


def _add_timing_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--runtime", choices=LOCAL_RUNTIMES, help="runtime to time (default: the profile's, else torch)"
    )
    p.add_argument("--threads", type=int, help="threads (default: the profile's, else 1)")
    p.add_argument("--repeats", type=int, default=15, help="timed repeats (median and spread reported)")
    p.add_argument("--warmup", type=int, default=3, help="untimed warm-up runs")
    p.add_argument("--reference", metavar="BASELINE|none",
                   help="time each repeat between runs of this baseline and report the ratio times its fastest "
                        "run, which cancels the host's slow spells (calibrate default: mobilenet_v2-1.0-224; "
                        "measure default: the --hw profile's reference, else none)")  # fmt: skip


# ---------------------------------------------------------------------------------------------------
# measure


def _local_profile(name: str):  # -> Profile
    from archsearch.hardware import load_profile

    profile = load_profile(name)
    if profile.provenance.get("source") != "local":
        raise UsageError(f"profile {profile.name!r} was not measured on this machine ({profile.device}); "
                         "measure with a local profile such as local-cpu, or none")  # fmt: skip
    return profile


def run_measure(args: argparse.Namespace) -> int:
    from archsearch.cost import cost
    from archsearch.hardware.litert_timing import tflite_runner
    from archsearch.hardware.measure import runner

    profile = _local_profile(args.hw) if args.hw else None
    default = "litert" if args.tflite and not (args.baseline or args.config or args.space) else "torch"
    runtime = args.runtime or (profile.provenance.get("runtime_key", default) if profile else default)
    threads = args.threads or (profile.threads if profile else 1)
    _check_timing(args, threads)
    if args.tflite and runtime != "litert":
        raise UsageError(f"--tflite files run on LiteRT; --runtime {runtime} cannot time them")
    jobs = [({"name": Path(f).name}, None, tflite_runner(f, threads)) for f in args.tflite]
    cfgs = _measure_configs(args) if not args.tflite or args.baseline or args.config or args.space else []
    jobs += [
        ({"name": cfg.name or cfg.id, "macs": cost(cfg).macs}, cfg, runner(cfg, runtime, threads))
        for cfg in cfgs
    ]
    reference = _reference(args, profile.provenance.get("reference") if profile else None)
    rows = _time_jobs(jobs, reference, runtime, threads, args)
    for (_, cfg, _), row in zip(jobs, rows, strict=True):
        if profile and cfg is not None:
            pred, ms = profile.predict(cfg), row["ms"]
            # local profiles are fitted on the fastest repeat, or the reference-scaled time
            row.update(predicted_ms=round(pred, 4), error_pct=round(100 * (pred - ms) / ms, 2))
    print(render(rows, args.format))
    return 0


def _reference(args: argparse.Namespace, default: str | None) -> str | None:
    """The baseline named by --reference ('none' for none), else `default`; checked here (exit 2)."""
    from archsearch.baselines import get_baseline

    name = args.reference or default
    if not name or name == "none":
        return None
    get_baseline(name)  # an unknown name is a one-line error
    return name


def _time_jobs(
    jobs: list, reference: str | None, runtime: str, threads: int, args: argparse.Namespace
) -> list[dict]:
    """Rows of figures for (row, config, runner) jobs: without a reference the median, fastest and
    spread of the repeats (`ms` is the fastest); with one, the median ratio to it and `ms` = that ratio
    times the reference's fastest run in this session."""
    from archsearch.baselines import get_baseline
    from archsearch.hardware.measure import clock, reference_timer, time_runner

    base = {"runtime": runtime, "threads": threads, "repeats": args.repeats}
    if reference is None:
        rows = []
        for row, _, run in jobs:
            t = time_runner(run, args.warmup, args.repeats, clock(runtime, threads))
            rows.append({**row, **base, "ms": round(t.min_ms, 4), "median_ms": round(t.median_ms, 4),
                         "spread_pct": round(t.spread_pct, 2)})  # fmt: skip
        return rows
    timer = reference_timer(get_baseline(reference).config, runtime, threads)
    rel = [timer.relative(run, args.warmup, args.repeats) for _, _, run in jobs]
    return [{**row, **base, "ms": round(r.ratio * timer.reference_ms, 4), "ratio": round(r.ratio, 5),
             "spread_pct": round(r.spread_pct, 2), "reference": reference,
             "reference_ms": round(timer.reference_ms, 4)} for (row, _, _), r in zip(jobs, rel, strict=True)]  # fmt: skip


def _check_timing(args: argparse.Namespace, threads: int) -> None:
    if threads < 1 or args.repeats < 1 or args.warmup < 0:
        raise UsageError("--threads and --repeats must be >= 1, --warmup >= 0")


def _measure_configs(args: argparse.Namespace) -> list[ArchConfig]:
    cfgs: list[ArchConfig] = []
    if args.space or args.random:
        if not (args.space and args.random > 0):
            raise UsageError("--space S needs --random N (N >= 1), and --random needs --space")
        from archsearch.hardware.calibrate import random_configs

        cfgs = random_configs((args.space,), args.random, args.seed)
    if args.baseline or args.config or not cfgs:
        cfgs += configs_from_args(args)
    return cfgs


# ---------------------------------------------------------------------------------------------------
# calibrate


def _parse_anchors(specs: list[str]) -> list[tuple[str, ArchConfig, float]]:
    from archsearch.baselines import get_baseline

    out = []
    for spec in specs:
        m = re.fullmatch(r"(.+)=([0-9]*\.?[0-9]+(?:[eE][-+]?\d+)?)", spec)
        if not m or float(m.group(2)) <= 0:
            raise UsageError(
                f"--anchor {spec!r}: expected NET=MS with MS > 0, e.g. mobilenet_v2-1.0-224=73.8"
            )
        net = m.group(1)
        cfg = read_config(net) if net.endswith(".json") else get_baseline(net).config
        out.append((net, cfg, float(m.group(2))))
    return out


def run_calibrate(args: argparse.Namespace) -> int:
    from archsearch.hardware import calibrate as cal
    from archsearch.hardware.predictors import PREDICTORS

    if args.predictor not in PREDICTORS:
        raise UsageError(f"unknown predictor {args.predictor!r}; available: {', '.join(PREDICTORS)}")
    if args.export_set:
        return _export_set(args)
    anchors = _parse_anchors(args.anchor)
    described = {
        "device": args.device,
        "runtime": args.runtime_name,
        "batch": args.batch,
        "threads": args.threads,
    }
    if (args.from_lut or args.from_csv or args.from_measurements) and not args.name:
        raise UsageError(
            "--from-lut / --from-csv / --from-measurements need --name NAME for the profile to write"
        )
    if args.from_lut:
        profile = cal.profile_from_lut(args.name, args.from_lut, args.predictor, **described)
    elif args.from_csv:
        if not args.column:
            raise UsageError("--from-csv needs --column COL (a <device>_ms column)")
        profile = cal.profile_from_csv(args.name, args.from_csv, args.column, args.predictor, args.config_column,
                                       **described)  # fmt: skip
    elif args.from_measurements:
        profile = _from_measurements(args, anchors)
        anchors = []  # each anchor was one whole-network point of the transfer, not a rescaling
    elif args.hw and anchors:
        from archsearch.hardware import load_profile

        profile = load_profile(args.hw)
    elif args.hw:
        profile = _here(args)
    else:
        raise UsageError("give --from-lut FILE --name N, --from-csv FILE --column C --name N, --hw NAME --anchor NET=MS, "
                         "--hw NAME to measure here, --export-set DIR, or --from-measurements MANIFEST --name N")  # fmt: skip
    cal.apply_anchors(profile, anchors)
    if args.name:
        profile.name = args.name
    out = Path(args.out or Path("hardware_profiles") / f"{profile.name}.yaml")
    profile.save(out)
    print(render(cal.validation_rows(profile), args.format))
    print(f"wrote {out}", file=sys.stderr)
    return 0


def _log(msg: str) -> None:
    print(msg, file=sys.stderr)


def _export_set(args: argparse.Namespace) -> int:
    from archsearch.hardware import load_profile
    from archsearch.hardware.kit import diverse_configs, export_set

    n = KIT_NETWORKS if args.networks is None else args.networks
    threads = args.threads or 1
    if n < 4 or threads < 1:
        raise UsageError("--networks must be >= 4 for a kit (8 or more advised), --threads >= 1")
    from archsearch.export.tflite_file import interpreter_class

    interpreter_class()  # a missing extra fails here, before any work
    cfgs = diverse_configs(args.space or ("mbv2", "rexnet"), n, load_profile(args.base), args.seed)
    _log(f"writing {n} networks to {args.export_set} (each converted once to TF-Lite, 15-20 s; cached)")
    manifest = export_set(Path(args.export_set), cfgs, threads, _log)
    print(f"wrote {manifest} and {n} .tflite files; time them on the phone with "
          f"{manifest.parent / 'benchmark_commands.sh'}, fill the ms column, then run: archsearch calibrate "
          f"--from-measurements {manifest} --name my-phone")  # fmt: skip
    return 0


def _from_measurements(args: argparse.Namespace, anchors: list[tuple[str, ArchConfig, float]]):
    from archsearch.hardware import load_profile
    from archsearch.hardware.kit import profile_from_measurements
    from archsearch.hardware.plot import validation_plot

    profile, fit = profile_from_measurements(
        args.name, args.from_measurements, load_profile(args.base), anchors, args.device, args.runtime_name,
        args.threads or 1, args.seed,
    )  # fmt: skip
    plot = validation_plot(fit.predicted, [r.ms for r in fit.held], [r.name for r in fit.held],
                           f"{args.name}: predicted vs measured on {len(fit.held)} held-out networks",
                           args.plot or f"runs/calibrate-{args.name}.html")  # fmt: skip
    _log(f"wrote {plot}")
    return profile


def _here(args: argparse.Namespace):
    from archsearch.hardware.calibrate import REFERENCE, calibrate_here, write_measurements
    from archsearch.hardware.plot import validation_plot
    from archsearch.resources import UnknownNameError

    name = Path(args.hw).stem
    with contextlib.suppress(UnknownNameError):  # a new local profile is fine
        _local_profile(args.hw)
    threads = args.threads or 1
    networks = 160 if args.networks is None else args.networks
    _check_timing(args, threads)
    if networks < 2 or args.validate < 2 or args.rounds < 1:
        raise UsageError("--networks and --validate must be >= 2, --rounds >= 1")
    profile, sets, pred = calibrate_here(
        name, runtime=args.runtime or "torch", threads=threads, n_cal=networks, n_val=args.validate,
        repeats=args.repeats, rounds=args.rounds, kind=args.predictor, seed=args.seed, log=_log,
        reference=_reference(args, REFERENCE),
    )  # fmt: skip
    out_dir = Path(args.out).parent if args.out else Path("hardware_profiles")
    out_dir.mkdir(parents=True, exist_ok=True)
    write_measurements(out_dir / f"{name}.measurements.csv", sets)
    val = sets["validation"]
    plot = validation_plot(pred, [m.ms for m in val], [m.config.name for m in val],
                           f"{name}: predicted vs measured on {len(val)} unseen networks",
                           args.plot or f"runs/calibrate-{name}.html")  # fmt: skip
    _log(f"wrote {plot}")
    if args.format == "table":
        rows = [{"network": m.config.name, "measured_ms": m.ms, "predicted_ms": p, "error_pct": 100 * (p - m.ms) / m.ms,
                 "spread_pct": m.spread_pct, "rerun_pct": m.rerun_pct} for m, p in zip(val, pred, strict=True)]  # fmt: skip
        print(render(rows, "table"))
        print()
    return profile
