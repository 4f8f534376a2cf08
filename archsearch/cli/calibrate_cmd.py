"""`archsearch measure` (time networks here) and `archsearch calibrate` (fit, validate, anchor profiles)."""

from __future__ import annotations

import argparse
import contextlib
import re
import sys
from pathlib import Path

from archsearch.arch import ArchConfig
from archsearch.cli import UsageError, add_format
from archsearch.cli.profiles_cmd import add_config_args, configs_from_args, read_config
from archsearch.output import render

LOCAL_RUNTIMES = ("torch", "onnxruntime", "litert", "cuda")  # hardware/measure.RUNTIMES


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "measure", help="time networks on this machine (warm-up, fixed threads, median and spread)"
    )
    p.add_argument("--hw", help="a profile measured on this machine (e.g. local-cpu): its runtime and threads, "
                               "and its prediction beside the measurement")  # fmt: skip
    add_config_args(p)
    p.add_argument("--space", help="measure random networks of this space (with --random N)")
    p.add_argument("--random", type=int, default=0, metavar="N", help="number of random networks of --space")
    p.add_argument("--seed", type=int, default=0)
    _add_timing_args(p)
    add_format(p)
    p.set_defaults(func=run_measure)

    p = sub.add_parser("calibrate", help="fit a hardware profile from a lookup table, a CSV, or measurements here; "
                                         "or correct one with --anchor")  # fmt: skip
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
    p.add_argument(
        "--column", "--latency-column", dest="column", help="latency column of --from-csv, e.g. v100_64_ms"
    )
    p.add_argument("--config-column", help="config JSON column of --from-csv (default: 'config' if present)")
    p.add_argument("--name", help="name of the profile to write (with --from-lut / --from-csv)")
    p.add_argument("--hw", help="profile to anchor (with --anchor) or to measure here (without)")
    p.add_argument("--anchor", action="append", default=[], metavar="NET=MS",
                   help="whole-network latency measured on the real device: a baseline name or config JSON "
                        "and milliseconds, e.g. mobilenet_v2-1.0-224=73.8 (repeatable)")  # fmt: skip
    p.add_argument("--predictor", default="kernel-linear", help="predictor kind (kernel-linear, block-table)")
    p.add_argument("--device", help="device description written into the profile")
    p.add_argument("--runtime-name", help="runtime description written into the profile (e.g. 'TF-Lite 1.x')")
    p.add_argument("--batch", type=int, help="batch size of the data (default: from the CSV column, else 1)")
    p.add_argument("--out", help="profile path (default: hardware_profiles/<name>.yaml)")
    p.add_argument(
        "--networks", type=int, default=160, help="random networks to measure for calibration here"
    )
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
    from archsearch.hardware.measure import measure

    profile = _local_profile(args.hw) if args.hw else None
    runtime = args.runtime or (profile.provenance.get("runtime_key", "torch") if profile else "torch")
    threads = args.threads or (profile.threads if profile else 1)
    _check_timing(args, threads)
    cfgs = _measure_configs(args)
    rows = []
    for cfg in cfgs:
        t = measure(cfg, runtime, threads, warmup=args.warmup, repeats=args.repeats)
        row = {"name": cfg.name or cfg.id, "macs": cost(cfg).macs, "runtime": runtime, "threads": threads,
               "median_ms": round(t.median_ms, 4), "min_ms": round(t.min_ms, 4), "spread_pct": round(t.spread_pct, 2),
               "repeats": t.repeats}  # fmt: skip
        if profile:
            pred = profile.predict(cfg)
            # local profiles are fitted on the fastest repeat (see hardware/measure.py)
            row.update(predicted_ms=round(pred, 4), error_pct=round(100 * (pred - t.min_ms) / t.min_ms, 2))
        rows.append(row)
    print(render(rows, args.format))
    return 0


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


def _apply_anchors(profile, anchors: list[tuple[str, ArchConfig, float]]) -> None:
    from archsearch.hardware.calibrate import anchor_scale

    if not anchors:
        return
    profile.scale = anchor_scale(profile.predictor, [(c, ms) for _, c, ms in anchors])
    profile.anchors = [{"network": n, "measured_ms": ms, "predicted_ms": round(profile.predict(c), 3)}
                       for n, c, ms in anchors]  # fmt: skip


def _lut_files(specs: list[str]) -> list[Path]:
    files: list[Path] = []
    for s in specs:
        p = Path(s)
        if p.is_dir():
            found = sorted(p.glob("*.yaml"))
            if not found:
                raise UsageError(f"--from-lut {s}: folder has no .yaml tables")
            files += found
        elif p.is_file():
            files.append(p)
        else:
            raise UsageError(f"--from-lut {s}: no such file or folder")
    return files


def run_calibrate(args: argparse.Namespace) -> int:
    from archsearch.hardware.predictors import PREDICTORS

    if args.predictor not in PREDICTORS:
        raise UsageError(f"unknown predictor {args.predictor!r}; available: {', '.join(PREDICTORS)}")
    anchors = _parse_anchors(args.anchor)
    if args.from_lut or args.from_csv:
        if not args.name:
            raise UsageError("--from-lut / --from-csv need --name NAME for the profile to write")
        profile = _from_lut(args) if args.from_lut else _from_csv(args)
    elif args.hw and anchors:
        from archsearch.hardware import load_profile

        profile = load_profile(args.hw)
    elif args.hw:
        profile = _here(args)
    else:
        raise UsageError("give --from-lut FILE --name N, --from-csv FILE --column C --name N, --hw NAME --anchor NET=MS, "
                         "or --hw NAME to measure here")  # fmt: skip
    _apply_anchors(profile, anchors)
    if args.name:
        profile.name = args.name
    out = Path(args.out or Path("hardware_profiles") / f"{profile.name}.yaml")
    profile.save(out)
    rows = [{"profile": profile.name, "validation": k, **{c: v.get(c) for c in ("n", "mape", "within_5", "within_10", "kendall_tau")},
             "set": v.get("set", "")} for k, v in profile.validation.items()]  # fmt: skip
    rows += [{"profile": profile.name, "validation": f"anchor {a['network']}", "n": 1,
              "mape": round(100 * abs(a["predicted_ms"] - a["measured_ms"]) / a["measured_ms"], 2),
              "set": f"measured {a['measured_ms']} ms, predicted {a['predicted_ms']} ms after scale {profile.scale:.4f}"}
             for a in profile.anchors]  # fmt: skip
    print(render(rows, args.format))
    print(f"wrote {out}", file=sys.stderr)
    return 0


def _profile(args: argparse.Namespace, fit, device: str, runtime: str, batch: int, provenance: dict):
    from archsearch.hardware.profile import Profile

    return Profile(name=args.name, device=args.device or device, runtime=args.runtime_name or runtime, precision="float32",
                   batch=args.batch or batch, threads=args.threads, predictor=fit.predictor, provenance=provenance,
                   validation=fit.validation)  # fmt: skip


def _from_lut(args: argparse.Namespace):
    from archsearch.hardware.calibrate import TODAY, fit_lut

    files = _lut_files(args.from_lut)
    fit = fit_lut(files, args.predictor)
    prov = {"source": "lut", "data": [_shared_name(f) for f in files], "date": TODAY, "samples": fit.samples,
            "method": "per-block lookup table entries (blocks timed one at a time), relative-error NNLS"}  # fmt: skip
    return _profile(args, fit, "unknown device (lookup table)", "unknown runtime", 1, prov)


def _from_csv(args: argparse.Namespace):
    from archsearch.hardware.calibrate import TODAY, fit_csv

    if not args.column:
        raise UsageError("--from-csv needs --column COL (a <device>_ms column)")
    fit = fit_csv(args.from_csv, args.column, args.predictor, args.config_column)
    m = re.fullmatch(r"(.+?)(?:_(\d+))?_ms", args.column)
    device, batch = (m.group(1), int(m.group(2) or 1)) if m else (args.column, 1)
    prov = {"source": "csv", "data": _shared_name(Path(args.from_csv)), "column": args.column, "date": TODAY,
            "samples": fit.samples, "method": "split=calibration whole-network rows, relative-error NNLS over "
            "per-kernel-group feature sums; split=holdout rows only scored"}  # fmt: skip
    return _profile(args, fit, device, "as measured in the source data", batch, prov)


def _shared_name(p: Path) -> str:
    """The data file as `latency/<file>` when it lies in the shared data folder (no absolute paths)."""
    parts = p.resolve().parts
    return "/".join(parts[parts.index("data") + 1 :]) if "data" in parts else p.name


def _here(args: argparse.Namespace):
    from archsearch.hardware.calibrate import calibrate_here, write_measurements
    from archsearch.hardware.plot import validation_plot
    from archsearch.resources import UnknownNameError

    name = Path(args.hw).stem
    with contextlib.suppress(UnknownNameError):  # a new local profile is fine
        _local_profile(args.hw)
    threads = args.threads or 1
    _check_timing(args, threads)
    if args.networks < 2 or args.validate < 2 or args.rounds < 1:
        raise UsageError("--networks and --validate must be >= 2, --rounds >= 1")
    log = lambda msg: print(msg, file=sys.stderr)  # noqa: E731
    profile, sets, pred = calibrate_here(
        name, runtime=args.runtime or "torch", threads=threads, n_cal=args.networks, n_val=args.validate,
        repeats=args.repeats, rounds=args.rounds, kind=args.predictor, seed=args.seed, log=log,
    )  # fmt: skip
    out_dir = Path(args.out).parent if args.out else Path("hardware_profiles")
    out_dir.mkdir(parents=True, exist_ok=True)
    write_measurements(out_dir / f"{name}.measurements.csv", sets)
    val = sets["validation"]
    plot = validation_plot(pred, [m.ms for m in val], [m.config.name for m in val],
                           f"{name}: predicted vs measured on {len(val)} unseen networks",
                           args.plot or f"runs/calibrate-{name}.html")  # fmt: skip
    log(f"wrote {plot}")
    if args.format == "table":
        rows = [{"network": m.config.name, "measured_ms": m.ms, "predicted_ms": p, "error_pct": 100 * (p - m.ms) / m.ms,
                 "spread_pct": m.spread_pct, "rerun_pct": m.rerun_pct} for m, p in zip(val, pred, strict=True)]  # fmt: skip
        print(render(rows, "table"))
        print()
    return profile
