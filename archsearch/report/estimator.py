"""What a run's score is and how far to trust it, for every view: the estimator's axis label and unit,
its own validation figures (recorded in run.json from the estimator's file, never restated here), and
the finalists against the baselines (margins and the verdict come from `search.compare`, the one place
they are computed).

Runs from before the accuracy estimators (run.json with `proxies` and no `score_label`) read as
"score (<first proxy>)", a ranking without accuracy units."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from archsearch.output import as_float as _num
from archsearch.search.compare import Comparison, compare, verdict

METRICS = (("n", "n", "d"), ("kendall", "Kendall tau", ".2f"), ("spearman", "Spearman", ".2f"),
           ("mae", "MAE (pts)", ".2f"), ("top10_regret", "top-10 regret", ".2f"))  # fmt: skip
FIT_SUFFIX = "_fit"  # a check measured on the estimator's own fitting data, not held out


@dataclass(frozen=True)
class Score:
    """The run's score: estimator name, axis label, whether it is in top-1 points, validation figures."""

    name: str
    label: str
    top1: bool
    figures: dict[str, Any] = field(default_factory=dict)
    # the baselines' `published_top1` is ImageNet top-1: it shares the axis only with an ImageNet estimate
    beside_published: bool = False

    @classmethod
    def of(cls, meta: dict[str, Any]) -> Score:
        proxies = meta.get("proxies") or []
        name = str(meta.get("score") or (proxies[0] if proxies else "score"))
        label = str(meta.get("score_label") or f"score ({name})")
        top1 = meta.get("score_unit") == "top1"
        figures = meta.get("score_figures") if isinstance(meta.get("score_figures"), dict) else {}
        return cls(name, label, top1, figures, top1 and "imagenet" in label.lower())

    def value(self, v: Any, uncertainty: Any = None) -> str:
        """A score as the page shows it: '61.7 ± 3.0' (top-1 points) or '0.8123' (a ranking)."""
        f, u = _num(v), _num(uncertainty)
        if f is None:
            return "-"
        text = f"{f:.1f}" if self.top1 else f"{f:.4g}"
        if u is not None:
            text += f" ± {u:.1f}" if self.top1 else f" ± {u:.2g}"
        return text

    def margin(self, c: Comparison) -> str:
        """A finalist against its best no-slower baseline: '+2.4 pts vs mobilenet_v2-1.0-128'."""
        if c.baseline is None or c.margin is None:
            text = "no baseline is this fast"
        else:
            text = f"{c.margin:+.1f} pts" if self.top1 else f"{c.margin:+.3g}"
            text += f" vs {c.baseline}"
        return text + (" (extrapolates)" if c.extrapolates else "")


def _records(df: pd.DataFrame, name: str) -> list[dict[str, Any]]:
    cols = [c for c in (name, "score", "latency_ms", "extrapolates", "published_top1") if c in df]
    return [{**r, "name": r[name]} for r in df[cols].to_dict("records")]


def comparisons(trials: pd.DataFrame, baselines: pd.DataFrame) -> list[Comparison]:
    """Each finalist (sorted by latency) against the best no-slower baseline, by `search.compare.compare`
    (with no baselines at all, each reads 'no baseline is this fast')."""
    if trials.empty:
        return []
    fin = trials[trials["finalist"] == True].sort_values("latency_ms")  # noqa: E712
    base = _records(baselines, "name") if not baselines.empty else []
    return compare(_records(fin, "label"), base) if len(fin) else []


def verdict_line(score: Score, comps: list[Comparison], baselines: int) -> str:
    """The page's one-line verdict ('3 of 4 finalists beat ...'), or why there is none."""
    if not comps:
        return "no finalists yet: the verdict follows once the run has chosen them"
    if not baselines:
        return "no baselines were scored in this run: nothing to compare the finalists with"
    if not score.top1:
        return (f"{score.label} ranks networks without accuracy units: finalists are set against the "
                "no-slower baselines below, with no win margin")  # fmt: skip
    return verdict(comps)


def checks(figures: dict[str, Any]) -> list[tuple[str, bool, dict[str, Any]]]:
    """(check, held out, figures) for every recorded check with metrics: a dict of them ('anb_holdout'),
    one per family ('leave_one_family_out': {'rexnet': ...}) or a single figure named by its metric
    ('anb_holdout_full_scale_kendall': check 'anb holdout full scale', Kendall). A check named '*_fit' is
    measured on the estimator's own fitting data."""
    out: list[tuple[str, bool, dict[str, Any]]] = []
    for key, v in figures.items():
        shown, held = key.replace("_", " "), not key.endswith(FIT_SUFFIX)
        if isinstance(v, dict) and any(m in v for m, _, _ in METRICS):
            out.append((shown, held, v))
        elif isinstance(v, dict):
            out += [(f"{shown}: {k}", held, s) for k, s in v.items() if isinstance(s, dict)]
        elif isinstance(v, int | float) and not isinstance(v, bool):
            metric = next((m for m, _, _ in METRICS if key.endswith(f"_{m}")), None)
            if metric:
                out.append((key.removesuffix(f"_{metric}").replace("_", " "), held, {metric: v}))
    return out


def _metric(v: Any, spec: str) -> str:
    f = _num(v)
    return "-" if f is None else f"{int(f):,}" if spec == "d" else f"{f:{spec}}"


def validation_rows(score: Score) -> list[dict[str, str]]:
    """The estimator's validation figures as table rows: every check of its file, held out or not."""
    return [
        {"check": key, "held out": "yes" if held else "no (its fitting data)",
         **{title: _metric(v.get(m), spec) for m, title, spec in METRICS}}
        for key, held, v in checks(score.figures)
    ]  # fmt: skip


def figures_line(score: Score) -> str:
    """One line of the estimator's held-out figures, read from run.json (from its file)."""
    parts, group = [], None
    for key, held, v in checks(score.figures):
        figs = [f"Kendall {_metric(v['kendall'], '.2f')}"] if "kendall" in v else []
        figs += [f"MAE {_metric(v['mae'], '.2f')} pts"] if "mae" in v else []
        if not (held and figs):
            continue
        head, _, member = key.rpartition(": ")  # a family of one check: its name once
        name = member if head and head == group else key
        group = head or None
        parts.append(f"{name} {', '.join(figs)}" + (f" (n {_metric(v['n'], 'd')})" if "n" in v else ""))
    if not parts:
        unit = "" if score.top1 else ", a ranking without accuracy units"
        return f"Score: {score.label}{unit}; this run records no held-out figures for it."
    return f"Score: {score.label}; its error on data it was not fitted on: " + "; ".join(parts) + "."
