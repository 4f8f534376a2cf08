"""The dashboard's plotly figures, built from the run's pandas tables.

Hover text is not stored in the figures: each point carries its row number in `customdata`, and the
page fills `text` from one shared table of hover texts (html.py). A 5,000-trial run thus stores each
stage table once instead of once per view, which keeps the file small."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from plotly.subplots import make_subplots

from archsearch.report.data import RunData, scored
from archsearch.report.progress import objective_pair, progress

HOVER = "%{text}<extra></extra>"
GREY, RED, BLUE, ORANGE = "#9e9e9e", "#d62728", "#1f4e9c", "#ff7f0e"
FAMILIES = {  # family -> (legend title, colour scale or colour, shown by default)
    "mobilenet_v2": ("MobileNetV2 (alpha x resolution)", "Greens", True),
    "rexnet": ("ReXNet (widths, 224 px)", "#7b3294", True),
    "mobilenet_v1": ("MobileNetV1 (alpha x resolution)", "Oranges", False),
}
FONT = "DejaVu Sans, Arial, sans-serif"


@dataclass(frozen=True)
class Axis:
    column: str
    title: str
    limit: float | None = None
    limit_label: str = ""


def points(df: pd.DataFrame, x: str, y: str, **kw) -> go.Scatter:
    """A scatter trace whose hover text the page fills from the shared table (row numbers in customdata)."""
    kw.setdefault("mode", "markers")
    return go.Scatter(
        x=df[x].to_numpy(dtype=float), y=df[y].to_numpy(dtype=float), customdata=df["row"].astype(int).tolist(),
        hovertemplate=HOVER, **kw,
    )  # fmt: skip


def front(df: pd.DataFrame, x: str, y: str = "score") -> pd.DataFrame:
    """The rows no other row beats on (lower x, higher y), sorted by x."""
    d = df[df[x].notna() & df[y].notna()].sort_values([x, y], ascending=[True, False])
    keep = d[y].to_numpy() > np.maximum.accumulate(np.r_[-np.inf, d[y].to_numpy()[:-1]])
    return d[keep]


def layout(fig: go.Figure, title: str, x: str, y: str, height: int = 560) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01, "font": {"size": 17}}, height=height, template="plotly_white",
        font={"family": FONT, "size": 13}, margin={"l": 70, "r": 20, "t": 60, "b": 60},
        legend={"groupclick": "toggleitem", "font": {"size": 12}, "tracegroupgap": 8},
        hoverlabel={"font": {"family": "DejaVu Sans Mono, monospace", "size": 12}, "align": "left",
                    "bgcolor": "white"},
    )  # fmt: skip
    fig.update_xaxes(title_text=x, showline=True, linecolor="#444", mirror=True, zeroline=False)
    fig.update_yaxes(title_text=y, showline=True, linecolor="#444", mirror=True, zeroline=False)
    return fig


def baseline_traces(b: pd.DataFrame, x: str, y: str) -> list[go.Scatter]:
    """MobileNet curves (one per alpha, along resolution) and the ReXNet width curve, same axes as trials."""
    traces = []
    b = b[b[x].notna() & b[y].notna()]
    for family, (title, colours, visible) in FAMILIES.items():
        fam = b[b["family"] == family]
        if fam.empty:
            continue
        if family == "rexnet":
            widths = fam["alpha"].dropna()
            label = ", ".join(f"{w:g}" for w in sorted(widths.unique()))
            label = f"width {label}" if widths.nunique() == 1 else f"widths {label}"
            curves = [(label, fam.sort_values("alpha"), colours)]
        else:
            groups = list(fam.groupby("alpha", sort=True))
            at = list(np.linspace(0.45, 1.0, len(groups))) if len(groups) > 1 else [0.8]
            curves = [
                (f"alpha {float(a)}, res {g['resolution'].min():.0f}-{g['resolution'].max():.0f}",
                 g.sort_values("resolution"), c)
                for (a, g), c in zip(groups, sample_colorscale(colours, at), strict=True)
            ]  # fmt: skip
        symbol = "diamond" if family == "rexnet" else "circle"
        for name, g, colour in curves:
            traces.append(points(
                g, x, y, mode="lines+markers", name=name, legendgroup=family, legendgrouptitle={"text": title},
                visible=True if visible else "legendonly", line={"color": colour, "width": 2},
                marker={"color": colour, "size": 9, "symbol": symbol, "line": {"color": "white", "width": 1}},
            ))  # fmt: skip
    return traces


def limit_line(fig: go.Figure, axis: Axis, horizontal: bool = False) -> None:
    if axis.limit is None:
        return
    style = {"line_dash": "dash", "line_color": RED, "line_width": 2, "annotation_text": axis.limit_label,
             "annotation_font_color": RED}  # fmt: skip
    if horizontal:
        fig.add_hline(y=axis.limit, annotation_position="top right", **style)
    else:
        fig.add_vline(x=axis.limit, annotation_position="top left", **style)


def score_view(rows: pd.DataFrame, axis: Axis, score_title: str, title: str) -> go.Figure:
    """Proxy score against one cost: every trial greyed, infeasible ones in a band below, the front, the
    finalists, the baselines and the limit on that cost."""
    t, b = rows[rows["kind"] == "trial"], rows[rows["kind"] == "baseline"]
    ok = scored(rows)
    fig = go.Figure()
    fig.add_trace(points(ok, axis.column, "score", name="trials (feasible)", legendgroup="search",
                         legendgrouptitle={"text": "search"},
                         marker={"color": GREY, "size": 6, "opacity": 0.55}))  # fmt: skip
    bad = t[(t["feasible"] == False) & t[axis.column].notna()]  # noqa: E712
    all_scores = pd.concat([ok["score"], b["score"]]).dropna()
    if not bad.empty:
        lo, hi = (all_scores.min(), all_scores.max()) if len(all_scores) else (0.0, 1.0)
        floor = lo - 0.08 * ((hi - lo) or 1.0)
        bad = bad.assign(score=floor)
        pad = 0.04 * ((hi - lo) or 1.0)
        fig.add_hrect(y0=floor - pad, y1=floor + pad, fillcolor=RED, opacity=0.07, line_width=0,
                      annotation_text="infeasible: not scored", annotation_position="left",
                      annotation_font={"color": RED, "size": 11})  # fmt: skip
        fig.add_trace(points(bad, axis.column, "score", name="infeasible (over a limit, not scored)",
                             legendgroup="search", marker={"color": RED, "size": 7, "symbol": "x-thin",
                             "line": {"color": RED, "width": 1.5}, "opacity": 0.7}))  # fmt: skip
    f = front(ok, axis.column)
    fig.add_trace(points(f, axis.column, "score", mode="lines+markers", name="Pareto front (feasible)",
                         legendgroup="search", line={"color": BLUE, "width": 2.5, "shape": "hv"},
                         marker={"color": BLUE, "size": 8}))  # fmt: skip
    fin = ok[ok["finalist"] == True]  # noqa: E712
    if not fin.empty:
        fig.add_trace(points(fin, axis.column, "score", name="finalists (trained)", legendgroup="search",
                             marker={"color": ORANGE, "size": 15, "symbol": "star",
                                     "line": {"color": "black", "width": 1}}))  # fmt: skip
    for tr in baseline_traces(b, axis.column, "score"):
        fig.add_trace(tr)
    limit_line(fig, axis)
    return layout(fig, title, axis.title, score_title)


def trained_view(rows: pd.DataFrame, latency: Axis) -> go.Figure:
    """Short-training accuracy of the finalists and of the trained baselines against latency."""
    d = rows[rows["trained_top1"].notna() & rows["latency_ms"].notna()]
    fig = go.Figure()
    fin = d[d["kind"] == "trial"]
    fig.add_trace(points(fin, "latency_ms", "trained_top1", name="finalists", legendgroup="search",
                         legendgrouptitle={"text": "search"},
                         marker={"color": ORANGE, "size": 15, "symbol": "star",
                                 "line": {"color": "black", "width": 1}}))  # fmt: skip
    for tr in baseline_traces(d[d["kind"] == "baseline"], "latency_ms", "trained_top1"):
        fig.add_trace(tr)
    limit_line(fig, latency)
    if d.empty:
        fig.add_annotation(text="no finalist trained yet", showarrow=False, xref="paper", yref="paper",
                           x=0.5, y=0.5, font={"size": 16, "color": GREY})  # fmt: skip
    return layout(fig, "Finalists: short-training top-1 vs latency (published ImageNet top-1 on hover)",
                  latency.title, "short-training top-1 (%)", height=460)  # fmt: skip


def cost_view(rows: pd.DataFrame, macs: Axis, latency: Axis) -> go.Figure:
    """Every evaluated network by MACs and latency, feasible or not, with both limits drawn."""
    t = rows[(rows["kind"] == "trial") & rows["mmacs"].notna() & rows["latency_ms"].notna()]
    b = rows[rows["kind"] == "baseline"]
    fig = go.Figure()
    ok = t[t["feasible"] == True]  # noqa: E712
    fig.add_trace(points(ok, "mmacs", "latency_ms", name="feasible", legendgroup="search",
                         legendgrouptitle={"text": "search"},
                         marker={"color": GREY, "size": 6, "opacity": 0.55}))  # fmt: skip
    fig.add_trace(points(t[t["feasible"] == False], "mmacs", "latency_ms", name="infeasible",  # noqa: E712
                         legendgroup="search", marker={"color": RED, "size": 7, "symbol": "x-thin",
                         "line": {"color": RED, "width": 1.5}, "opacity": 0.7}))  # fmt: skip
    fin = t[t["finalist"] == True]  # noqa: E712
    if not fin.empty:
        fig.add_trace(points(fin, "mmacs", "latency_ms", name="finalists", legendgroup="search",
                             marker={"color": ORANGE, "size": 15, "symbol": "star",
                                     "line": {"color": "black", "width": 1}}))  # fmt: skip
    for tr in baseline_traces(b, "mmacs", "latency_ms"):
        fig.add_trace(tr)
    limit_line(fig, macs)
    limit_line(fig, latency, horizontal=True)
    return layout(fig, "Cost of every trial: MACs vs predicted latency", macs.title, latency.title)


def progress_view(run: RunData, rows: pd.DataFrame, proxy: str) -> go.Figure:
    objectives = [str(o) for o in run.meta.get("objectives") or ["score", "latency"]]
    ok = scored(rows)
    p = progress(run.trials, ok, objectives)
    pair = objective_pair(objectives)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.6, 0.4])
    fig.add_trace(points(ok, "number", "score", name="trial score", marker={"color": GREY, "size": 5,
                         "opacity": 0.5}), row=1, col=1)  # fmt: skip
    fig.add_trace(go.Scatter(x=p["number"], y=p["best"], mode="lines", name="best feasible score",
                             line={"color": BLUE, "width": 2.5, "shape": "hv"}), row=1, col=1)  # fmt: skip
    hv_name = f"hypervolume ({' x '.join(pair)}, normalised)" if pair else "hypervolume (needs 2 objectives)"
    fig.add_trace(go.Scatter(x=p["number"], y=p["hypervolume"], mode="lines", name=hv_name,
                             line={"color": ORANGE, "width": 2.5, "shape": "hv"}), row=2, col=1)  # fmt: skip
    layout(
        fig,
        "Search progress: best feasible score and hypervolume after each trial",
        "",
        f"score ({proxy})",
        height=540,
    )
    fig.update_xaxes(title_text="trial number", row=2, col=1)
    fig.update_yaxes(title_text="hypervolume (0-1)", row=2, col=1)
    return fig


def axes(run: RunData) -> dict[str, Axis]:
    m = run.meta
    profile = escape(str(m.get("profile") or "unknown"))
    budget, lat, par = m.get("budget_macs"), m.get("latency_limit_ms"), m.get("params_limit")
    return {
        "latency": Axis("latency_ms", f"predicted latency on {profile} (ms, batch 1)",
                        _num(lat), f"latency limit {_num(lat) or 0:g} ms"),
        "macs": Axis("mmacs", "MACs (MMACs, multiply-adds)", _num(budget, 1e6),
                     f"budget {(_num(budget, 1e6) or 0):,.0f} MMACs"),
        "params": Axis("params_m", "parameters (M)", _num(par, 1e6), f"params limit {(_num(par, 1e6) or 0):.2f} M"),
    }  # fmt: skip


def _num(v: object, div: float = 1.0) -> float | None:
    try:
        return float(v) / div if v not in (None, "") else None  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def run_figures(run: RunData, rows: pd.DataFrame) -> list[tuple[str, go.Figure]]:
    """(id, figure) of every view of one run; `rows` is trials then baselines with a `row` column."""
    ax = axes(run)
    proxy = escape(str(run.meta.get("proxies", ["score"])[0] if run.meta.get("proxies") else "score"))
    score_title = f"proxy score ({proxy}, higher is better)"
    return [
        ("latency", score_view(rows, ax["latency"], score_title, "Pareto front: proxy score vs predicted latency")),
        ("trained", trained_view(rows, ax["latency"])),
        ("macs", score_view(rows, ax["macs"], score_title, "Proxy score vs MACs")),
        ("params", score_view(rows, ax["params"], score_title, "Proxy score vs parameters")),
        ("cost", cost_view(rows, ax["macs"], ax["latency"])),
        ("progress", progress_view(run, rows, proxy)),
    ]  # fmt: skip
