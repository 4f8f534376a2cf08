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
from archsearch.report.estimator import Score
from archsearch.report.progress import objective_pair, progress

HOVER = "%{text}<extra></extra>"
GREY, RED, BLUE, ORANGE, MAUVE = "#9e9e9e", "#d62728", "#1f4e9c", "#ff7f0e", "#b07aa1"
FAMILIES = {  # family -> (legend title, colour scale, shown by default, what its width is called)
    "mobilenet_v2": ("MobileNetV2 (alpha x resolution)", "Greens", True, "alpha"),
    "rexnet": ("ReXNet (width x resolution)", "Purples", True, "width"),
    "mobilenet_v1": ("MobileNetV1 (alpha x resolution)", "Oranges", False, "alpha"),
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


def _span(v: pd.Series) -> str:
    lo, hi = v.min(), v.max()
    return f"{lo:.0f}" if lo == hi else f"{lo:.0f}-{hi:.0f}"


def _curves(fam: pd.DataFrame, colours: str, word: str) -> list[tuple[str, pd.DataFrame, str]]:
    """(legend name, rows, colour) of a family's curves: one per width along resolution, or one along
    width when the family was scored at a single resolution."""
    if fam["resolution"].nunique() <= 1:
        widths = sorted(fam["alpha"].dropna().unique())
        res = f", res {fam['resolution'].iloc[0]:.0f}" if fam["resolution"].notna().any() else ""
        return [(f"{word} {', '.join(f'{w:g}' for w in widths)}{res}", fam.sort_values("alpha"),
                 sample_colorscale(colours, [0.8])[0])]  # fmt: skip
    groups = list(fam.groupby("alpha", sort=True))
    at = list(np.linspace(0.45, 1.0, len(groups))) if len(groups) > 1 else [0.8]
    return [
        (f"{word} {float(a):g}, res {_span(g['resolution'])}", g.sort_values("resolution"), c)
        for (a, g), c in zip(groups, sample_colorscale(colours, at), strict=True)
    ]  # fmt: skip


def baseline_traces(b: pd.DataFrame, x: str, y: str, published: bool = False) -> list[go.Scatter]:
    """MobileNet and ReXNet curves (one per width, along resolution), same axes as trials; with
    `published`, each family's published top-1 as hollow markers on the same axes (the estimator's
    calibration at a glance: a filled marker and its hollow twin at the same x)."""
    traces = []
    b = b[b[x].notna() & b[y].notna()]
    for family, (title, colours, visible, word) in FAMILIES.items():
        fam = b[b["family"] == family]
        if fam.empty:
            continue
        symbol = "diamond" if family == "rexnet" else "circle"
        shown = True if visible else "legendonly"
        curves = _curves(fam, colours, word)
        for name, g, colour in curves:
            traces.append(points(
                g, x, y, mode="lines+markers", name=name, legendgroup=family, legendgrouptitle={"text": title},
                visible=shown, line={"color": colour, "width": 2},
                marker={"color": colour, "size": 9, "symbol": symbol, "line": {"color": "white", "width": 1}},
            ))  # fmt: skip
        pub = pd.concat([g.assign(colour=c) for _, g, c in curves]) if published else fam.iloc[:0]
        pub = pub[pub["published_top1"].notna()]
        if not pub.empty:
            traces.append(points(
                pub, x, "published_top1", name="published top-1", legendgroup=family, visible=shown,
                legendgrouptitle={"text": title},
                marker={"color": pub["colour"].tolist(), "size": 10, "symbol": f"{symbol}-open", "line": {"width": 2}},
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


def score_view(rows: pd.DataFrame, axis: Axis, score: Score, title: str,
               margins: dict[str, str] | None = None) -> go.Figure:  # fmt: skip
    """The score against one cost: every trial greyed, those outside the estimator's domain hollow at
    their predicted score, those over a limit in a band below, the front, the finalists (with their
    margins when given, by trial label), the baselines (and their published top-1) and the limit."""
    t, b = rows[rows["kind"] == "trial"], rows[rows["kind"] == "baseline"]
    ok = scored(rows)
    fig = go.Figure()
    fig.add_trace(points(ok, axis.column, "score", name="trials (feasible)", legendgroup="search",
                         legendgrouptitle={"text": "search"},
                         marker={"color": GREY, "size": 6, "opacity": 0.55}))  # fmt: skip
    bad = t[(t["feasible"] == False) & t[axis.column].notna()]  # noqa: E712
    outside, over = bad[bad["score"].notna()], bad[bad["score"].isna()]
    if not outside.empty:
        fig.add_trace(points(outside, axis.column, "score", name="outside the estimator's domain (infeasible)",
                             legendgroup="search", marker={"color": MAUVE, "size": 6, "symbol": "circle-open",
                             "opacity": 0.6, "line": {"width": 1}}))  # fmt: skip
    shown = pd.concat([ok["score"], outside["score"], b["score"]]).dropna()
    if score.beside_published:
        shown = pd.concat([shown, b["published_top1"].dropna()])
    if not over.empty:
        lo, hi = (shown.min(), shown.max()) if len(shown) else (0.0, 1.0)
        floor = lo - 0.08 * ((hi - lo) or 1.0)
        over = over.assign(score=floor)
        pad = 0.04 * ((hi - lo) or 1.0)
        fig.add_hrect(y0=floor - pad, y1=floor + pad, fillcolor=RED, opacity=0.07, line_width=0,
                      annotation_text="over a limit: not scored", annotation_position="left",
                      annotation_font={"color": RED, "size": 11})  # fmt: skip
        fig.add_trace(points(over, axis.column, "score", name="over a limit (infeasible, not scored)",
                             legendgroup="search", marker={"color": RED, "size": 7, "symbol": "x-thin",
                             "line": {"color": RED, "width": 1.5}, "opacity": 0.7}))  # fmt: skip
    f = front(ok, axis.column)
    fig.add_trace(points(f, axis.column, "score", mode="lines+markers", name="Pareto front (feasible)",
                         legendgroup="search", line={"color": BLUE, "width": 2.5, "shape": "hv"},
                         marker={"color": BLUE, "size": 8}))  # fmt: skip
    fin = ok[ok["finalist"] == True]  # noqa: E712
    if not fin.empty:
        trained = " (trained)" if fin["trained_top1"].notna().any() else ""
        fig.add_trace(points(fin, axis.column, "score", name=f"finalists{trained}", legendgroup="search",
                             marker={"color": ORANGE, "size": 15, "symbol": "star",
                                     "line": {"color": "black", "width": 1}}))  # fmt: skip
    for tr in baseline_traces(b, axis.column, "score", published=score.beside_published):
        fig.add_trace(tr)
    limit_line(fig, axis)
    if margins and not fin.empty:
        x_lo = pd.concat([ok[axis.column], outside[axis.column], b[axis.column]]).min()
        y_lo = shown.min() if over.empty else min(shown.min(), over["score"].min() - pad)
        margin_labels(fig, fin, axis.column, margins, x_lo, y_lo, shown.max())
    return layout(fig, title, axis.title, escape(score.label))


LABEL_PX, PLOT_PX = 21, 440  # a margin label's row and the plot area's height (560 px figure less margins)


def margin_labels(fig: go.Figure, fin: pd.DataFrame, x: str, margins: dict[str, str], x_lo: float, y_lo: float,
                  y_hi: float) -> None:  # fmt: skip
    """Each finalist's margin as a label in a stack at the top left, in head room added above the data
    (so a label never hides a point), with a line to its star; highest score on top, so lines do not cross."""
    labels = [
        (r, margins[r.label])
        for r in fin.sort_values("score", ascending=False).itertuples()
        if margins.get(r.label)
    ]
    if not labels:
        return
    rows = min(len(labels), 12)
    span = (y_hi - y_lo) or 1.0
    total = 1.1 * span / (1 - rows * LABEL_PX / PLOT_PX)
    step, bottom = total * LABEL_PX / PLOT_PX, y_lo - 0.05 * span
    fig.update_yaxes(range=[bottom, bottom + total])
    for i, (r, text) in enumerate(labels):
        fig.add_annotation(x=getattr(r, x), y=r.score, text=f"{escape(r.label)}: {escape(text)}", showarrow=True,
                           arrowhead=0, arrowcolor=ORANGE, arrowwidth=1.2, axref="x", ayref="y", ax=x_lo,
                           ay=bottom + total - (min(i, rows - 1) + 0.6) * step, xanchor="left",
                           font={"size": 11, "color": "#222"}, bgcolor="rgba(255,255,255,0.9)",
                           bordercolor=ORANGE, borderpad=2)  # fmt: skip


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
    title = "Finalists: short-training top-1 vs latency (published ImageNet top-1 on hover)"
    if d.empty:  # a short strip, not an empty plot: most runs train nothing (it needs real images)
        fig.add_annotation(text="no finalist has a short-training result", showarrow=False, xref="paper",
                           yref="paper", x=0.5, y=0.5, font={"size": 16, "color": GREY})  # fmt: skip
        fig.update_xaxes(showticklabels=False)
        fig.update_yaxes(showticklabels=False)
        return layout(fig, title, "", "", height=220)
    return layout(fig, title, latency.title, "short-training top-1 (%)", height=460)


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


def progress_view(run: RunData, rows: pd.DataFrame, score: Score) -> go.Figure:
    objectives = [str(o) for o in run.meta.get("objectives") or ["score", "latency"]]
    ok = scored(rows)
    p = progress(run.trials, ok, objectives)
    pair = objective_pair(objectives)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.6, 0.4])
    fig.add_trace(points(ok, "number", "score", name="feasible trials", marker={"color": GREY, "size": 5,
                         "opacity": 0.5}), row=1, col=1)  # fmt: skip
    fig.add_trace(go.Scatter(x=p["number"], y=p["best"], mode="lines", name="best feasible so far",
                             line={"color": BLUE, "width": 2.5, "shape": "hv"}), row=1, col=1)  # fmt: skip
    hv_name = f"hypervolume ({' x '.join(pair)}, normalised)" if pair else "hypervolume (needs 2 objectives)"
    fig.add_trace(go.Scatter(x=p["number"], y=p["hypervolume"], mode="lines", name=hv_name,
                             line={"color": ORANGE, "width": 2.5, "shape": "hv"}), row=2, col=1)  # fmt: skip
    layout(fig, f"Search progress: best feasible {escape(score.label)} and hypervolume after each trial", "",
           escape(score.label), height=540)  # fmt: skip
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


def run_figures(
    run: RunData, rows: pd.DataFrame, margins: dict[str, str] | None = None
) -> list[tuple[str, go.Figure]]:
    """(id, figure) of every view of one run; `rows` is trials then baselines with a `row` column;
    `margins`: each finalist's standing against its best no-slower baseline, by trial label."""
    ax = axes(run)
    score = Score.of(run.meta)
    label = escape(score.label)  # titles are plotly's pseudo-HTML
    head = label[:1].upper() + label[1:]
    return [
        ("latency", score_view(rows, ax["latency"], score, f"Pareto front: {label} vs predicted latency", margins)),
        ("trained", trained_view(rows, ax["latency"])),
        ("macs", score_view(rows, ax["macs"], score, f"{head} vs MACs")),
        ("params", score_view(rows, ax["params"], score, f"{head} vs parameters")),
        ("cost", cost_view(rows, ax["macs"], ax["latency"])),
        ("progress", progress_view(run, rows, score)),
    ]  # fmt: skip
