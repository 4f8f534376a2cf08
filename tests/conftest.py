"""Shared fixtures. Tests that need ../shared skip with a reason when it is absent, except under
CI=true, where a missing shared folder is a failure."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from archsearch.shared import shared_root

REPO = Path(__file__).resolve().parent.parent


def need(reason: str) -> None:
    """Skip outside CI, fail under CI=true (CI must run everything)."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"required under CI=true: {reason}")
    pytest.skip(reason)


def need_module(name: str, reason: str) -> None:
    """At a test module's top: skip the module when `name` cannot be imported (fail under CI=true)."""
    try:
        importlib.import_module(name)
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"required under CI=true: {reason}", pytrace=False)
        pytest.skip(reason, allow_module_level=True)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    root = shared_root()
    if root is None:
        need("../shared/data (or $ARCHSEARCH_SHARED) not found")
    return root / "data"


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run `python -m archsearch ARGS` as a user would, capturing output."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "archsearch", *args],
        cwd=cwd or REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def cli():
    return run_cli


PG_URL = os.environ.get("ARCHSEARCH_TEST_PG", "postgresql://postgres@127.0.0.1:55432/archsearch_test")


@pytest.fixture(scope="session")
def pg_url() -> str:
    """A real PostgreSQL server (started by .ci/system-deps under CI)."""
    import sqlalchemy

    try:
        with sqlalchemy.create_engine(PG_URL).connect() as c:
            c.execute(sqlalchemy.text("SELECT 1"))
    except Exception as e:  # noqa: BLE001 - any connection failure means "no server here"
        need(f"no PostgreSQL server at {PG_URL} (run .ci/system-deps): {str(e).splitlines()[0]}")
    return PG_URL
