"""`runs/<id>/dashboard.html`: one self-contained page (plotly.js embedded, no network) with every view
of a run, its provenance and its finalists with their export commands."""

from __future__ import annotations

import math
import os
import shlex
from pathlib import Path
from typing import Any

import pandas as pd

from archsearch.report.data import RunData, scored
from archsearch.report.figures import front, run_figures
from archsearch.report.hover import hover_text
from archsearch.report.page import document, esc, figures_html, table
from archsearch.report.progress import progress
from archsearch.report.provenance import profile_provenance
from archsearch.search.storage import RunDir

DASHBOARD = "dashboard.html"


def _f(v: Any, spec: str, div: float = 1.0) -> str:
    try:
        f = float(v) / div
    except (TypeError, ValueError):
        return "-"
    return "-" if math.isnan(f) else f"{f:{spec}}"


def shown_path(path: Path) -> str:
    """The run folder as a user would type it: relative to the working directory when inside it."""
    full = path.resolve()
    return os.path.relpath(full) if full.is_relative_to(Path.cwd()) else str(full)


def summary(run: RunData) -> dict[str, Any]:
    """The figures the report command prints and the page's header shows."""
    t = run.trials
    ok = scored(run.rows())
    objectives = [str(o) for o in run.meta.get("objectives") or ["score", "latency"]]
    hv = progress(t, ok, objectives)["hypervolume"]
    return {
        "run": run.id, "trials": len(t), "complete": int((t["state"] == "COMPLETE").sum()),
        "failed": int((t["state"] == "FAIL").sum()), "feasible": int((t["feasible"] == True).sum()),  # noqa: E712
        "pareto": len(front(ok, "latency_ms")), "finalists": int((t["finalist"] == True).sum()),  # noqa: E712
        "best_score": float(ok["score"].max()) if len(ok) else None,
        "hypervolume": float(hv.iloc[-1]) if len(hv) and pd.notna(hv.iloc[-1]) else None,
        "baselines": len(run.baselines),
    }  # fmt: skip


def export_command(run: RunData, number: int) -> str:
    where = shown_path(run.path)
    return " ".join(["archsearch", "export", shlex.quote(where), "--trial", str(number), "--format", "py",
                     "--out", shlex.quote(os.path.join(where, "exports"))])  # fmt: skip


def finalists_table(run: RunData) -> str:
    fin = run.trials[run.trials["finalist"] == True].sort_values("number")  # noqa: E712
    rows = [{
        "trial": int(r.number), "config": r.config_id, "MMACs": _f(r.mmacs, ",.1f"), "params (M)": _f(r.params_m, ".2f"),
        "latency (ms)": _f(r.latency_ms, ".2f"), "score": _f(r.score, ".4g"), "short-training top-1 (%)": _f(r.trained_top1, ".1f"),
        "export": f"<code>{esc(export_command(run, int(r.number)))}</code>",
    } for r in fin.itertuples()]  # fmt: skip
    return table(rows, numeric={"trial", "MMACs", "params (M)", "latency (ms)", "score", "short-training top-1 (%)"},
                 raw={"export"})  # fmt: skip


def _digested(name: Any, digest: Any) -> str:
    return f"{esc(name)} (file digest {esc(digest)})" if digest else esc(name)


def run_facts(run: RunData) -> str:
    m = run.meta
    budget = m.get("budget_macs")
    url = RunDir(run.path).storage_url(m.get("storage"))  # None: the run folder's own study.db
    rows = [
        ("command", f"<code>{esc(m.get('command'))}</code>"), ("seed", esc(m.get("seed"))),
        ("created", esc(m.get("created"))), ("space", _digested(m.get("space"), m.get("space_digest"))),
        ("profile", _digested(m.get("profile"), m.get("profile_digest"))),
        ("budget", f"{_f(budget, ',.0f', 1e6)} MMACs" if budget else "none"),
        ("latency limit", f"{esc(m.get('latency_limit_ms'))} ms" if m.get("latency_limit_ms") else "none"),
        ("params limit", esc(m.get("params_limit") or "none")),
        ("objectives", esc(", ".join(map(str, m.get("objectives") or [])))),
        ("proxies", esc(", ".join(map(str, m.get("proxies") or [])))),
        ("Optuna storage", f"<code>{esc(url)}</code> (study {esc(run.id)}; open it with <code>optuna-dashboard {esc(shlex.quote(url))}</code>)"),
        ("versions", esc(", ".join(f"{k} {v}" for k, v in (m.get("versions") or {}).items()))),
    ]  # fmt: skip
    return table([{"": k, "value": v} for k, v in rows], raw={"value"})


def provenance_html(run: RunData) -> str:
    p = profile_provenance(run.meta)
    warn = f'<p class="warn">{esc(p.warning)}</p>' if p.warning else ""
    facts = table([{"": k, "value": v} for k, v in p.facts])
    val = (
        table(p.validation, numeric={"n", "MAPE %", "within 10 %", "Kendall tau"})
        if p.validation
        else "<p>accuracy: unknown</p>"
    )
    return f"{warn}<div class=cols><div>{facts}</div><div><h3>Predictor accuracy (held-out data)</h3>{val}</div></div>"


def render(run: RunData) -> str:
    """The whole page (the server appends its back link and live reload to this same file)."""
    rows = run.rows()
    profile, proxy = str(run.meta.get("profile") or "unknown"), str((run.meta.get("proxies") or ["score"])[0])
    hover = [hover_text(r, profile, proxy, run.proxies) for r in rows.to_dict("records")]
    s = summary(run)
    stats = [("trials", s["trials"]), ("feasible", s["feasible"]), ("failed", s["failed"]),
             ("on the front", s["pareto"]), ("finalists", s["finalists"]), ("best score", _f(s["best_score"], ".4g")),
             ("hypervolume", _f(s["hypervolume"], ".3f")), ("baselines", s["baselines"])]  # fmt: skip
    body = f"""<h1>{esc(run.name)}</h1>
<p class="sub">run <code>{esc(run.id)}</code> &middot; space {esc(run.meta.get("space"))} &middot; profile {esc(profile)}
&middot; proxy {esc(proxy)} &middot; seed {esc(run.meta.get("seed"))}</p>
<div class="stats">{"".join(f'<div class="stat">{esc(k)}<b>{esc(v)}</b></div>' for k, v in stats)}</div>
<p class="sub">Grey: every feasible trial; red crosses: trials over a limit (not scored); blue: the feasible Pareto
front; stars: finalists. Baselines are scored exactly like the trials; hover a point for its stage table.</p>
{figures_html(run_figures(run, rows), hover)}
<h2>Finalists</h2><div class="card">{finalists_table(run)}</div>
<h2>Latency provenance: profile {esc(profile)}</h2><div class="card">{provenance_html(run)}</div>
<h2>Run</h2><div class="card">{run_facts(run)}</div>"""
    return document(f"archsearch &middot; {esc(run.name)}", body)


def write_dashboard(run: RunData) -> Path:
    """Write `dashboard.html` in the run folder (atomically: the server may be reading it)."""
    path = run.path / DASHBOARD
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(render(run), encoding="utf-8")
    os.replace(tmp, path)
    return path
