"""The dashboard of a small real run (`archsearch run` end to end, then `archsearch report`) in Chromium."""

from __future__ import annotations

import json

import pytest
from conftest import run_cli
from report_support import PageLog, chromium

from archsearch.report.data import run_data

# 400 MMACs admits ReXNet 0.9 and 1.0 (348 and 398 MMACs) beside the MobileNetV2 grid; the default score
# (the `imagenet` estimator) and 8 trials keep the run to seconds (the dashboard, not the search, is under test).
RUN = ["run", "--space", "mbv2", "--budget", "400M", "--hw", "pixel", "--trials", "8", "--finalists", "1",
       "--seed", "1", "--no-progress", "--name", "real"]  # fmt: skip


@pytest.mark.slow
def test_dashboard_of_a_small_real_run(tmp_path):
    r = run_cli(*RUN, "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    r = run_cli("report", "real", "--runs-dir", str(tmp_path), "--format", "json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)[0]
    run = run_data(tmp_path / "real")
    complete = int((run.trials["state"] == "COMPLETE").sum())
    assert summary["trials"] == 8 and summary["finalists"] == 1
    assert {"mobilenet_v2", "rexnet"} <= set(run.baselines["family"])
    html = (tmp_path / "real" / "dashboard.html").read_text()
    assert f"Score: {run.meta['score_label']}" in html and "finalists beat every no-slower baseline" in html
    url = (tmp_path / "real" / "dashboard.html").as_uri()
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        log = PageLog(page)
        page.goto(url)
        page.locator(".js-plotly-plot .main-svg").nth(5).wait_for()
        verdict = page.locator("#verdict").text_content()
        y_title = page.evaluate("document.getElementById('fig-latency').layout.yaxis.title.text")
        counts = page.evaluate(
            "Object.fromEntries(document.getElementById('fig-cost').data.map("
            "t => [t.name + '|' + (t.legendgroup || ''), (t.customdata || []).length]))"
        )
        page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
        page.close()
    assert log.errors == [] and log.requests == [url]
    assert f" of {summary['finalists']} finalists beat every no-slower baseline" in verdict
    assert y_title == run.meta["score_label"]
    assert counts.get("feasible|search", 0) + counts.get("infeasible|search", 0) == complete
    per_family = {
        g: sum(n for k, n in counts.items() if k.endswith("|" + g)) for g in ("mobilenet_v2", "rexnet")
    }
    assert per_family["mobilenet_v2"] >= 10 and per_family["rexnet"] >= 2
    assert (tmp_path / "dashboard.png").stat().st_size > 50_000
