"""Read a search run directory (`runs/<id>/`) and pick the trials to export.

Format (written by the search engine): `run.json` (id, name, command, seed, space, profile, budget,
proxies, ...), `trials.csv` with one row per trial and at least the columns in `TRIAL_COLUMNS`, and
trained finalist weights at `weights/<config_id>.pt` (a `build_model(cfg)` state_dict)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from archsearch.export import ExportError

TRIAL_COLUMNS = ("number", "state", "config_id", "config_json", "macs", "params", "peak_bytes", "latency_ms",
                 "feasible", "finalist", "pareto", "score", "trained_top1")  # fmt: skip
BOOL_COLUMNS = ("feasible", "finalist", "pareto")
FLOAT_COLUMNS = ("latency_ms", "score", "trained_top1")


@dataclass(frozen=True)
class Run:
    path: Path
    meta: dict[str, Any]
    trials: pd.DataFrame

    @property
    def id(self) -> str:
        return str(self.meta.get("id") or self.path.name)

    def weights_path(self, config_id: str) -> Path | None:
        p = self.path / "weights" / f"{config_id}.pt"
        return p if p.is_file() else None


def _as_bool(v: Any) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1", "yes")
    return bool(v) and not (isinstance(v, float) and math.isnan(v))


def load_trials(run_dir: str | Path) -> pd.DataFrame:
    """`trials.csv` of a run as a DataFrame with typed columns (bools, floats with NaN for empty)."""
    path = Path(run_dir) / "trials.csv"
    if not path.is_file():
        raise ExportError(f"{run_dir}: no trials.csv (not a run directory?)")
    try:
        df = pd.read_csv(path, dtype={"config_id": str, "config_json": str, "state": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise ExportError(f"{path}: unreadable trials table: {str(e).splitlines()[0]}") from None
    missing = [c for c in TRIAL_COLUMNS if c not in df.columns]
    if missing:
        raise ExportError(f"{path}: missing column(s) {', '.join(missing)}")
    for c in BOOL_COLUMNS:
        df[c] = df[c].map(_as_bool).astype(bool)
    for c in FLOAT_COLUMNS:
        df[c] = pd.to_numeric(df[c], errors="coerce")
    df["number"] = pd.to_numeric(df["number"], errors="coerce")
    if df["number"].isna().any():
        raise ExportError(f"{path}: column 'number' must hold integers")
    df["number"] = df["number"].astype(int)
    return df


def resolve_run_dir(run: str, runs_dir: Path = Path("runs")) -> Path:
    """A run given as a directory path or as an id under `runs_dir`."""
    for cand in (Path(run), runs_dir / run):
        if (cand / "run.json").is_file() or (cand / "trials.csv").is_file():
            return cand
    known = (
        sorted(p.name for p in runs_dir.glob("*") if (p / "trials.csv").is_file())
        if runs_dir.is_dir()
        else []
    )
    hint = f"; runs in {runs_dir}/: {', '.join(known)}" if known else f"; no runs in {runs_dir}/"
    raise ExportError(f"unknown run {run!r}{hint}")


def load_run(run: str, runs_dir: Path = Path("runs")) -> Run:
    path = resolve_run_dir(run, runs_dir)
    meta: dict[str, Any] = {}
    if (path / "run.json").is_file():
        try:
            meta = json.loads((path / "run.json").read_text())
        except json.JSONDecodeError as e:
            raise ExportError(f"{path / 'run.json'}: not valid JSON: {e}") from None
    return Run(path, meta, load_trials(path))


def select_trial(run: Run, number: int) -> pd.Series:
    rows = run.trials[run.trials["number"] == number]
    if rows.empty:
        nums = run.trials["number"]
        have = f"trials {nums.min()}..{nums.max()}" if len(nums) else "no trials"
        raise ExportError(f"run {run.id} has no trial {number} ({have})")
    row = rows.iloc[-1]
    if not isinstance(row["config_json"], str) or not row["config_json"].strip():
        raise ExportError(f"run {run.id}: trial {number} has no config (state {row['state']})")
    return row


def select_pareto(run: Run) -> list[pd.Series]:
    """The run's Pareto-front trials (completed, as the search marked them)."""
    t = run.trials
    front = t[t["pareto"] & (t["state"] == "COMPLETE")]
    if front.empty:
        raise ExportError(f"run {run.id} has no Pareto-front trials yet; export one with --trial ID")
    return [row for _, row in front.sort_values("number").iterrows()]


def select_best_under_latency(run: Run, max_ms: float) -> pd.Series:
    """The best feasible finalist with predicted latency <= max_ms: highest trained top-1 where finalists
    were trained, else highest proxy score; ties go to the faster one."""
    t = run.trials
    finalists = t[t["finalist"] & (t["state"] == "COMPLETE")]
    if finalists.empty:
        raise ExportError(
            f"run {run.id} has no finalists (search not finished?); export a trial with --trial ID"
        )
    fits = finalists[finalists["feasible"] & (finalists["latency_ms"] <= max_ms)]
    if fits.empty:
        fastest = finalists["latency_ms"].min()
        raise ExportError(
            f"no feasible finalist of run {run.id} runs in {max_ms:g} ms (fastest: {fastest:.3g} ms)"
        )
    key = "trained_top1" if fits["trained_top1"].notna().any() else "score"
    best = fits.sort_values([key, "latency_ms", "number"], ascending=[False, True, True], na_position="last")
    return best.iloc[0]
