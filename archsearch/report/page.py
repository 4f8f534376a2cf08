"""HTML building blocks shared by the run dashboard, the overlay page and the server's index: escaping,
JSON that is safe inside <script>, the embedded plotly.js and the script that draws the figures.

Everything a run supplies (names, commands, config fields, failure reasons) passes through `esc` or
`script_json` before it reaches the page, so a run named `<img src=x onerror=...>` shows as text."""

from __future__ import annotations

import json
from functools import lru_cache
from html import escape
from typing import Any

import plotly.io as pio
from plotly.offline import get_plotlyjs

STYLE = """
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:0;color:#222;background:#f6f7f9}
main{max-width:1400px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:22px;margin:8px 0 4px;word-break:break-all}h2{font-size:18px;margin:28px 0 8px}
.sub{color:#555;margin:0 0 12px}.verdict{font-size:17px;font-weight:bold;margin:12px 0 4px}.card{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:12px 16px;margin:12px 0}
.fig{background:#fff;border:1px solid #dde1e6;border-radius:6px;margin:14px 0;min-height:200px}
table{border-collapse:collapse;font-size:13px}th,td{padding:4px 10px;border-bottom:1px solid #e4e7eb;text-align:left;vertical-align:top}
th{background:#eef1f4}td.n{text-align:right;font-variant-numeric:tabular-nums}
code{font-family:"DejaVu Sans Mono",monospace;font-size:12px;background:#f0f2f5;padding:1px 4px;border-radius:3px;word-break:break-all}
.stats{display:flex;flex-wrap:wrap;gap:12px}.stat{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:8px 14px;min-width:120px}
.stat b{display:block;font-size:20px}.warn{color:#a33;font-weight:bold}a{color:#1f4e9c}
.cols{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:12px}
"""

# Fills each trace's hover text from the shared table, then draws every figure of the page.
DRAW = """
(function(){
  var hover = JSON.parse(document.getElementById('hover-data').textContent);
  document.querySelectorAll('script.figure').forEach(function(el){
    var fig = JSON.parse(el.textContent);
    fig.data.forEach(function(t){
      if (Array.isArray(t.customdata)) t.text = t.customdata.map(function(i){ return hover[i]; });
    });
    Plotly.newPlot(document.getElementById(el.dataset.target), fig.data, fig.layout,
      {displaylogo:false, responsive:true, modeBarButtonsToRemove:['select2d','lasso2d']});
  });
})();
"""


def esc(v: Any) -> str:
    return escape("" if v is None else str(v), quote=True)


def script_json(obj: Any) -> str:
    """JSON that cannot close its <script> element or open a comment (<, >, & as \\u escapes)."""
    text = obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """plotly.js as shipped with the plotly package: the page works offline and needs no CDN."""
    js = get_plotlyjs()
    assert "</script" not in js.lower()
    return js


def figures_html(figs: list[tuple[str, Any]], hover: list[str]) -> str:
    """Divs for the figures plus their data; `draw_script` must follow once, after plotly.js."""
    parts = [f'<script type="application/json" id="hover-data">{script_json(hover)}</script>']
    for fid, fig in figs:
        data = script_json(pio.to_json(fig, validate=False, engine="json"))
        parts.append(f'<div class="fig" id="fig-{esc(fid)}"></div>')
        parts.append(
            f'<script type="application/json" class="figure" data-target="fig-{esc(fid)}">{data}</script>'
        )
    return "\n".join(parts)


def document(title: str, body: str, plots: bool = True) -> str:
    """A whole page; `title` and `body` must already be escaped."""
    scripts = f"<script>{plotly_js()}</script>\n<script>{DRAW}</script>" if plots else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{STYLE}</style></head>\n<body><main>\n{body}\n</main>\n{scripts}\n</body></html>\n"
    )


def table(rows: list[dict[str, Any]], numeric: set[str] = frozenset(), raw: set[str] = frozenset()) -> str:
    """An HTML table; cells are escaped unless their column is in `raw` (pre-escaped HTML)."""
    if not rows:
        return "<p>none</p>"
    cols = list(rows[0])
    head = "".join(f"<th>{esc(c)}</th>" for c in cols)
    body = "".join(
        "<tr>" + "".join(
            f'<td{" class=n" if c in numeric else ""}>{r[c] if c in raw else esc(r[c])}</td>' for c in cols
        ) + "</tr>"
        for r in rows
    )  # fmt: skip
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
