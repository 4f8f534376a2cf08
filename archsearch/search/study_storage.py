"""The run's Optuna study in real Optuna storage, through Optuna's public API only.

A run folder keeps its study in a journal file (`study.log`, Optuna's `JournalStorage` with a
`JournalFileBackend`): a finished trial is one appended, fsync'd log entry whatever its number of
parameters (~4 ms for the 38 of `mbv2`, benchmarks/RESULTS.md "Study storage"), and `optuna-dashboard
study.log` opens it. Optuna's `RDBStorage.add_trial` costs two queries per parameter (~70 ms a trial on
SQLite), so a URL given with `--storage` (shared PostgreSQL, MySQL, or the SQLite file of a run made
before the journal) pays that; it is there for studies shared between machines."""

from __future__ import annotations

import functools
import os
import sqlite3
from pathlib import Path
from typing import Any

import optuna
from optuna.storages import BaseStorage, JournalStorage, RDBStorage
from optuna.storages.journal import JournalFileBackend

from archsearch.runs import RunError


def storage(url: str) -> BaseStorage:
    """An RDB URL as Optuna's RDBStorage (SQLite in WAL mode); anything else is a journal file path."""
    if "://" not in url:
        _drop_torn_tail(Path(url))
        return JournalStorage(JournalFileBackend(url))
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if url.startswith("sqlite:///"):
        kwargs["creator"] = functools.partial(_sqlite_connect, url.removeprefix("sqlite:///"))
    return RDBStorage(url, engine_kwargs=kwargs)


def open_study(url: str, study_name: str, directions: list[str]) -> optuna.Study:
    """The study named `study_name` in `url` (created if new); a storage that cannot be used is a RunError."""
    try:
        return optuna.create_study(
            storage=storage(url), study_name=study_name, directions=directions, load_if_exists=True
        )
    except Exception as e:  # sqlalchemy/driver/file errors: unreachable host, bad URL, missing driver
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise RunError(f"cannot use storage {url!r}: {first}") from None


def _drop_torn_tail(path: Path) -> None:
    """Cut a half-written last entry (a kill mid-append; its trial was never stored and is evaluated again
    on resume): Optuna skips it when reading, but the next append would be glued onto it."""
    if not path.is_file() or path.stat().st_size == 0:
        return
    with path.open("rb+") as f:
        f.seek(-1, os.SEEK_END)
        if f.read(1) == b"\n":
            return
        f.truncate(path.read_bytes().rfind(b"\n") + 1)


def _sqlite_connect(path: str) -> sqlite3.Connection:
    """SQLite in WAL mode with synchronous=NORMAL: a commit survives the process being killed (all that
    crash safety here promises) without an fsync per transaction."""
    conn = sqlite3.connect(path, timeout=60, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn
