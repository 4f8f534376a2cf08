"""`archsearch profiles` (list hardware profiles) and `archsearch predict` (latency of configs)."""

from __future__ import annotations

import argparse
from pathlib import Path

from archsearch.arch import ArchConfig
from archsearch.cli import UsageError, add_format
from archsearch.output import render


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("profiles", help="list hardware profiles with their validation figures")
    add_format(p)
    p.set_defaults(func=run_profiles)

    p = sub.add_parser(
        "predict", help="predicted latency (ms) of baselines or config files on a hardware profile"
    )
    p.add_argument(
        "--hw", required=True, help="hardware profile name or YAML path (see 'archsearch profiles')"
    )
    add_config_args(p)
    add_format(p)
    p.set_defaults(func=run_predict)


def add_config_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--baseline",
        action="append",
        default=[],
        help="baseline name, e.g. mobilenet_v2-1.0-224 (repeatable)",
    )
    p.add_argument("--config", action="append", default=[], help="architecture config JSON file (repeatable)")


def read_config(path: str) -> ArchConfig:
    try:
        text = Path(path).read_text()
    except OSError as e:
        raise UsageError(f"cannot read config {path}: {e.strerror}") from None
    cfg = ArchConfig.from_json(text)
    return cfg if cfg.name else cfg.with_(name=Path(path).stem)


def configs_from_args(args: argparse.Namespace) -> list[ArchConfig]:
    from archsearch.baselines import get_baseline

    cfgs = [get_baseline(b).config for b in args.baseline] + [read_config(c) for c in args.config]
    if not cfgs:
        raise UsageError("give at least one --baseline NAME or --config FILE.json")
    return cfgs


def _summary(v: dict) -> dict:
    first = next(iter(v.values()), {}) if v else {}
    return {"validated_on": first.get("set", ""), "n": first.get("n"), "mape": first.get("mape"),
            "within_10": first.get("within_10"), "kendall_tau": first.get("kendall_tau")}  # fmt: skip


def run_profiles(args: argparse.Namespace) -> int:
    from archsearch.hardware import list_profiles, load_profile

    rows = []
    for name in list_profiles():
        p = load_profile(name)
        rows.append({"name": p.name, "device": p.device, "runtime": p.runtime, "batch": p.batch, "threads": p.threads,
                     "predictor": p.predictor.kind, "samples": p.provenance.get("samples"),
                     "anchors": len(p.anchors), **_summary(p.validation)})  # fmt: skip
    if args.format == "table":
        cols = [
            "name",
            "device",
            "runtime",
            "batch",
            "threads",
            "predictor",
            "samples",
            "anchors",
            "n",
            "mape",
            "within_10",
            "kendall_tau",
        ]
        print(render(rows, "table", cols))
        print("\nmape / within_10 (% of networks within +-10%) / kendall_tau: on data the profile was not fitted on "
              "(see validated_on in --format csv|json).")  # fmt: skip
    else:
        print(render(rows, args.format))
    return 0


def run_predict(args: argparse.Namespace) -> int:
    from archsearch.cost import cost
    from archsearch.hardware import load_profile

    profile = load_profile(args.hw)
    rows = []
    for cfg in configs_from_args(args):
        rows.append({"name": cfg.name or cfg.id, "resolution": cfg.resolution, "macs": cost(cfg).macs,
                     "profile": profile.name, "latency_ms": round(profile.predict(cfg), 4)})  # fmt: skip
    print(render(rows, args.format))
    return 0
