"""Stage tables (t, c, n, s, k, SE, act) rebuilt from a config's JSON, for hover text and tables, grouped
exactly as the export groups its config rows.

Works on the raw JSON dict rather than `ArchConfig`, so a table that does not validate (a hand-edited
or future config) still displays instead of breaking the whole dashboard."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from archsearch.arch import group_stages


@dataclass(frozen=True)
class Stage:
    """One stage row; a column whose blocks differ within the stage shows their values joined by '/'."""

    kind: str
    t: float | str
    c: int
    n: int
    s: int
    k: int | str
    se: bool | str
    act: str


def _key(b: dict[str, Any]) -> tuple:
    cin = b.get("cin") or 1
    mid = b.get("mid") or cin
    return (
        b.get("kind", "?"),
        b.get("cout"),
        b.get("k", 3),
        round(mid / cin, 2),
        bool(b.get("se")),
        b.get("act", "relu6"),
    )


def _one(values: list[Any]) -> Any:
    """The stage's value of a column: the common value, or the distinct values in order joined by '/'."""
    distinct = list(dict.fromkeys(values))
    return distinct[0] if len(distinct) == 1 else "/".join(map(_text, distinct))


def _text(v: Any) -> str:
    return ("yes" if v else "-") if isinstance(v, bool) else f"{v:g}" if isinstance(v, float) else str(v)


def stage_table(config: dict[str, Any]) -> list[Stage]:
    """Stages as the export's config rows group them (`arch.group_stages`: a new stage at every strided
    block and where a run of equal widths changes width); c is the stage's output width, t = mid / cin."""
    blocks = [b for b in config.get("blocks") or [] if isinstance(b, dict)]
    stages = []
    for st in group_stages(blocks, cout=lambda b: b.get("cout"), stride=lambda b: _int(b.get("stride", 1))):
        cols = list(zip(*(_key(b) for b in st), strict=True))
        kind, _, k, t, se, act = (_one(list(c)) for c in cols)
        stages.append(
            Stage(str(kind), t, st[-1].get("cout"), len(st), _int(st[0].get("stride", 1)), k, se, str(act))
        )
    return stages


def _int(v: Any) -> int:
    try:
        return int(v)
    except (TypeError, ValueError):
        return 1


def parse_config(text: Any) -> dict[str, Any]:
    """The config dict of a CSV cell, or {} when empty or malformed."""
    if not isinstance(text, str) or not text:
        return {}
    try:
        d = json.loads(text)
    except json.JSONDecodeError:
        return {}
    return d if isinstance(d, dict) else {}


def format_stages(stages: list[Stage]) -> list[str]:
    """Fixed-width rows (plain text, not yet escaped); the block kind is a column only when it varies."""
    kinds = len({s.kind for s in stages}) > 1
    head = ["t", "c", "n", "s", "k", "SE", "act"]
    rows = [[_text(s.t), str(s.c), str(s.n), str(s.s), str(s.k), _text(s.se), s.act] for s in stages]
    if kinds:
        head = ["block", *head]
        rows = [[s.kind, *r] for s, r in zip(stages, rows, strict=True)]
    widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=True)]
    text = {0, len(head) - 1} if kinds else {len(head) - 1}  # names left-aligned, numbers right-aligned
    return [
        " ".join(
            x.ljust(w) if i in text else x.rjust(w) for i, (x, w) in enumerate(zip(r, widths, strict=True))
        ).rstrip()
        for r in [head, *rows]
    ]
