"""`archsearch export`: a baseline, a config file or search trials as py / json / onnx / timm files."""

from __future__ import annotations

import argparse
from pathlib import Path

from archsearch.cli import UsageError
from archsearch.export import FORMATS

EPILOG = """formats: py = standalone torch-only file (config rows + builder; same module names as archsearch, so
weights load both ways), json = ArchConfig JSON (accepted by --config), onnx = checked with ONNX Runtime,
timm = timm arch strings (refused, with the reason, where timm cannot express the network).
Trained weights of a run's finalist are written beside py/json exports (<name>.pt) and embedded in onnx.
Existing files are never overwritten without --force; a refused export writes nothing."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export a baseline, config or search trial as py/json/onnx/timm",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument(
        "run",
        nargs="?",
        help="run id (under --runs-dir) or run directory, with --trial/--pareto/--best-under-latency",
    )
    pick = p.add_mutually_exclusive_group(required=True)
    pick.add_argument("--trial", type=int, metavar="ID", help="the trial with this number")
    pick.add_argument("--pareto", action="store_true", help="every trial on the run's Pareto front")
    pick.add_argument("--best-under-latency", type=float, metavar="MS",
                      help="the best feasible finalist with predicted latency <= MS milliseconds")  # fmt: skip
    pick.add_argument(
        "--baseline",
        metavar="NAME",
        help="a baseline, e.g. mobilenet_v2-1.0-224 (see 'archsearch baselines')",
    )
    pick.add_argument("--config", metavar="FILE.json", help="an ArchConfig or TaskNet JSON file")
    p.add_argument("--task", metavar="TASK", help="with --baseline/--config: the whole detection / segmentation "
                   "network of that backbone (a task baseline name or TaskNet JSON carries its own task)")  # fmt: skip
    p.add_argument("--format", choices=FORMATS, default="py", help="what to write (default: py)")
    p.add_argument(
        "--out", metavar="DIR", help="output folder (default: RUN/exports for runs, ./exports otherwise)"
    )
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.add_argument(
        "--runs-dir", default="runs", metavar="DIR", help="where run ids are looked up (default: runs)"
    )
    p.set_defaults(func=run)


def _targets(args: argparse.Namespace) -> tuple[list, Path]:
    """The networks to export and the output folder (library imported here: pandas/torch load slowly)."""
    from archsearch.export.exporter import baseline_target, config_file_target, trial_target
    from archsearch.export.run_reader import open_run, select_best_under_latency, select_pareto, select_trial

    from_run = args.trial is not None or args.pareto or args.best_under_latency is not None
    if from_run and not args.run:
        raise UsageError("--trial/--pareto/--best-under-latency need a RUN (id or directory)")
    if from_run and args.task:
        raise UsageError("--task goes with --baseline/--config; a run's trials have the run's task")
    if not from_run:
        if args.run:
            raise UsageError(f"RUN {args.run!r} given with --baseline/--config; pick one source")
        target = (
            baseline_target(args.baseline, args.task)
            if args.baseline
            else config_file_target(args.config, args.task)
        )
        return [target], Path(args.out or "exports")
    if args.best_under_latency is not None and not args.best_under_latency > 0:
        raise UsageError(
            f"--best-under-latency must be a positive number of ms, got {args.best_under_latency:g}"
        )
    r = open_run(args.run, Path(args.runs_dir))
    if args.trial is not None:
        rows = [select_trial(r, args.trial)]
    elif args.pareto:
        rows = select_pareto(r)
    else:
        rows = [select_best_under_latency(r, args.best_under_latency)]
    return [trial_target(r, row) for row in rows], Path(args.out) if args.out else r.dir.exports_dir


def run(args: argparse.Namespace) -> int:
    from archsearch.export.exporter import render, write_files

    targets, out = _targets(args)
    files: dict[str, bytes] = {}
    notes: dict[str, str] = {}
    for t in targets:  # render everything before writing anything
        rendered = render(t, args.format)
        files.update(rendered.files)
        notes.update(rendered.notes)
    for path in write_files(files, out, args.force):
        note = notes.get(path.name)
        print(f"wrote {path}" + (f"  ({note})" if note else ""))
    return 0
