"""The dashboards in a real headless Chromium: no console errors, no network, the expected points,
both baseline families, hover stage tables, user strings shown as text (no script runs)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_run import write_fake_run
from report_support import PageLog, chromium, served

from archsearch.report.dashboard import write_dashboard
from archsearch.report.data import run_data

XSS_NAME = "<img src=x onerror=alert(1)>"
XSS_ACT = "<script>alert(3)</script>"
TRACES = "Object.fromEntries(document.getElementById(%r).data.map(t => [t.name + '|' + (t.legendgroup || ''), (t.customdata || []).length]))"


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("runs")
    write_fake_run(root, "small", trials=40, budget=600_000_000, latency_limit=90.0)
    write_fake_run(
        root, "gpu-run", trials=25, seed=5, profile="gpu", budget=600_000_000, latency_limit=20.0, scale=0.1
    )
    xss = {"blocks": [{"kind": "ir", "cin": 32, "cout": 16, "act": XSS_ACT}]}
    write_fake_run(root, XSS_NAME, trials=12, seed=3, config_patch=xss)
    for run in root.iterdir():
        write_dashboard(run_data(run))
    return root


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _open(browser, url: str):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    log = PageLog(page)
    page.goto(url)
    _drawn(page, page.locator("script.figure").count())
    return page, log


def _drawn(page, n: int) -> None:
    """Wait until n figures are drawn (selectors, not wait_for_function: the served CSP forbids eval)."""
    page.locator(".js-plotly-plot .main-svg").nth(n - 1).wait_for()


def test_dashboard_loads_offline_with_every_point(runs, browser, tmp_path):
    run = run_data(runs / "small")
    url = (runs / "small" / "dashboard.html").as_uri()
    page, log = _open(browser, url)
    assert log.errors == [] and log.requests == [url]
    assert page.locator(".js-plotly-plot").count() == 6
    cost = page.evaluate(TRACES % "fig-cost")
    complete = int((run.trials["state"] == "COMPLETE").sum())
    assert cost["feasible|search"] + cost["infeasible|search"] == complete
    lat = page.evaluate(TRACES % "fig-latency")
    feasible = int((run.trials["feasible"] == True).sum())  # noqa: E712
    assert lat["trials (feasible)|search"] == feasible
    families = {k.split("|")[1]: 0 for k in lat}
    for k, n in lat.items():
        families[k.split("|")[1]] += n
    assert families["mobilenet_v2"] >= 20 and families["rexnet"] >= 1
    shot = tmp_path / "dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000
    page.close()


def test_hover_shows_the_stage_table(runs, browser):
    page, log = _open(browser, (runs / "small" / "dashboard.html").as_uri())
    page.locator("#fig-cost path.point").first.hover(force=True)
    text = page.locator("#fig-cost .hoverlayer .hovertext").first.text_content()
    for part in ("config", "MMACs", " ms on pixel", "resolution", "alpha", "memory", "SE", "act"):
        assert part in text
    assert log.errors == []
    page.close()


def test_user_strings_render_as_text_in_the_file(runs, browser):
    run = next(p for p in runs.iterdir() if p.name.startswith("img"))
    page, log = _open(browser, (run / "dashboard.html").as_uri())
    assert page.locator("h1").text_content() == XSS_NAME and page.title().endswith(XSS_NAME)
    assert page.locator("img").count() == 0
    assert XSS_ACT in _hover_until(page, "#fig-cost", XSS_ACT)
    assert log.dialogs == [] and log.errors == []
    page.close()


def _hover_until(page, fig: str, wanted: str) -> str:
    """Hover the figure's points until one's hover label holds `wanted`; that label's text."""
    text = ""
    for point in page.locator(f"{fig} path.point").all():
        point.hover(force=True)
        text = page.locator(f"{fig} .hoverlayer").text_content() or ""
        if wanted in text:
            break
    return text


def test_server_index_links_overlay_and_escaping(runs, browser):
    with served(runs) as base:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        log = PageLog(page)
        page.goto(base + "/")
        links = page.locator("a.run")
        assert sorted(links.all_text_contents()) == sorted(["small", "gpu-run", XSS_NAME])
        assert page.locator("img").count() == 0
        for i in range(links.count()):
            page.goto(base + "/")
            name = page.locator("a.run").nth(i).text_content()
            page.locator("a.run").nth(i).click()
            _drawn(page, 6)
            assert page.locator("h1").text_content() == name
            assert page.locator("text=all runs").count() == 1
        page.goto(base + "/")
        page.locator("input[value='small']").check()
        page.locator("input[value='gpu-run']").check()
        page.locator("button[type=submit]").click()
        _drawn(page, 2)
        names = page.evaluate("document.getElementById('fig-overlay-latency').data.map(t => t.legendgroup)")
        assert set(names) == {"0", "1"}
        assert log.dialogs == [] and log.errors == []
        assert all(u.startswith(base) for u in log.requests)
        page.close()


def test_served_dashboard_reloads_while_the_run_writes(tmp_path, browser):
    run = write_fake_run(tmp_path, "live", trials=10, budget=600_000_000, latency_limit=90.0)
    with served(tmp_path, poll_ms=300) as base:
        page = browser.new_page()
        page.goto(base + "/runs/live/")
        _drawn(page, 6)
        assert page.locator(".stat b").first.text_content() == "10"
        lines = run.trials_csv.read_text().splitlines(keepends=True)
        with run.trials_csv.open("a") as f:
            f.write(lines[-1].replace(lines[-1].split(",")[0], "10", 1))  # trial 10 finishes
        page.locator(".stat b", has_text="11").first.wait_for(timeout=10_000)
        page.close()


def test_finalists_hover_and_label_their_margin(runs, browser):
    run = run_data(runs / "small")
    page, log = _open(browser, (runs / "small" / "dashboard.html").as_uri())
    assert "finalists beat every no-slower baseline" in page.locator("#verdict").text_content()
    fin = run.trials[run.trials["finalist"] == True].sort_values("latency_ms")  # noqa: E712
    page.evaluate(
        "(() => { const g = document.getElementById('fig-latency');"
        " Plotly.Fx.hover(g, [{curveNumber: g.data.findIndex(t => t.name === 'finalists (trained)'), pointNumber: 0}]); })()"
    )
    text = page.locator("#fig-latency .hoverlayer").text_content()
    first = fin.iloc[0] if f"trial {fin.iloc[0].number:.0f} " in text else fin.iloc[1]
    assert f"{first.margin:+.1f} pts vs {first.baseline}" in text and "±" in text
    labels = page.locator("#fig-latency .annotation-text").all_text_contents()
    assert sum("pts vs" in t for t in labels) == len(fin)
    legend = page.locator("#fig-latency .legendtext").all_text_contents()
    assert "published top-1" in legend
    assert log.errors == []
    page.close()
