"""The run folder `runs/<id>/`: one typed record per trial, its column schema declared once, and the one
writer and reader of the folder (run.json, trials.csv, baselines.csv, the Optuna storage, weights/,
exports/) that search, report, export and the CLI share.

The Optuna storage is the source of truth for a search; `trials.csv` is appended as trials finish and
rebuilt from the storage at the end, so a crash or kill never loses a finished trial. Readers take a
table as it is on disk while a run writes: a torn last line (a writer mid-append) is dropped."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import time
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

RUN_JSON = "run.json"
TRIALS_CSV = "trials.csv"
BASELINES_CSV = "baselines.csv"
STUDY_DB = "study.db"  # runs written before the journal storage
STUDY_LOG = "study.log"
WEIGHTS = "weights"
EXPORTS = "exports"
PROXY_PREFIX = "proxy_"


class RunError(ValueError):
    """A run directory that does not exist or cannot be used."""


@dataclass
class TrialRecord:
    """One row of trials.csv or baselines.csv. The field order is the column order; `proxies` stands for
    one `proxy_<name>` column per recorded proxy; the fields marked `baselines` are baselines.csv's only
    (its first columns)."""

    number: int | None = None
    state: str = ""
    name: str = ""
    config_id: str = ""
    macs: int | None = None
    params: int | None = None
    peak_bytes: int | None = None
    latency_ms: float | None = None
    feasible: bool | None = None
    violation: float | None = None
    score: float | None = None
    score_uncertainty: float | None = None
    extrapolates: bool | None = None
    extrapolation: str = ""
    proxies: dict[str, float | None] = field(default_factory=dict)
    trained_top1: float | None = None
    finalist: bool | None = None
    baseline: str = ""
    margin: float | None = None
    pareto: bool | None = None
    fail_reason: str = ""
    seconds_cheap: float | None = None
    seconds_train: float | None = None
    params_json: str = ""
    config_json: str = ""
    family: str = field(default="", metadata={"baselines": True})
    published_top1: float | None = field(default=None, metadata={"baselines": True})
    stage: str = field(default="", metadata={"baselines": True})

    @classmethod
    def of(cls, values: dict[str, Any]) -> TrialRecord:
        """A record from a dict of columns (an evaluation record, a row): unknown keys are ignored."""
        known = {k: v for k, v in values.items() if k in _TYPES and v is not None}
        proxies = {k.removeprefix(PROXY_PREFIX): v for k, v in values.items() if k.startswith(PROXY_PREFIX)}
        return cls(**known, proxies=proxies)

    def row(self) -> dict[str, Any]:
        """The record as columns (proxies as `proxy_<name>`), in column order."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name == "proxies":
                out.update({PROXY_PREFIX + k: v for k, v in self.proxies.items()})
            else:
                out[f.name] = getattr(self, f.name)
        return out


def _column_type(hint: Any) -> type:
    args = (
        [a for a in typing.get_args(hint) if a is not type(None)]
        if isinstance(hint, types.UnionType)
        else [hint]
    )
    return args[0]


_TYPES: dict[str, type] = {
    k: _column_type(v) for k, v in typing.get_type_hints(TrialRecord).items() if k != "proxies"
}
TEXT_COLUMNS = frozenset(k for k, t in _TYPES.items() if t is str)
BOOLEAN_COLUMNS = frozenset(k for k, t in _TYPES.items() if t is bool)
_BASELINE_ONLY = [f.name for f in fields(TrialRecord) if f.metadata.get("baselines")]


def columns(proxies: Iterable[str], baselines: bool = False) -> list[str]:
    """Columns of trials.csv (or baselines.csv: its own columns first), in order."""
    out = [f"{PROXY_PREFIX}{p}" for p in proxies]
    names = [f.name for f in fields(TrialRecord) if f.name not in _BASELINE_ONLY]
    at = names.index("proxies")
    cols = names[:at] + out + names[at + 1 :]
    return [*_BASELINE_ONLY, *cols] if baselines else cols


def _cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict | list):
        return json.dumps(v, sort_keys=True)
    return v


def _parse(kind: type, text: str) -> Any:
    """A cell back to its column's type; an empty or malformed number or boolean is None."""
    if kind is str:
        return text
    if kind is bool:
        return {"true": True, "false": False}.get(text.strip().lower())
    try:
        value = float(text)
    except ValueError:
        return None
    if kind is int:
        return int(value) if value.is_integer() else None
    return value


@dataclass
class Table:
    """A table of a run as read: the proxies its header names, and its records."""

    proxies: list[str]
    records: list[TrialRecord]


def read_table(path: Path) -> Table:
    """trials.csv or baselines.csv as typed records; missing is empty, a torn last line is dropped, unknown
    columns are ignored."""
    if not path.is_file():
        return Table([], [])
    text = path.read_text(errors="replace")
    if text and not text.endswith("\n"):
        text = text[: text.rfind("\n") + 1]
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as e:
        raise RunError(f"cannot read {path}: {e}") from None
    if not rows:
        return Table([], [])
    header = rows[0]
    proxies = list(dict.fromkeys(c.removeprefix(PROXY_PREFIX) for c in header if c.startswith(PROXY_PREFIX)))
    records = []
    for r in rows[1:]:
        if len(r) != len(header):
            continue
        values: dict[str, Any] = {}
        for col, text in zip(header, r, strict=True):
            if col in values:
                continue  # old baselines.csv repeated `name`
            if col.startswith(PROXY_PREFIX):
                values[col] = _parse(float, text)
            elif col in _TYPES:
                values[col] = _parse(_TYPES[col], text)
        records.append(TrialRecord.of(values))
    return Table(proxies, records)


def write_rows(path: Path, records: Sequence[TrialRecord], cols: list[str], append: bool = False) -> None:
    """Write records under `cols` (header first if the file is new), flushed to disk before returning;
    without `append` the file is replaced atomically."""
    target = path if append else path.with_suffix(".tmp")
    if not append and target.exists():
        target.unlink()
    new = not target.exists()
    with target.open("a", newline="") as f:
        w = csv.DictWriter(f, cols, extrasaction="ignore")
        if new:
            w.writeheader()
        for rec in records:
            row = rec.row()
            w.writerow({c: _cell(row.get(c)) for c in cols})
        f.flush()
        os.fsync(f.fileno())
    if not append:
        os.replace(target, path)


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.")[:80] or "run"


def digest(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


@dataclass
class RunDir:
    """The folder of one run and the paths of its parts."""

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
        return self.path / WEIGHTS

    @property
    def exports_dir(self) -> Path:
        return self.path / EXPORTS

    def weights_path(self, config_id: str) -> Path | None:
        """A trained finalist's weights (`weights/<config id>.pt`), if there are any."""
        p = self.weights_dir / f"{config_id}.pt"
        return p if p.is_file() else None

    def storage_url(self, configured: str | None) -> str:
        """The run's Optuna storage: the configured RDB URL, else the folder's own journal file (a run made
        before the journal keeps its SQLite file), so a run folder can be moved or copied and still opens."""
        if configured:
            return configured
        if (self.path / STUDY_DB).is_file():
            return f"sqlite:///{(self.path / STUDY_DB).resolve()}"
        return str((self.path / STUDY_LOG).resolve())

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
    def open(cls, ref: str | Path, out: Path) -> RunDir:
        """A run by path or by id under `out`."""
        for cand in (Path(ref), out / ref):
            if (cand / RUN_JSON).is_file():
                return cls(cand)
        known = sorted(p.name for p in out.glob("*") if (p / RUN_JSON).is_file()) if out.is_dir() else []
        hint = f"; runs in {out}/: {', '.join(known)}" if known else f"; no runs in {out}/"
        raise RunError(f"no run {str(ref)!r}: neither {ref} nor {out / ref} holds a {RUN_JSON}{hint}")

    def write_meta(self, meta: dict[str, Any]) -> None:
        tmp = self.run_json.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
        os.replace(tmp, self.run_json)

    def read_meta(self) -> dict[str, Any]:
        try:
            meta = json.loads(self.run_json.read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise RunError(f"cannot read {self.run_json}: {e}") from None
        if not isinstance(meta, dict):
            raise RunError(f"{self.run_json}: expected a JSON object")
        return meta

    def write_trials(
        self, records: Sequence[TrialRecord], proxies: Iterable[str], append: bool = False
    ) -> None:
        write_rows(self.trials_csv, records, columns(proxies), append)

    def write_baselines(self, records: Sequence[TrialRecord], proxies: Iterable[str]) -> None:
        write_rows(self.baselines_csv, records, columns(proxies, baselines=True))


@dataclass
class Run:
    """A run as read: its folder, run.json and both tables, typed."""

    dir: RunDir
    meta: dict[str, Any]
    trials: list[TrialRecord]
    baselines: list[TrialRecord]
    proxies: list[str]  # the proxy columns of trials.csv

    @property
    def path(self) -> Path:
        return self.dir.path

    @property
    def id(self) -> str:
        return str(self.meta.get("id") or self.path.name)

    @property
    def name(self) -> str:
        return str(self.meta.get("name") or self.id)

    def weights_path(self, config_id: str) -> Path | None:
        return self.dir.weights_path(config_id)


def load_run(ref: str | Path, runs_dir: str | Path = "runs") -> Run:
    """A run by folder or by id under `runs_dir`, as it is on disk now (it may still be writing)."""
    folder = RunDir.open(ref, Path(runs_dir))
    trials = read_table(folder.trials_csv)
    baselines = read_table(folder.baselines_csv)
    return Run(folder, folder.read_meta(), trials.records, baselines.records, trials.proxies)


def record_columns(values: dict[str, Any]) -> dict[str, Any]:
    """The entries of an evaluation's output that are table columns (what a trial's record keeps)."""
    return {k: v for k, v in values.items() if k in _TYPES or k.startswith(PROXY_PREFIX)}
