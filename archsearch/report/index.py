"""The server's index: every run under a folder with what you sort runs by (space, profile, budget,
trials, best score, date), cached per run until its tables change."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

from archsearch.report.data import run_data, scored
from archsearch.report.page import document, esc
from archsearch.runs import BASELINES_CSV, RUN_JSON, TRIALS_CSV, RunError

SORT_KEYS = ("run", "space", "profile", "budget", "trials", "best", "date")


def stamp(path: Path) -> str:
    """Changes whenever the run writes: mtimes and sizes of run.json and both tables."""
    parts = []
    for name in (RUN_JSON, TRIALS_CSV, BASELINES_CSV):
        try:
            st = (path / name).stat()
            parts.append(f"{st.st_mtime_ns}-{st.st_size}")
        except OSError:
            parts.append("-")
    return ":".join(parts)


@dataclass(frozen=True)
class RunInfo:
    id: str
    name: str
    space: str
    profile: str
    budget: float | None
    trials: int
    target: int | None
    best: float | None
    date: str
    finished: bool

    def key(self, column: str) -> tuple:
        v = {"run": self.name.lower(), "space": self.space, "profile": self.profile, "budget": self.budget,
             "trials": self.trials, "best": self.best, "date": self.date}[column]  # fmt: skip
        return (v is None, v if v is not None else 0)


def is_run(path: Path, root: Path) -> bool:
    """A folder holding a run.json that really lies directly under `root` (no symlink out of it); hidden
    folders are runs still being created (storage.py makes them under a dot name, then renames)."""
    return (
        not path.name.startswith(".")
        and path.resolve().parent == root.resolve()
        and (path / RUN_JSON).is_file()
    )


class RunIndex:
    """Runs directly under `root` (folders holding a run.json)."""

    def __init__(self, root: Path):
        self.root = root
        self._cache: dict[str, tuple[str, RunInfo | None]] = {}
        self._lock = threading.Lock()

    def runs(self) -> list[RunInfo]:
        out = []
        for d in sorted(p for p in self.root.iterdir() if is_run(p, self.root)):
            s = stamp(d)
            with self._lock:
                hit = self._cache.get(d.name)
            if hit is None or hit[0] != s:
                hit = (s, _info(d))
                with self._lock:
                    self._cache[d.name] = hit
            if hit[1] is not None:
                out.append(hit[1])
        return out


def _info(path: Path) -> RunInfo | None:
    try:
        run = run_data(path)
    except RunError:
        return None  # a run.json being written or broken: listed again once readable
    m, t = run.meta, run.trials
    ok = scored(run.rows())
    target = (m.get("options") or {}).get("trials")
    done = len(t) > 0 and t.loc[t["state"] == "COMPLETE", "pareto"].notna().all()
    return RunInfo(
        id=path.name, name=run.name, space=str(m.get("space") or "?"), profile=str(m.get("profile") or "?"),
        budget=float(m["budget_macs"]) if m.get("budget_macs") else None, trials=len(t),
        target=int(target) if isinstance(target, int) else None,
        best=float(ok["score"].max()) if len(ok) else None, date=str(m.get("created") or ""), finished=bool(done),
    )  # fmt: skip


def _fmt(v: float | None, spec: str) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:{spec}}"


def index_page(runs: list[RunInfo], root: Path, sort: str = "date", desc: bool = True) -> str:
    """The index (sorted server-side, so it works without scripts) with a form to overlay runs."""
    sort = sort if sort in SORT_KEYS else "date"
    runs = sorted(runs, key=lambda r: r.key(sort), reverse=desc)

    def head(col: str, label: str) -> str:
        order = "0" if col == sort and desc else "1"
        mark = (" &#9660;" if desc else " &#9650;") if col == sort else ""
        return f'<th><a href="/?{esc(urlencode({"sort": col, "desc": order}))}">{esc(label)}</a>{mark}</th>'

    rows = []
    for r in runs:
        trials = f"{r.trials}" + (f" / {r.target}" if r.target else "")
        rows.append(
            f'<tr><td><input type="checkbox" name="run" value="{esc(r.id)}"></td>'
            f'<td><a class="run" href="/runs/{esc(quote(r.id))}/">{esc(r.name)}</a></td>'
            f"<td>{esc(r.space)}</td><td>{esc(r.profile)}</td><td class=n>{_fmt(r.budget and r.budget / 1e6, ',.0f')}</td>"
            f"<td class=n>{esc(trials)}</td><td class=n>{_fmt(r.best, '.4g')}</td><td>{esc(r.date)}</td>"
            f"<td>{'finished' if r.finished else 'in progress'}</td></tr>"
        )
    cols = "".join(head(c, lbl) for c, lbl in [("run", "run"), ("space", "space"), ("profile", "profile"),
                   ("budget", "budget (MMACs)"), ("trials", "trials"), ("best", "best score"), ("date", "date")])  # fmt: skip
    body = f"""<h1>archsearch runs</h1><p class="sub">{len(runs)} runs in <code>{esc(root)}</code>.
Click a column to sort; tick runs and press Overlay to compare their Pareto fronts.</p>
<form action="/compare" method="get"><div class="card"><table id="runs"><thead><tr><th></th>{cols}<th>state</th></tr></thead>
<tbody>{"".join(rows) or "<tr><td colspan=9>no runs yet</td></tr>"}</tbody></table>
<p><button type="submit">Overlay selected runs</button></p></div></form>"""
    return document("archsearch runs", body, plots=False)
