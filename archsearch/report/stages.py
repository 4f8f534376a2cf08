"""Stage tables (t, c, n, s, k, SE, act) rebuilt from a config's JSON, for hover text and tables.

Works on the raw JSON dict rather than `ArchConfig`, so a table that does not validate (a hand-edited
or future config) still displays instead of breaking the whole dashboard."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Stage:
    kind: str
    t: float
    c: int
    n: int
    s: int
    k: int
    se: bool
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


def stage_table(config: dict[str, Any]) -> list[Stage]:
    """Consecutive blocks with equal kind, width, kernel, expansion, SE and activation form one stage;
    a stride-2 block always starts a new one. t = mid / cin of the stage's blocks."""
    stages: list[Stage] = []
    prev = None
    for b in config.get("blocks") or []:
        if not isinstance(b, dict):
            continue
        key, stride = _key(b), int(b.get("stride", 1))
        if stages and key == prev and stride == 1:
            stages[-1] = Stage(**{**stages[-1].__dict__, "n": stages[-1].n + 1})
        else:
            kind, cout, k, t, se, act = key
            stages.append(Stage(str(kind), t, cout, 1, stride, k, se, str(act)))
        prev = key
    return stages


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
    rows = [
        [f"{s.t:g}", str(s.c), str(s.n), str(s.s), str(s.k), "yes" if s.se else "-", s.act] for s in stages
    ]
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
