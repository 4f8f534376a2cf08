"""Run directories: `runs/<id>/` with `run.json`, the Optuna storage and the trials table.

The Optuna storage is the source of truth: every trial's record (config, costs, latency, scores,
timings, failure reason) lives in its user attributes, written in the same `tell` that finishes the
trial. `trials.csv` is appended as trials finish and rebuilt from the storage on resume and at the
end, so a crash or kill never loses a finished trial."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RUN_JSON = "run.json"
TRIALS_CSV = "trials.csv"
BASELINES_CSV = "baselines.csv"
STUDY_DB = "study.db"

# Columns of trials.csv / baselines.csv, in order; proxy columns (`proxy_<name>`) follow the score's.
BASE_COLUMNS = [
    "number", "state", "name", "config_id", "macs", "params", "peak_bytes", "latency_ms", "feasible",
    "violation", "score", "score_uncertainty", "extrapolates", "extrapolation",
]  # fmt: skip
TAIL_COLUMNS = [
    "trained_top1", "finalist", "baseline", "margin", "pareto", "fail_reason", "seconds_cheap", "seconds_train", "params_json", "config_json",
]  # fmt: skip


class RunError(ValueError):
    """A run directory that does not exist or cannot be used."""


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.")[:80] or "run"


def digest(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def columns(proxies: Iterable[str]) -> list[str]:
    return BASE_COLUMNS + [f"proxy_{p}" for p in proxies] + TAIL_COLUMNS


@dataclass
class RunDir:
    path: Path

    @property
    def id(self) -> str:
        return self.path.name

    @property
    def run_json(self) -> Path:
        return self.path / RUN_JSON

    @property
    def trials_csv(self) -> Path:
        return self.path / TRIALS_CSV

    @property
    def baselines_csv(self) -> Path:
        return self.path / BASELINES_CSV

    @property
    def weights_dir(self) -> Path:
        return self.path / "weights"

    def storage_url(self, configured: str | None) -> str:
        """The run's Optuna storage: the configured URL, else the folder's own SQLite file (so a run folder
        can be moved or copied and still opens)."""
        return configured or f"sqlite:///{(self.path / STUDY_DB).resolve()}"

    @staticmethod
    def new_id(name: str | None, space: str, hw: str) -> str:
        return slug(name) if name else f"{space}-{hw}-{time.strftime('%Y%m%d-%H%M%S')}"

    @classmethod
    def create(cls, out: Path, run_id: str, meta: dict[str, Any]) -> RunDir:
        """The run folder with its run.json, made atomically: a kill leaves nothing or a resumable run."""
        path = out / run_id
        if path.exists():
            raise RunError(
                f"run {path} already exists; continue it with --resume {path} or choose another --name"
            )
        out.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{run_id}.", dir=out))
        cls(tmp).write_meta(meta)
        try:
            os.rename(tmp, path)
        except OSError as e:
            shutil.rmtree(tmp, ignore_errors=True)
            raise RunError(f"cannot create run {path}: {e}") from None
        return cls(path)

    @classmethod
    def open(cls, ref: str, out: Path) -> RunDir:
        """A run by path or by id under `out`."""
        for cand in (Path(ref), out / ref):
            if (cand / RUN_JSON).is_file():
                return cls(cand)
        raise RunError(f"no run {ref!r}: neither {ref} nor {out / ref} holds a {RUN_JSON}")

    def write_meta(self, meta: dict[str, Any]) -> None:
        _atomic_write(self.run_json, json.dumps(meta, indent=2, sort_keys=True) + "\n")

    def read_meta(self) -> dict[str, Any]:
        try:
            return json.loads(self.run_json.read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise RunError(f"cannot read {self.run_json}: {e}") from None

    def append_rows(self, path: Path, rows: list[dict[str, Any]], cols: list[str]) -> None:
        """Append rows (header first if new), flushed to disk before returning."""
        new = not path.exists()
        with path.open("a", newline="") as f:
            w = csv.DictWriter(f, cols, extrasaction="ignore")
            if new:
                w.writeheader()
            for r in rows:
                w.writerow({c: _csv_value(r.get(c)) for c in cols})
            f.flush()
            os.fsync(f.fileno())

    def rewrite(self, path: Path, rows: list[dict[str, Any]], cols: list[str]) -> None:
        tmp = path.with_suffix(".tmp")
        if tmp.exists():
            tmp.unlink()
        self.append_rows(tmp, rows, cols)
        os.replace(tmp, path)


def _csv_value(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict | list):
        return json.dumps(v, sort_keys=True)
    return v


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
