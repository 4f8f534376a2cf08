"""`archsearch` command line: thin argument parsing that calls the library.

Each command group lives in its own module with a `register(subparsers)` function. Bad input raises
one of `USER_ERRORS` and becomes a one-line message on stderr with exit code 2, never a traceback."""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
from collections.abc import Sequence

from archsearch.accuracy.anb import AnbDataError
from archsearch.accuracy.base import EstimatorError
from archsearch.arch import ConfigError
from archsearch.export import ExportError
from archsearch.hardware.errors import HARDWARE_ERRORS
from archsearch.proxies.errors import DatasetError, ProxyError
from archsearch.resources import UnknownNameError
from archsearch.runs import RunError
from archsearch.search.budget import BudgetError
from archsearch.shared import SharedDataMissing
from archsearch.spaces import SpaceError

COMMAND_MODULES = [
    "spaces_cmd",
    "baselines_cmd",
    "profiles_cmd",
    "calibrate_cmd",
    "proxies_cmd",
    "estimators_cmd",
    "run_cmd",
    "report_cmd",
    "dashboard_cmd",
    "export_cmd",
]


class UsageError(ValueError):
    """Bad command-line input detected by a command."""


USER_ERRORS: tuple[type[BaseException], ...] = (
    UsageError,
    ConfigError,
    SpaceError,
    UnknownNameError,
    BudgetError,
    RunError,
    ProxyError,
    DatasetError,
    SharedDataMissing,
    ExportError,
    EstimatorError,
    AnbDataError,
    *HARDWARE_ERRORS,
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse prints the whole usage)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="archsearch", description="Hardware-aware NAS and benchmarking for mobile CNNs.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(f"archsearch.cli.{name}").register(sub)
    return p


def add_format(p: argparse.ArgumentParser) -> None:
    from archsearch.output import FORMATS

    p.add_argument(
        "--format", choices=FORMATS, default="table", help="output format (csv/json: exact integers)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except USER_ERRORS as e:
        sys.stderr.write(f"archsearch: error: {e}\n")
        return 2
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        sys.stderr.write("archsearch: interrupted\n")
        return 130
    except BrokenPipeError:
        return 0
