"""Finalists stated against the baselines: for each finalist, the best baseline that is no slower on the
run's profile, and the margin in score points. One place computes it; the run's table, its printed
summary and the dashboard all read it from here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from archsearch.output import as_float as _f

WIN_MARGIN = 1.0  # points of predicted top-1 that count as a clear win (the issue's and the papers' unit)


@dataclass(frozen=True)
class Comparison:
    finalist: str
    score: float
    latency_ms: float
    extrapolates: bool
    baseline: str | None  # the best baseline no slower than the finalist (None: every baseline is slower)
    baseline_score: float | None
    baseline_latency_ms: float | None
    baseline_published: float | None
    margin: float | None

    @property
    def wins(self) -> bool:
        """Beats every no-slower baseline by at least WIN_MARGIN (or no baseline is that fast)."""
        return self.margin is None or self.margin >= WIN_MARGIN

    def line(self, unit: str = "%") -> str:
        """e.g. 'trial 812: 74.3% at 61.0 ms | mobilenet_v2-1.0-192: 70.7% (published 70.7%) at 55.1 ms | +3.6 pts'."""
        head = f"{self.finalist}: {self.score:.1f}{unit} at {self.latency_ms:.1f} ms"
        if self.extrapolates:
            head += " (extrapolates)"
        if self.baseline is None:
            return f"{head} | no baseline is this fast"
        published = (
            f" (published {self.baseline_published:.1f}%)" if self.baseline_published is not None else ""
        )
        return (f"{head} | {self.baseline}: {self.baseline_score:.1f}{unit}{published} at "
                f"{self.baseline_latency_ms:.1f} ms | {self.margin:+.1f} pts")  # fmt: skip


def compare(finalists: Sequence[dict[str, Any]], baselines: Sequence[dict[str, Any]]) -> list[Comparison]:
    """Each finalist record (name, score, latency_ms, extrapolates) against the scored baselines."""
    scored = [b for b in baselines if _f(b.get("score")) is not None and _f(b.get("latency_ms")) is not None]
    out = []
    for f in finalists:
        score, lat = _f(f["score"]), _f(f["latency_ms"])
        if score is None or lat is None:
            continue
        faster = [b for b in scored if _f(b["latency_ms"]) <= lat]  # type: ignore[operator]
        best = max(faster, key=lambda b: _f(b["score"]), default=None)  # type: ignore[arg-type,return-value]
        bs = _f(best["score"]) if best else None
        out.append(Comparison(
            str(f["name"]), score, lat, str(f.get("extrapolates", "")).lower() == "true",
            best["name"] if best else None, bs, _f(best["latency_ms"]) if best else None,
            _f(best.get("published_top1")) if best else None, None if bs is None else score - bs,
        ))  # fmt: skip
    return out


def verdict(comparisons: Sequence[Comparison]) -> str:
    """The one-line summary, e.g. '3 of 4 finalists beat every no-slower baseline by >= 1.0 pt'."""
    wins = sum(c.wins and not c.extrapolates for c in comparisons)
    return (f"{wins} of {len(comparisons)} finalists beat every no-slower baseline by >= {WIN_MARGIN:.1f} pt"
            " (predicted, inside the estimator's domain)")  # fmt: skip
