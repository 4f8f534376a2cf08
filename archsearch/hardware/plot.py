"""Predicted-vs-measured plot of a calibration (self-contained plotly HTML: no downloads to view it)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def validation_plot(
    predicted: Sequence[float], measured: Sequence[float], labels: Sequence[str], title: str, path: str | Path
) -> Path:
    import plotly.graph_objects as go

    lo, hi = min(*predicted, *measured), max(*predicted, *measured)
    fig = go.Figure()
    fig.add_scatter(x=list(measured), y=list(predicted), mode="markers", text=list(labels), name="networks")
    fig.add_scatter(x=[lo, hi], y=[lo, hi], mode="lines", name="exact", line={"dash": "dash"})
    for f in (0.9, 1.1):
        fig.add_scatter(
            x=[lo, hi], y=[lo * f, hi * f], mode="lines", name=f"{f - 1:+.0%}", line={"dash": "dot"}
        )
    fig.update_layout(title=title, xaxis_title="measured (ms)", yaxis_title="predicted (ms)")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.write_html(path, include_plotlyjs=True)
    return path
