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
        "with the run's Pareto fronts against the MobileNetV2/ReXNet baselines (predicted and published "
        "top-1), the finalists' margins over them and the verdict, the score's held-out figures, hover "
        "details, search progress, latency provenance and the finalists' export commands.",
    )
    p.add_argument("run", metavar="RUN", help="run id (under --runs-dir) or run folder")
    p.add_argument(
        "--runs-dir", default="runs", metavar="DIR", help="where run ids are looked up (default: runs)"
    )
    add_format(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import textwrap

    from archsearch.report.dashboard import summary, write_dashboard
    from archsearch.report.data import run_data
    from archsearch.report.estimator import Score, comparisons, figures_line, verdict_line

    data = run_data(args.run, args.runs_dir)
    path = write_dashboard(data)
    score = Score.of(data.meta)
    line = verdict_line(score, comparisons(data.trials, data.baselines), len(data.baselines))
    row = {**summary(data), "dashboard": str(path), "bytes": path.stat().st_size}
    if args.format != "table":  # the page's verdict and score, for scripts
        row.update(score_label=score.label, verdict=line)
    print(render([row], args.format, digits=4))
    if args.format == "table":
        print(f"\n{line}.\n" + textwrap.fill(figures_line(score), 100))
    return 0
