"""Accel-NASBench rows (ImageNet accuracy and accelerator speed of networks of the `anb` space).

Read from any file in the Accel-NASBench CSV format, by default the shared one, never a copy in the
repository. Every row is checked against the `anb` space on load, so a corrupt file fails at its line
instead of later as a wrong network.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from archsearch.arch import ArchConfig
from archsearch.shared import shared_file
from archsearch.spaces import ANB_KEYS, ANB_STAGES, anb_config, load_space

DEFAULT_FILE = "accel-nasbench/accel_nasbench_imagenet.csv"
SPLITS = ("calibration", "holdout")
STAGE_COLUMNS = tuple(key for key, _, _ in ANB_KEYS)  # expand, kernel, layers, se
REQUIRED = ("arch_id", "split", *STAGE_COLUMNS, "val_top1", "macs_m", "params_m")


class AnbDataError(ValueError):
    """A malformed Accel-NASBench file; the message names the file and line."""


@dataclass(frozen=True)
class AnbRow:
    """One network: its per-stage choices, proxy-trained ImageNet top-1, the authors' MACs and params,
    and every other numeric column (`val_top5`, `train_seconds`, throughputs, latencies) in `measured`
    (a column left empty in the file, an unmeasured throughput, is absent there)."""

    arch_id: str
    split: str
    expand: tuple[int, ...]
    kernel: tuple[int, ...]
    layers: tuple[int, ...]
    se: tuple[int, ...]
    val_top1: float
    macs_m: float
    params_m: float
    measured: dict[str, float]

    def config(self) -> ArchConfig:
        return anb_config(self.expand, self.kernel, self.layers, self.se, name=f"anb-{self.arch_id}")


def load_anb(path: str | Path | None = None, split: str | None = None) -> list[AnbRow]:
    """Rows of `path` (default: the shared Accel-NASBench file, parsed once per process), optionally
    only those of one `split` (calibration or holdout)."""
    if split is not None and split not in SPLITS:
        raise ValueError(f"unknown Accel-NASBench split {split!r}; allowed: {', '.join(SPLITS)}")
    rows = _load_cached(shared_file(DEFAULT_FILE).resolve()) if path is None else _load(Path(path))
    return [r for r in rows if split is None or r.split == split]


@lru_cache(maxsize=4)
def _load_cached(path: Path) -> tuple[AnbRow, ...]:
    return _load(path)


def _load(path: Path) -> tuple[AnbRow, ...]:
    choices = {p.name: p.choices for p in load_space("anb").params}
    try:
        with open(path, newline="") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None:
                raise AnbDataError(
                    f"{path}: line 1: empty file; expected a header with {', '.join(REQUIRED)}"
                )
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                raise AnbDataError(f"{path}: line 1: missing required column(s) {', '.join(missing)}")
            rows, seen = [], set()
            for values in reader:
                if not values:
                    continue
                where = f"{path}: line {reader.line_num}"
                if len(values) != len(header):
                    raise AnbDataError(f"{where}: {len(values)} values for {len(header)} columns")
                row = _row(dict(zip(header, values, strict=True)), choices, where)
                if row.arch_id in seen:
                    raise AnbDataError(f"{where}: duplicate arch_id {row.arch_id!r}")
                seen.add(row.arch_id)
                rows.append(row)
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise AnbDataError(f"{path}: cannot read Accel-NASBench CSV: {e}") from None
    return tuple(rows)


def _row(rec: dict[str, str], choices: dict[str, tuple[int, ...]], where: str) -> AnbRow:
    if rec["split"] not in SPLITS:
        raise AnbDataError(f"{where}: split {rec['split']!r} is not one of {', '.join(SPLITS)}")
    stages = {}
    for key, short, _ in ANB_KEYS:
        parts = rec[key].split()
        if len(parts) != len(ANB_STAGES) or not all(p.isdigit() for p in parts):
            raise AnbDataError(
                f"{where}: {key} {rec[key]!r} is not {len(ANB_STAGES)} space-separated integers"
            )
        stages[key] = tuple(int(p) for p in parts)
        for i, v in enumerate(stages[key]):
            allowed = choices[f"{short}{i}"]
            if v not in allowed:
                raise AnbDataError(
                    f"{where}: {key}[{i}] = {v} is outside the anb space; allowed: {', '.join(map(str, allowed))}"
                )
    # An empty measurement (a few throughputs were never measured) is left out of `measured`.
    numbers = {
        c: _number(v, c, where)
        for c, v in rec.items()
        if c not in ("arch_id", "split", *STAGE_COLUMNS) and (v or c in REQUIRED)
    }
    return AnbRow(
        arch_id=rec["arch_id"],
        split=rec["split"],
        **stages,
        val_top1=numbers.pop("val_top1"),
        macs_m=numbers.pop("macs_m"),
        params_m=numbers.pop("params_m"),
        measured=numbers,
    )


def _number(text: str, column: str, where: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise AnbDataError(f"{where}: {column} {text!r} is not a number") from None
    if not math.isfinite(x):
        raise AnbDataError(f"{where}: {column} {text!r} is not a finite number")
    return x
