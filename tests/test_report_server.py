"""`archsearch dashboard`: binds 127.0.0.1 by default, lists runs, regenerates stale dashboards, refuses
anything outside DIR; and a run's Optuna storage really opens in optuna-dashboard."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import REPO, need
from fake_run import write_fake_run
from report_support import served

from archsearch.runs import RunDir

XSS_NAME = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("runs")
    write_fake_run(root, "small", trials=15, budget=600_000_000, latency_limit=90.0, study=True)
    write_fake_run(root, XSS_NAME, trials=8, seed=3)
    (root / "not-a-run").mkdir()
    outside = root.parent / f"{root.name}-outside"
    outside.mkdir()
    (outside / "run.json").write_text("{}")
    (outside / "secret.txt").write_text("SECRET")
    (root / "escape").symlink_to(outside, target_is_directory=True)
    return root


def _get(base: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    """GET with the path sent exactly as written (no client-side normalisation of `..`)."""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request("GET", path, headers=headers or {})
    r = conn.getresponse()
    return r.status, r.read().decode("utf-8", "replace")


def _listening(port: int) -> list[str]:
    """IPv4 addresses (hex, as in /proc/net/tcp) with a socket listening on `port`."""
    rows = [line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:]]
    return [r[1].split(":")[0] for r in rows if r[3] == "0A" and int(r[1].split(":")[1], 16) == port]


def test_cli_binds_loopback_by_default(runs):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "archsearch", "dashboard", str(runs), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)  # fmt: skip
    try:
        line = proc.stdout.readline()
        assert "at http://127.0.0.1:" in line, line + proc.stderr.read()
        port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
        with socket.create_connection(("127.0.0.1", port), timeout=10):
            pass
        assert _listening(port) == ["0100007F"]  # 127.0.0.1 only, not 0.0.0.0 (00000000)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_index_lists_runs_and_links_work(runs):
    with served(runs) as base:
        status, index = _get(base, "/")
        assert status == 200 and index.count('class="run"') == 2
        assert "&lt;img src=x onerror=alert(1)&gt;" in index and XSS_NAME not in index
        for href in ("/runs/small/", "/runs/img-src-x-onerror-alert-1/"):
            assert f'href="{href}"' in index
            status, page = _get(base, href)
            assert status == 200 and "Plotly.newPlot" in page and "all runs" in page
        for key in ("space", "profile", "budget", "trials", "best", "date"):
            assert _get(base, f"/?sort={key}&desc=0")[0] == 200
        order = _get(base, "/?sort=budget&desc=0")[1]
        assert order.index("img-src") < order.index("/runs/small/")  # 300 MMACs before 600


def test_stale_dashboard_is_regenerated(runs):
    with served(runs) as base:
        html = runs / "small" / "dashboard.html"
        _get(base, "/runs/small/")
        before = html.stat().st_mtime_ns
        stamp = json.loads(_get(base, "/runs/small/status")[1])["stamp"]
        time.sleep(0.01)
        os.utime(runs / "small" / "trials.csv")
        assert json.loads(_get(base, "/runs/small/status")[1])["stamp"] != stamp
        _get(base, "/runs/small/")
        assert html.stat().st_mtime_ns > before


@pytest.mark.parametrize(
    "path",
    [
        "/runs/../../etc/passwd", "/runs/..%2f..%2fetc%2fpasswd/", "/runs/%2e%2e/", "/runs/..%2F/status",
        "/runs/escape/", "/runs/escape/secret.txt", "/runs/not-a-run/", "/compare?run=..", "/compare?run=escape",
        "/runs/small/run.json", "/runs/small/study.log", "/../etc/passwd",
    ],
)  # fmt: skip
def test_paths_outside_dir_are_refused(runs, path):
    with served(runs) as base:
        status, body = _get(base, path)
    assert status in (400, 403, 404) and "SECRET" not in body and "root:" not in body


def test_requests_for_another_host_name_are_refused(runs):
    """DNS rebinding: a page on evil.example resolved to 127.0.0.1 sends Host: evil.example."""
    with served(runs) as base:
        port = base.rsplit(":", 1)[1]
        assert _get(base, "/", {"Host": f"evil.example:{port}"})[0] == 421
        assert _get(base, "/runs/small/status", {"Host": "evil.example"})[0] == 421
        assert _get(base, "/", {"Host": f"localhost:{port}"})[0] == 200


def test_optuna_dashboard_opens_the_runs_storage(runs):
    exe = Path(sys.executable).with_name("optuna-dashboard")
    if not exe.exists():
        need("optuna-dashboard is not installed (pip install '.[dev]')")
    url = RunDir(runs / "small").storage_url(json.loads((runs / "small" / "run.json").read_text())["storage"])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([str(exe), url, "--host", "127.0.0.1", "--port", str(port), "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies", timeout=5) as r:
                    studies = json.load(r)["study_summaries"]
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("optuna-dashboard did not answer: " + proc.stderr.read1().decode())
        assert [s["study_name"] for s in studies] == ["small"]
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/api/studies/{studies[0]['study_id']}", timeout=30
        ) as r:
            assert len(json.load(r)["trials"]) == 15
    finally:
        proc.terminate()
        proc.wait(timeout=10)
