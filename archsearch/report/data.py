"""A run directory as pandas tables: the run model's typed records of `trials.csv` and `baselines.csv`
(`archsearch.runs`, which reads them) as frames, with the derived display columns (MMACs, M params, MB,
alpha, resolution) every view shares. A missing or half-written table is an empty frame, not an error,
because a dashboard must render while the run is still writing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from archsearch.report.stages import parse_config
from archsearch.runs import BOOLEAN_COLUMNS, TEXT_COLUMNS, Run, TrialRecord, columns, load_run

# keys of params_json that hold a space's width multiplier
WIDTH_PARAMS = ("alpha", "width_mult", "width")


@dataclass
class RunData:
    """One run as frames: the run model's `Run` (folder, run.json, id and name) and its two tables."""

    run: Run
    trials: pd.DataFrame
    baselines: pd.DataFrame

    @property
    def path(self) -> Path:
        return self.run.path

    @property
    def meta(self) -> dict[str, Any]:
        return self.run.meta

    @property
    def id(self) -> str:
        return self.run.id

    @property
    def name(self) -> str:
        return self.run.name

    @property
    def proxies(self) -> list[str]:
        return self.run.proxies

    def rows(self) -> pd.DataFrame:
        """Trials then baselines in one frame; `row` numbers the hover texts the views share."""
        rows = pd.concat([self.trials, self.baselines], ignore_index=True)
        rows["row"] = range(len(rows))
        return rows


def scored(rows: pd.DataFrame) -> pd.DataFrame:
    """Completed, feasible trials with a score: the ones a Pareto front is made of."""
    ok = (rows["kind"] == "trial") & (rows["state"] == "COMPLETE") & (rows["feasible"] == True)  # noqa: E712
    return rows[ok & rows["score"].notna()]


def frame(records: list[TrialRecord], proxies: list[str], kind: str) -> pd.DataFrame:
    """Records as a frame with every column of the schema: text empty, numbers NaN, booleans None when
    missing; then the display columns."""
    df = pd.DataFrame([r.row() for r in records], columns=columns(proxies, baselines=True))
    for c in df.columns:
        if c in TEXT_COLUMNS:
            df[c] = df[c].fillna("").astype(object)
        elif c in BOOLEAN_COLUMNS:
            df[c] = df[c].astype(object).where(df[c].notna(), None)
        else:
            df[c] = pd.to_numeric(df[c], errors="coerce")
    df["kind"] = kind
    df["mmacs"] = df["macs"] / 1e6
    df["params_m"] = df["params"] / 1e6
    df["peak_mb"] = df["peak_bytes"] / 2**20
    configs = [parse_config(s) for s in df["config_json"]]
    df["resolution"] = [c.get("resolution") for c in configs]
    df["alpha"] = [_alpha(p, name) for p, name in zip(df["params_json"], df["name"], strict=True)]
    return df.reset_index(drop=True)


def _alpha(params_json: str, name: str) -> float | None:
    """The width multiplier: a trial's sampled parameter, or the middle field of a baseline's name."""
    params = parse_config(params_json)
    for k in WIDTH_PARAMS:
        if isinstance(params.get(k), int | float):
            return float(params[k])
    parts = str(name).split("-")
    if len(parts) == 3:
        try:
            return float(parts[1])
        except ValueError:
            return None
    return None


def run_data(path: str | Path, runs_dir: str | Path = "runs") -> RunData:
    """A run by folder or by id under `runs_dir`, as frames."""
    return as_frames(load_run(path, runs_dir))


def as_frames(run: Run) -> RunData:
    trials = frame(run.trials, run.proxies, "trial")
    trials["label"] = [f"trial {int(n)}" if pd.notna(n) else "trial ?" for n in trials["number"]]
    baselines = frame(run.baselines, run.proxies, "baseline")
    baselines["label"] = baselines["name"]
    return RunData(run, trials, baselines)
