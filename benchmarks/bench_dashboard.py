"""Dashboard size and load time for a large run (issue 6: 5,000 trials under 10 MB, loads in seconds).

Writes a run directory of N trials in the engine's format (tests/fake_run.py: real sampled configs and
analytic costs, made-up latency and scores), then times `archsearch report` (load + render + write),
the file size, and a headless Chromium load until every figure is drawn (median of --loads loads).

Usage: python benchmarks/bench_dashboard.py [--trials 5000] [--loads 3] [--keep DIR]"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fake_run import write_fake_run  # noqa: E402

from archsearch.report.dashboard import write_dashboard  # noqa: E402
from archsearch.report.data import run_data  # noqa: E402

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def browser_load(url: str, loads: int = 3) -> tuple[list[float], int, list[str]]:
    """Seconds from navigation to the last figure drawn, per load; figures drawn; console errors."""
    from playwright.sync_api import sync_playwright

    times, errors, drawn = [], [], 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        for _ in range(loads):
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            t0 = time.perf_counter()
            page.goto(url)
            n = page.locator("script.figure").count()
            page.locator(".js-plotly-plot .main-svg").nth(n - 1).wait_for(timeout=120_000)
            page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            times.append(time.perf_counter() - t0)
            drawn = page.locator(".js-plotly-plot").count()
            page.close()
        browser.close()
    return times, drawn, errors


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=5000)
    ap.add_argument("--loads", type=int, default=3, help="Chromium loads to time (median reported)")
    ap.add_argument("--keep", help="write the run here instead of a temporary folder")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.keep or tmp)
        t0 = time.perf_counter()
        run = write_fake_run(out, f"bench-{args.trials}", trials=args.trials, budget=600_000_000, latency_limit=90.0,
                             finalists=5)  # fmt: skip
        t_fake = time.perf_counter() - t0
        t0 = time.perf_counter()
        data = run_data(run.path)
        t_load = time.perf_counter() - t0
        t0 = time.perf_counter()
        path = write_dashboard(data)
        t_render = time.perf_counter() - t0
        size = path.stat().st_size
        times, drawn, errors = browser_load(path.as_uri(), args.loads)
    print(f"trials: {len(data.trials):,} ({int((data.trials['feasible'] == True).sum()):,} feasible), "  # noqa: E712
          f"baselines: {len(data.baselines)}; fake run written in {t_fake:.1f} s")  # fmt: skip
    print(f"run_data: {t_load:.2f} s; render + write: {t_render:.2f} s")
    print(f"dashboard.html: {size:,} bytes ({size / 2**20:.2f} MiB; limit 10 MB)")
    print(f"Chromium load to {drawn} figures drawn: median {statistics.median(times):.2f} s "
          f"(runs {', '.join(f'{t:.2f}' for t in times)}); console errors: {len(errors)}")  # fmt: skip


if __name__ == "__main__":
    main()
