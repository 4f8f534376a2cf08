"""The `--baseline NAME` / `--config FILE.json` arguments shared by the commands that take networks
(`predict`, `measure`, `calibrate --anchor`), and reading them into configs."""

from __future__ import annotations

import argparse
from pathlib import Path

from archsearch.arch import ArchConfig
from archsearch.cli import UsageError


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


def published_configs(args: argparse.Namespace) -> list[tuple[ArchConfig, float | None]]:
    """--baseline then --config networks in order, each with its published top-1 (None for configs)."""
    from archsearch.baselines import get_baseline

    baselines = [get_baseline(b) for b in args.baseline]
    cfgs = [(b.config, b.top1) for b in baselines] + [(read_config(c), None) for c in args.config]
    if not cfgs:
        raise UsageError("give at least one --baseline NAME or --config FILE.json")
    return cfgs


def configs_from_args(args: argparse.Namespace) -> list[ArchConfig]:
    return [cfg for cfg, _ in published_configs(args)]
