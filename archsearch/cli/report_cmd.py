"""`archsearch report RUN`: write the run's dashboard.html and print its summary."""

from __future__ import annotations

import argparse

from archsearch.cli import add_format
from archsearch.output import render


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="write a run's dashboard.html (Pareto fronts, baselines, progress, provenance)",
        description="Write RUN/dashboard.html: one self-contained page (plotly.js embedded, works offline) "
        "with the run's Pareto fronts against the MobileNetV2/ReXNet baselines, hover details, search "
        "progress, latency provenance and the finalists' export commands.",
    )
    p.add_argument("run", metavar="RUN", help="run id (under --runs-dir) or run folder")
    p.add_argument(
        "--runs-dir", default="runs", metavar="DIR", help="where run ids are looked up (default: runs)"
    )
    add_format(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from archsearch.report.dashboard import summary, write_dashboard
    from archsearch.report.data import load_run

    data = load_run(args.run, args.runs_dir)
    path = write_dashboard(data)
    row = {**summary(data), "dashboard": str(path), "bytes": path.stat().st_size}
    print(render([row], args.format, digits=4))
    return 0
