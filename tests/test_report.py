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
from archsearch.report.data import run_data, scored
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
    run = run_data(runs / "small")
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
    assert f"optuna-dashboard {(runs / 'small' / 'study.log').resolve()}" in html


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
    s = summary(run_data(run.path))
    assert s["trials"] == 0 and s["best_score"] is None
    assert run_cli("report", str(run.path)).returncode == 0


def test_a_torn_last_line_is_ignored(tmp_path):
    run = write_fake_run(tmp_path, "torn", trials=10)
    with (run.path / "trials.csv").open("a") as f:
        f.write("10,COMPLETE,,abc")  # a writer killed mid-row
    assert len(run_data(run.path).trials) == 10


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
    from archsearch.runs import digest

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


def _page(html: str) -> tuple[dict[str, dict], list[str]]:
    """The page's figures (by id) and its shared hover texts, as the browser gets them."""
    figs = {m.group(1): json.loads(m.group(2)) for m in re.finditer(
        r'<script type="application/json" class="figure" data-target="fig-([a-z]+)">(.*?)</script>', html, re.S)}  # fmt: skip
    hover = re.search(r'<script type="application/json" id="hover-data">(.*?)</script>', html, re.S)
    return figs, json.loads(hover.group(1))


def _values(v) -> list:
    """A trace's array as plotly.js gets it: a list, or a typed array ({dtype, bdata: base64})."""
    if isinstance(v, dict):
        import base64

        import numpy as np

        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"]).tolist()
    return v


def _element(html: str, id_: str) -> str:
    """The text of the page's paragraph `id_` (unescaped)."""
    from html import unescape

    return unescape(re.search(rf'<p class="[a-z]+" id="{id_}">(.*?)</p>', html, re.S).group(1))


def test_page_speaks_of_the_estimator_with_verdict_and_margins(runs):
    from fake_run import LABEL

    from archsearch.search.compare import compare, verdict

    assert run_cli("report", str(runs / "small")).returncode == 0
    html = (runs / "small" / "dashboard.html").read_text()
    run = run_data(runs / "small")
    figs, hover = _page(html)
    assert "proxy score" not in html.replace(html[html.find("plotly.js v") :], "")
    for fid in ("latency", "macs", "params"):
        assert figs[fid]["layout"]["yaxis"]["title"]["text"] == LABEL
    # the verdict as search.compare states it, from the tables the run wrote
    trials = [
        r | {"name": f"trial {r['number']}"}
        for r in _csv(runs / "small" / "trials.csv")
        if r["finalist"] == "true"
    ]
    expected = verdict(compare(trials, _csv(runs / "small" / "baselines.csv")))
    assert _element(html, "verdict") == expected
    # each finalist's margin, from trials.csv, on the front figure, in its hover and in the table
    rows = run.rows()
    fin = rows[rows["finalist"] & (rows["kind"] == "trial")]
    assert len(fin) == 2 and fin["baseline"].str.len().gt(0).all()
    notes = [a["text"] for a in figs["latency"]["layout"]["annotations"] if a["text"].startswith("trial ")]
    for r in fin.itertuples():
        text = f"{r.margin:+.1f} pts vs {r.baseline}"
        assert f"trial {r.number:.0f}: {text}" in notes
        assert text in hover[r.row] and f"{r.score:.1f} ± {r.score_uncertainty:.1f}" in hover[r.row]
        assert f"<td class=n>{r.margin:+.1f}</td>" in html


def _csv(path: Path) -> list[dict[str, str]]:
    import csv

    with path.open() as f:
        return list(csv.DictReader(f))


def test_baselines_show_predicted_beside_published_top1(runs):
    html = (runs / "small" / "dashboard.html").read_text()
    figs, hover = _page(html)
    run = run_data(runs / "small")
    rows = run.rows().set_index("row")
    published = [t for t in figs["latency"]["data"] if t["name"] == "published top-1"]
    assert {t["legendgroup"] for t in published} >= {"mobilenet_v2"}
    for t in published:
        assert "-open" in t["marker"]["symbol"]
        for i, y in zip(t["customdata"], _values(t["y"]), strict=True):
            assert y == pytest.approx(rows.loc[i, "published_top1"])
            assert f"published {rows.loc[i, 'published_top1']:.1f}" in hover[i]
    assert "<th>published top-1 (%)</th>" in html and "<th>predicted - published (pts)</th>" in html
    outside = run.rows()[run.rows()["extrapolates"] == True]  # noqa: E712
    assert len(outside) and all(
        "extrapolates" in hover[i] and "kernel16=5.8&gt;5" in hover[i] for i in outside["row"]
    )


def test_score_figures_are_read_from_run_json(tmp_path):
    run = write_fake_run(tmp_path, "figs", trials=15)
    meta = json.loads(run.run_json.read_text())
    meta["score_figures"] = {"nbm_other_half": {"n": 1985, "kendall": 0.4321, "mae": 9.876},
                             "full_training_fit": {"n": 44, "kendall": 0.99, "mae": 0.01}}  # fmt: skip
    meta["score_label"] = "predicted CIFAR-10 top-1 (%)"
    run.run_json.write_text(json.dumps(meta))
    r = run_cli("report", str(run.path))
    assert r.returncode == 0, r.stderr
    html = (run.path / "dashboard.html").read_text()
    line = _element(html, "score-figures")
    assert (
        "predicted CIFAR-10 top-1 (%)" in line
        and "nbm other half Kendall 0.43, MAE 9.88 pts (n 1,985)" in line
    )
    assert "0.99" not in line  # a check on the fitting data is no held-out figure
    assert "<td>full training fit</td><td>no (its fitting data)</td>" in html
    assert "Kendall 0.43, MAE 9.88" in " ".join(r.stdout.split())  # the command prints the same line
    # the published (ImageNet) top-1 shares no axis with a CIFAR-10 estimate
    assert not [t for t in _page(html)[0]["latency"]["data"] if t["name"] == "published top-1"]


def test_a_run_from_before_the_estimators_still_renders(tmp_path):
    run = write_fake_run(tmp_path, "old", trials=20, seed=7, legacy=True)
    assert "score_label" not in json.loads(run.run_json.read_text())
    assert "score_uncertainty" not in run.trials_csv.read_text().splitlines()[0]
    r = run_cli("report", str(run.path), "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)[0]["score_label"] == "score (ensemble)"
    html = (run.path / "dashboard.html").read_text()
    figs, hover = _page(html)
    assert figs["latency"]["layout"]["yaxis"]["title"]["text"] == "score (ensemble)"
    assert not [t for t in figs["latency"]["data"] if t["name"] == "published top-1"]
    assert "without accuracy units" in _element(html, "verdict")
    assert any("synflow" in h for h in hover) and any("published ImageNet top-1" in h for h in hover)


def test_no_verdict_without_finalists_or_baselines(tmp_path):
    run = write_fake_run(tmp_path, "nobase", trials=15)
    (run.path / "baselines.csv").unlink()
    assert run_cli("report", str(run.path)).returncode == 0
    html = (run.path / "dashboard.html").read_text()
    assert _element(html, "verdict").startswith("no baselines were scored")
    assert " pts vs " not in html.split("plotly.js v")[0]
    run.trials_csv.write_text(
        run.trials_csv.read_text().replace(",true,", ",false,")
    )  # no finalist chosen yet
    assert run_cli("report", str(run.path)).returncode == 0
    assert _element((run.path / "dashboard.html").read_text(), "verdict").startswith("no finalists yet")
