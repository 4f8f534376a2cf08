"""Reports without a browser: stage tables, progress, the written file (offline, escaped), CLI errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import run_cli
from fake_run import write_fake_run

from archsearch.baselines import MBV2_ROWS, mobilenet_v2, rexnet
from archsearch.pareto import hypervolume_2d, pareto_mask
from archsearch.report.dashboard import summary
from archsearch.report.data import load_run, scored
from archsearch.report.progress import REFERENCE, progress
from archsearch.report.stages import format_stages, stage_table

XSS_NAME = "<img src=x onerror=alert(1)>"
XSS_ACT = "<script>alert(3)</script>"


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("runs")
    write_fake_run(root, "small", trials=40, budget=600_000_000, latency_limit=90.0)
    write_fake_run(
        root,
        XSS_NAME,
        trials=12,
        seed=3,
        config_patch={"blocks": [{"kind": "ir", "cin": 32, "cout": 16, "act": XSS_ACT}]},
    )
    return root


def test_stage_table_of_mobilenet_v2_is_its_paper_table():
    cfg = json.loads(mobilenet_v2(1.0, 224).to_json())
    rows = [(s.t, s.c, s.n, s.s) for s in stage_table(cfg)]
    assert rows == [(float(t), c, n, s) for t, c, n, s in MBV2_ROWS]
    assert format_stages(stage_table(cfg))[0].split() == ["t", "c", "n", "s", "k", "SE", "act"]


def test_stage_table_of_rexnet_shows_se_and_silu():
    stages = stage_table(json.loads(rexnet(1.0).to_json()))
    assert sum(s.n for s in stages) == 16 and {s.act for s in stages} == {"silu"}
    assert any(s.se for s in stages) and not stages[0].se


def test_malformed_config_gives_an_empty_table_not_an_error():
    assert stage_table({"blocks": "nope"}) == [] and stage_table({}) == []


def test_progress_matches_brute_force_hypervolume(runs):
    run = load_run(runs / "small")
    ok = scored(run.rows())
    p = progress(run.trials, ok, ["score", "latency"])
    assert p["hypervolume"].is_monotonic_increasing and p["best"].dropna().is_monotonic_increasing
    assert 0 < p["hypervolume"].iloc[-1] <= 1
    pts = ok[["score", "latency_ms"]].to_numpy()
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    norm = [[(hi[0] - s) / (hi[0] - lo[0]), (lat - lo[1]) / (hi[1] - lo[1])] for s, lat in pts]
    front = [q for q, m in zip(norm, pareto_mask(norm, ["minimize"] * 2), strict=True) if m]
    brute = hypervolume_2d(front, ["minimize"] * 2, [REFERENCE] * 2) / REFERENCE**2
    assert p["hypervolume"].iloc[-1] == pytest.approx(brute)
    assert p["best"].iloc[-1] == pytest.approx(ok["score"].max())


def test_report_writes_one_offline_file(runs):
    r = run_cli("report", str(runs / "small"), "--format", "json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)[0]
    html = (runs / "small" / "dashboard.html").read_text()
    assert out["bytes"] == len(html.encode()) and out["trials"] == 40 and out["finalists"] == 2
    # no external resource: every <script> is inline, no <link>, <img>, <iframe> or url() to fetch
    assert not re.search(r"<(script|img|iframe)[^>]*\ssrc=|<link\b|url\(\s*['\"]?https?:", html, re.I)
    # plotly.js is embedded (its own unused defaults name URLs); the rest of the page names none
    library = re.search(r"<script>(/\*\*\s*\n?\s*\* plotly\.js v.*?)</script>", html, re.S)
    assert library, "plotly.js is not embedded"
    assert not re.search(r"https?://", html.replace(library.group(1), ""))
    assert "archsearch export " in html and "--trial" in html and "--format py" in html
    assert f"optuna-dashboard sqlite:///{(runs / 'small' / 'study.db').resolve()}" in html


def test_user_strings_are_escaped_in_the_file(runs):
    run = next(p for p in runs.iterdir() if p.name != "small")
    assert run_cli("report", str(run)).returncode == 0
    html = (run / "dashboard.html").read_text()
    assert XSS_NAME not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script>alert" not in html  # the config field stays inside JSON, escaped
    assert html.count("<script") == 2 + html.count('<script type="application/json"')


def test_a_run_without_trials_yet_still_renders(tmp_path):
    run = write_fake_run(tmp_path, "fresh", trials=0)
    (run.path / "trials.csv").unlink()
    (run.path / "baselines.csv").unlink()
    s = summary(load_run(run.path))
    assert s["trials"] == 0 and s["best_score"] is None
    assert run_cli("report", str(run.path)).returncode == 0


def test_a_torn_last_line_is_ignored(tmp_path):
    run = write_fake_run(tmp_path, "torn", trials=10)
    with (run.path / "trials.csv").open("a") as f:
        f.write("10,COMPLETE,,abc")  # a writer killed mid-row
    assert len(load_run(run.path).trials) == 10


@pytest.mark.parametrize(
    "args, message",
    [
        (["report", "no-such-run"], "no run 'no-such-run'"),
        (["dashboard", "no-such-dir"], "no folder 'no-such-dir'"),
        (["dashboard", ".", "--port", "70000"], "out of range"),
    ],
)
def test_bad_input_is_one_line_exit_2(args, message, tmp_path):
    r = run_cli(*args, cwd=tmp_path)
    assert r.returncode == 2 and message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_malformed_run_json_is_one_line(tmp_path):
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "run.json").write_text("{not json")
    r = run_cli("report", str(tmp_path / "bad"))
    assert r.returncode == 2 and "cannot read" in r.stderr and "Traceback" not in r.stderr


def test_provenance_of_a_shipped_profile_a_missing_one_and_a_changed_one(tmp_path):
    from archsearch.report.provenance import profile_provenance
    from archsearch.resources import find
    from archsearch.search.storage import digest

    pixel = profile_provenance(
        {"profile": "pixel", "profile_digest": digest(find("hardware_profiles", "pixel"))}
    )
    facts = dict(pixel.facts)
    assert "Pixel" in facts["device"] and pixel.validation and pixel.validation[0]["MAPE %"] != "unknown"
    assert pixel.warning == ""
    assert (
        "changed since this run"
        in profile_provenance({"profile": "pixel", "profile_digest": "0" * 16}).warning
    )
    gone = profile_provenance({"profile": "no-such-device"})
    assert "unknown" in gone.warning and gone.validation == []
    broken = tmp_path / "broken.yaml"
    broken.write_text("device: [unclosed\n")
    assert "unknown" in profile_provenance({"profile": str(broken)}).warning
