"""Several runs on one page: their feasible Pareto fronts overlaid, by latency (each on its own profile)
and by MACs (device-independent), e.g. the same space searched for `pixel` and for `gpu`."""

from __future__ import annotations

from urllib.parse import quote

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from archsearch.report.data import RunData, scored
from archsearch.report.estimator import Score
from archsearch.report.figures import front, layout, points
from archsearch.report.hover import hover_text
from archsearch.report.page import document, esc, figures_html


def _rows(runs: list[RunData]) -> pd.DataFrame:
    frames = []
    for i, run in enumerate(runs):
        rows = run.rows()
        rows["run"] = i
        rows["label"] = [f"{run.name}: {label}" for label in rows["label"]]
        frames.append(rows)
    rows = pd.concat(frames, ignore_index=True)
    rows["row"] = range(len(rows))
    return rows


def overlay_figure(runs: list[RunData], rows: pd.DataFrame, x: str, title: str, x_title: str) -> go.Figure:
    fig = go.Figure()
    spans = []
    for i, run in enumerate(runs):
        colour = qualitative.Plotly[i % len(qualitative.Plotly)]
        ok = scored(rows[rows["run"] == i])
        ok = ok[ok[x].notna()]
        name = f"{esc(run.name)} ({esc(run.meta.get('profile'))}, {esc(Score.of(run.meta).name)})"
        fig.add_trace(points(ok, x, "score", name="all feasible trials", legendgroup=str(i),
                             legendgrouptitle={"text": name}, marker={"color": colour, "size": 5, "opacity": 0.25}))  # fmt: skip
        fig.add_trace(points(front(ok, x), x, "score", mode="lines+markers", name="Pareto front",
                             legendgroup=str(i), line={"color": colour, "width": 2.5, "shape": "hv"},
                             marker={"color": colour, "size": 8}))  # fmt: skip
        if len(ok):
            spans += [ok[x].min(), ok[x].max()]
    labels = {Score.of(run.meta).label for run in runs}
    y_title = labels.pop() if len(labels) == 1 else "score (each run's own estimator)"
    fig = layout(fig, title, x_title, esc(y_title))
    if spans and min(spans) > 0 and max(spans) / min(spans) > 20:
        fig.update_xaxes(type="log")  # devices an order of magnitude apart stay readable
    return fig


def overlay_page(runs: list[RunData]) -> str:
    rows = _rows(runs)
    scores = [Score.of(run.meta) for run in runs]
    what = esc(scores[0].label) if len({sc.label for sc in scores}) == 1 else "score"
    hover = [
        hover_text(r, str(runs[r["run"]].meta.get("profile")), scores[r["run"]], runs[r["run"]].proxies)
        for r in rows.to_dict("records")
    ]  # fmt: skip
    figs = [
        ("overlay-latency", overlay_figure(runs, rows, "latency_ms", f"Pareto fronts: {what} vs predicted latency",
                                           "predicted latency, each run on its own profile (ms, batch 1)")),
        ("overlay-macs", overlay_figure(runs, rows, "mmacs", f"Pareto fronts: {what} vs MACs",
                                        "MACs (MMACs, multiply-adds)")),
    ]  # fmt: skip
    links = ", ".join(f'<a href="/runs/{esc(quote(r.id))}/">{esc(r.name)}</a>' for r in runs)
    body = f"""<p><a href="/">&larr; all runs</a></p><h1>Overlay of {len(runs)} runs</h1>
<p class="sub">{links}. Scores are comparable only between runs that use the same estimator.</p>
{figures_html(figs, hover)}"""
    return document("archsearch &middot; overlay", body)
