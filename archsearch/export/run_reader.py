"""Pick the trials of a search run to export. The run is read by the run model (`archsearch.runs`); a
picked trial is handed to the exporter as a `pd.Series` of its columns."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from archsearch.export import ExportError
from archsearch.runs import Run, RunError, TrialRecord, load_run


def open_run(run: str, runs_dir: Path = Path("runs")) -> Run:
    """A run by id under `runs_dir` or by folder; an unknown or unreadable one is an ExportError."""
    try:
        return load_run(run, runs_dir)
    except RunError as e:
        raise ExportError(str(e)) from None


def _row(rec: TrialRecord) -> pd.Series:
    return pd.Series(rec.row())


def _complete(run: Run, flag: str) -> list[TrialRecord]:
    return [t for t in run.trials if getattr(t, flag) and t.state == "COMPLETE" and t.number is not None]


def select_trial(run: Run, number: int) -> pd.Series:
    rows = [t for t in run.trials if t.number == number]
    if not rows:
        nums = [t.number for t in run.trials if t.number is not None]
        have = f"trials {min(nums)}..{max(nums)}" if nums else "no trials"
        raise ExportError(f"run {run.id} has no trial {number} ({have})")
    row = rows[-1]
    if not row.config_json.strip():
        raise ExportError(f"run {run.id}: trial {number} has no config (state {row.state})")
    return _row(row)


def select_pareto(run: Run) -> list[pd.Series]:
    """The run's Pareto-front trials (completed, as the search marked them)."""
    front = _complete(run, "pareto")
    if not front:
        raise ExportError(f"run {run.id} has no Pareto-front trials yet; export one with --trial ID")
    return [_row(t) for t in sorted(front, key=lambda t: t.number or 0)]


def select_best_under_latency(run: Run, max_ms: float) -> pd.Series:
    """The best feasible finalist with predicted latency <= max_ms: highest trained top-1 where finalists
    were trained, else highest proxy score; ties go to the faster one."""
    finalists = _complete(run, "finalist")
    if not finalists:
        raise ExportError(
            f"run {run.id} has no finalists (search not finished?); export a trial with --trial ID"
        )
    fits = [t for t in finalists if t.feasible and t.latency_ms is not None and t.latency_ms <= max_ms]
    if not fits:
        fastest = min((t.latency_ms for t in finalists if t.latency_ms is not None), default=float("nan"))
        raise ExportError(
            f"no feasible finalist of run {run.id} runs in {max_ms:g} ms (fastest: {fastest:.3g} ms)"
        )
    key = "trained_top1" if any(t.trained_top1 is not None for t in fits) else "score"

    def rank(t: TrialRecord) -> tuple:
        v = getattr(t, key)
        return (v is None, -(v or 0.0), t.latency_ms, t.number)

    return _row(min(fits, key=rank))


def export_finalists(path: Path, numbers: list[int]) -> list[Path]:
    """The finalists of a finished run as py and json in its exports/ folder (trained weights beside)."""
    from archsearch.export.exporter import render, trial_target, write_files

    run = open_run(str(path))
    files: dict[str, bytes] = {}
    for n in numbers:
        target = trial_target(run, select_trial(run, n))
        for fmt in ("py", "json"):
            files.update(render(target, fmt).files)
    return write_files(files, run.dir.exports_dir, force=True) if files else []
