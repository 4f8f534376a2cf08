"""Locate the read-only shared data (`../shared/data` or `$ARCHSEARCH_SHARED/data`).

The data is never copied into the repository; commands that need it say where they looked."""

from __future__ import annotations

import os
from pathlib import Path


class SharedDataMissing(FileNotFoundError):
    """The shared data folder (or a file in it) is not there."""


def shared_root() -> Path | None:
    """The shared folder: $ARCHSEARCH_SHARED, else ../shared beside the working directory or the repo."""
    env = os.environ.get("ARCHSEARCH_SHARED")
    candidates = [Path(env)] if env else []
    candidates += [Path.cwd().parent / "shared", Path(__file__).resolve().parent.parent.parent / "shared"]
    for c in candidates:
        if (c / "data").is_dir():
            return c
    return None


def shared_file(relative: str) -> Path:
    """Path of `data/<relative>` in the shared folder, or a clear error naming where it looked."""
    root = shared_root()
    if root is None:
        raise SharedDataMissing("shared data not found: set ARCHSEARCH_SHARED or put it at ../shared/data")
    p = root / "data" / relative
    if not p.exists():
        raise SharedDataMissing(f"shared data file missing: {p}")
    return p
