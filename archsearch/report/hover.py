"""Hover text of one trial or baseline: config id, stage table, alpha, resolution, costs, latency, the
score with its uncertainty (a baseline's beside its published top-1), the estimator's extrapolation and a
finalist's margin over its best no-slower baseline.

Plotly renders hover text as a small subset of HTML, so every value that comes from the run (names,
config fields, failure reasons) is escaped here, the one place hover text is made."""

from __future__ import annotations

from html import escape
from typing import Any

from archsearch.output import as_float as _num
from archsearch.report.estimator import Score
from archsearch.report.stages import format_stages, parse_config, stage_table

NBSP = "\u00a0"  # plotly collapses runs of plain spaces; the stage table needs its alignment


def _fmt(v: Any, spec: str, unit: str = "") -> str:
    f = _num(v)
    return "-" if f is None else f"{f:{spec}}{unit}"


def _wrapped(text: str, per_line: int = 3) -> list[str]:
    """A long comma list (an extrapolation's reasons) a few items per line."""
    items = [i.strip() for i in text.split(",") if i.strip()]
    return [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]


def hover_text(row: dict[str, Any], profile: str, score: Score, proxies: list[str], margin: str = "") -> str:
    """Pseudo-HTML for plotly's hover label (escaped; lines joined with <br>); `margin`: a finalist's
    standing against its best no-slower baseline (Score.margin)."""
    title = escape(str(row.get("label", "")))
    lines = [f"<b>{title}</b>  config {escape(str(row.get('config_id', '')))}"]
    lines.append(f"alpha {_fmt(row.get('alpha'), 'g')} · resolution {_fmt(row.get('resolution'), '.0f')}")
    lines.append(
        f"MACs {_fmt(row.get('mmacs'), ',.1f', ' MMACs')} · params {_fmt(row.get('params_m'), '.2f', ' M')}"
        f" · memory {_fmt(row.get('peak_mb'), '.2f', ' MB')}"
    )
    lines.append(f"latency {_fmt(row.get('latency_ms'), '.2f', ' ms')} on {escape(profile)}")
    published = _num(row.get("published_top1"))
    line = f"{escape(score.label)}: <b>{score.value(row.get('score'), row.get('score_uncertainty'))}</b>"
    if score.beside_published and published is not None:
        line += f" · published {published:.1f}"
        if _num(row.get("score")) is not None:
            line += f", estimate off by {_num(row.get('score')) - published:+.1f}"  # type: ignore[operator]
    lines.append(line)
    others = [f"{escape(p)} {_fmt(row.get(f'proxy_{p}'), '.4g')}" for p in proxies if p != score.name]
    lines += [" · ".join(others[i : i + 4]) for i in range(0, len(others), 4)]  # a few per line
    if margin:
        lines.append(f"<b>{escape(margin)}</b> (best no-slower baseline)")
    if row.get("extrapolates") is True:
        lines.append("<b>extrapolates</b>: outside the estimator's fitted ranges")
        lines += [f"  {escape(r)}".replace(" ", NBSP) for r in _wrapped(str(row.get("extrapolation") or ""))]
    if _num(row.get("trained_top1")) is not None:
        lines.append(f"short-training top-1 {_fmt(row.get('trained_top1'), '.1f', '%')}")
    if published is not None and not score.beside_published:
        lines.append(f"published ImageNet top-1 {published:.1f}%")
    if row.get("feasible") is False and _num(row.get("score")) is not None:
        lines.append(
            "<b>infeasible</b>: outside the estimator's domain (allowed only with --allow-extrapolation)"
        )
    elif row.get("feasible") is False:
        lines.append(f"<b>infeasible</b>: {_fmt(row.get('violation'), '.1%')} over a limit (not scored)")
    if row.get("fail_reason"):
        lines.append(f"failed: {escape(str(row['fail_reason'])[:200])}")
    table = format_stages(stage_table(parse_config(row.get("config_json"))))
    lines += [escape(r).replace(" ", NBSP) for r in table]
    return "<br>".join(lines)
