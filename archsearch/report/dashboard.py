"""`runs/<id>/dashboard.html`: one self-contained page (plotly.js embedded, no network) with every view
of a run, its verdict against the baselines, its score's own validation figures, its provenance and its
finalists with their margins and export commands."""

from __future__ import annotations

import math
import os
import shlex
from pathlib import Path
from typing import Any

import pandas as pd

from archsearch.report.data import RunData, scored
from archsearch.report.estimator import Score, comparisons, figures_line, validation_rows, verdict_line
from archsearch.report.figures import front, run_figures
from archsearch.report.hover import hover_text
from archsearch.report.page import document, esc, figures_html, table
from archsearch.report.progress import progress
from archsearch.report.provenance import profile_provenance
from archsearch.runs import RunDir
from archsearch.search.compare import Comparison

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


def finalists_table(run: RunData, score: Score, comps: list[Comparison]) -> str:
    versus = {c.finalist: c for c in comps}
    margin_head, margin_spec = ("margin (pts)", "+.1f") if score.top1 else ("margin", "+.3g")
    fin = run.trials[run.trials["finalist"] == True].sort_values("latency_ms")  # noqa: E712
    rows = []
    for r in fin.itertuples():
        c = versus.get(r.label)
        base = "-" if c is None or c.baseline is None else (
            f"{c.baseline}: {score.value(c.baseline_score)}"
            + (f" (published {c.baseline_published:.1f})" if score.beside_published and c.baseline_published is not None else "")
            + f" at {c.baseline_latency_ms:.2f} ms"
        )  # fmt: skip
        rows.append({
            "trial": int(r.number), "config": r.config_id, "MMACs": _f(r.mmacs, ",.1f"), "params (M)": _f(r.params_m, ".2f"),
            "latency (ms)": _f(r.latency_ms, ".2f"), score.label: score.value(r.score, r.score_uncertainty),
            "best no-slower baseline": base, margin_head: "-" if c is None or c.margin is None else _f(c.margin, margin_spec),
            "short-training top-1 (%)": _f(r.trained_top1, ".1f"),
            "export": f"<code>{esc(export_command(run, int(r.number)))}</code>",
        })  # fmt: skip
    numeric = {
        "trial",
        "MMACs",
        "params (M)",
        "latency (ms)",
        score.label,
        margin_head,
        "short-training top-1 (%)",
    }
    return table(rows, numeric=numeric, raw={"export"})


def baselines_table(run: RunData, score: Score) -> str:
    """Every baseline with its predicted score; beside its published top-1 when they share a scale."""
    b = run.baselines
    if b.empty:
        return "<p>no baselines were scored in this run</p>"
    rows = []
    for r in b.sort_values(["family", "latency_ms"]).itertuples():
        row = {"baseline": r.name, "family": r.family, "MMACs": _f(r.mmacs, ",.1f"), "latency (ms)": _f(r.latency_ms, ".2f"),
               score.label: score.value(r.score, r.score_uncertainty)}  # fmt: skip
        published = _f(r.published_top1, ".1f")
        if score.beside_published:
            row["published top-1 (%)"] = published
            row["predicted - published (pts)"] = _f(r.score - r.published_top1, "+.1f")
        else:
            row["published ImageNet top-1 (%)"] = published
        row["extrapolates"] = "yes" if r.extrapolates == True else ""  # noqa: E712
        rows.append(row)
    numeric = {"MMACs", "latency (ms)", score.label, "published top-1 (%)", "predicted - published (pts)",
               "published ImageNet top-1 (%)"}  # fmt: skip
    return table(rows, numeric=numeric)


def estimator_html(score: Score) -> str:
    rows = validation_rows(score)
    checks = table(rows) if rows else "<p>this run records no validation figures for its score</p>"
    return (f"<p>Estimator <code>{esc(score.name)}</code>: its validation figures as its file records them "
            f"(copied into run.json when the run started).</p>{checks}")  # fmt: skip


def _digested(name: Any, digest: Any) -> str:
    return f"{esc(name)} (file digest {esc(digest)})" if digest else esc(name)


def run_facts(run: RunData) -> str:
    m = run.meta
    budget = m.get("budget_macs")
    url = RunDir(run.path).storage_url(m.get("storage"))  # None: the run folder's own study.db
    rows = [
        ("command", f"<code>{esc(m.get('command'))}</code>"), ("seed", esc(m.get("seed"))),
        ("created", esc(m.get("created"))), ("space", _digested(m.get("space"), m.get("space_digest"))),
        ("task", esc(task_line(m))),
        ("profile", _digested(m.get("profile"), m.get("profile_digest"))),
        ("budget", f"{_f(budget, ',.0f', 1e6)} MMACs" if budget else "none"),
        ("latency limit", f"{esc(m.get('latency_limit_ms'))} ms" if m.get("latency_limit_ms") else "none"),
        ("params limit", esc(m.get("params_limit") or "none")),
        ("objectives", esc(", ".join(map(str, m.get("objectives") or [])))),
        ("score", esc(f"{Score.of(m).name}: {Score.of(m).label}")),
        ("extra proxies" if "score_label" in m else "proxies", esc(", ".join(map(str, m.get("proxies") or [])) or "none")),
        ("Optuna storage", f"<code>{esc(url)}</code> (study {esc(run.id)}; open it with <code>optuna-dashboard {esc(shlex.quote(url))}</code>)"),
        ("versions", esc(", ".join(f"{k} {v}" for k, v in (m.get("versions") or {}).items()))),
    ]  # fmt: skip
    return table([{"": k, "value": v} for k, v in rows], raw={"value"})


def task_line(meta: dict) -> str:
    """What the run's networks are: the classifier, or the backbone with a task head (whole-network costs)."""
    task = meta.get("task") or "classification"
    if task == "classification":
        return "classification (the searched network itself)"
    return (f"{task}: the searched backbone with the {task} head; MACs, params and latency of the whole network, "
            "the score the backbone's")  # fmt: skip


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
    score = Score.of(run.meta)
    comps = comparisons(run.trials, run.baselines)
    margins = {c.finalist: score.margin(c) for c in comps} if len(run.baselines) else {}
    profile = str(run.meta.get("profile") or "unknown")
    hover = [hover_text(r, profile, score, run.proxies, margins.get(r["label"], "") if r["kind"] == "trial" else "")
             for r in rows.to_dict("records")]  # fmt: skip
    s = summary(run)
    stats = [("trials", s["trials"]), ("feasible", s["feasible"]), ("failed", s["failed"]),
             ("on the front", s["pareto"]), ("finalists", s["finalists"]), ("best score", score.value(s["best_score"])),
             ("hypervolume", _f(s["hypervolume"], ".3f")), ("baselines", s["baselines"])]  # fmt: skip
    published = " Hollow markers: the baselines' published top-1, beside their predicted value."
    published = published if score.beside_published else ""
    t = run.trials
    outside = ((t["feasible"] == False) & t["score"].notna()).any()  # noqa: E712
    outside = " hollow mauve: trials outside the estimator's domain (scored, infeasible);" if outside else ""
    body = f"""<h1>{esc(run.name)}</h1>
<p class="sub">run <code>{esc(run.id)}</code> &middot; task {esc(run.meta.get("task") or "classification")}
&middot; space {esc(run.meta.get("space"))} &middot; profile {esc(profile)}
&middot; scored by {esc(score.name)} &middot; seed {esc(run.meta.get("seed"))}</p>
<p class="verdict" id="verdict">{esc(verdict_line(score, comps, len(run.baselines)))}</p>
<p class="sub" id="score-figures">{esc(figures_line(score))}</p>
<div class="stats">{"".join(f'<div class="stat">{esc(k)}<b>{esc(v)}</b></div>' for k, v in stats)}</div>
<p class="sub">Grey: every feasible trial;{outside} red crosses: trials over a limit (not scored); blue: the
feasible Pareto front; stars: finalists, with their margin over the best baseline that is no slower. Baselines are
scored by the same estimator as the trials.{published} Hover a point for its stage table.</p>
{figures_html(run_figures(run, rows, margins), hover)}
<h2>Finalists</h2><div class="card">{finalists_table(run, score, comps)}</div>
<h2>Baselines</h2><div class="card">{baselines_table(run, score)}</div>
<h2>Score: {esc(score.label)}</h2><div class="card">{estimator_html(score)}</div>
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
