"""A run directory as pandas tables: `trials.csv` and `baselines.csv` with typed columns (the score's
uncertainty and extrapolation, a finalist's baseline and margin included) and the derived display columns
(MMACs, M params, MB, alpha, resolution) every view shares.

Every cell is read as text first (so a run named "NA" stays "NA"), then the known numeric and boolean
columns are converted; a missing or half-written table is an empty frame, not an error, because a
dashboard must render while the run is still writing."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from archsearch.report.stages import parse_config
from archsearch.search.storage import BASELINES_CSV, TRIALS_CSV, RunDir, RunError

NUMERIC = [
    "number", "macs", "params", "peak_bytes", "latency_ms", "violation", "score", "trained_top1",
    "seconds_cheap", "seconds_train", "published_top1", "score_uncertainty", "margin",
]  # fmt: skip
BOOLEAN = ["feasible", "finalist", "pareto", "extrapolates"]
# keys of params_json that hold a space's width multiplier
WIDTH_PARAMS = ("alpha", "width_mult", "width")


@dataclass
class RunData:
    """One run: its metadata and its trials and baselines tables."""

    path: Path
    meta: dict[str, Any]
    trials: pd.DataFrame
    baselines: pd.DataFrame

    @property
    def id(self) -> str:
        return str(self.meta.get("id") or self.path.name)

    @property
    def name(self) -> str:
        return str(self.meta.get("name") or self.id)

    @property
    def proxies(self) -> list[str]:
        return [c.removeprefix("proxy_") for c in self.trials.columns if c.startswith("proxy_")]

    def rows(self) -> pd.DataFrame:
        """Trials then baselines in one frame; `row` numbers the hover texts the views share."""
        rows = pd.concat([self.trials, self.baselines], ignore_index=True)
        rows["row"] = range(len(rows))
        return rows


def scored(rows: pd.DataFrame) -> pd.DataFrame:
    """Completed, feasible trials with a score: the ones a Pareto front is made of."""
    ok = (rows["kind"] == "trial") & (rows["state"] == "COMPLETE") & (rows["feasible"] == True)  # noqa: E712
    return rows[ok & rows["score"].notna()]


def read_table(path: Path) -> pd.DataFrame:
    """A CSV of the run as text cells; a torn last line (a writer mid-append) is dropped."""
    if not path.is_file():
        return pd.DataFrame()
    text = path.read_text(errors="replace")
    if text and not text.endswith("\n"):
        text = text[: text.rfind("\n") + 1]
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as e:
        raise RunError(f"cannot read {path}: {e}") from None
    if not rows:
        return pd.DataFrame()
    header, body = rows[0], [r for r in rows[1:] if len(r) == len(rows[0])]
    df = pd.DataFrame(body, columns=header, dtype=object)
    return df.loc[:, ~df.columns.duplicated()]  # baselines.csv repeats `name` (its own and the trial column)


def _typed(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    df = df.copy()
    text = ("state", "name", "config_id", "fail_reason", "params_json", "config_json", "family", "extrapolation",
            "baseline")  # fmt: skip
    for c in text:
        if c not in df:
            df[c] = ""
    for c in NUMERIC + [c for c in df.columns if c.startswith("proxy_")]:
        df[c] = pd.to_numeric(df[c], errors="coerce") if c in df else float("nan")
    for c in BOOLEAN:
        df[c] = df[c].map({"true": True, "false": False}) if c in df else None
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


def load_run(path: str | Path, runs_dir: str | Path = "runs") -> RunData:
    """Load a run by folder or by id under `runs_dir`."""
    run = RunDir.open(str(path), Path(runs_dir))
    meta = run.read_meta()
    if not isinstance(meta, dict):
        raise RunError(f"{run.run_json}: expected a JSON object")
    trials = _typed(read_table(run.path / TRIALS_CSV), "trial")
    trials["label"] = [f"trial {int(n)}" if pd.notna(n) else "trial ?" for n in trials["number"]]
    baselines = _typed(read_table(run.path / BASELINES_CSV), "baseline")
    baselines["label"] = baselines["name"]
    return RunData(run.path, meta, trials, baselines)
