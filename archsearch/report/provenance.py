"""Where the run's latency numbers come from: the hardware profile's device, data, date and its
measured accuracy on data it was not fitted on.

Read straight from the profile's YAML (safe loader) and defensively: a profile that is gone, renamed or
malformed shows as "unknown" rather than breaking the dashboard of a finished run. A profile whose file
changed since the run started is flagged, since its latencies may no longer match."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from archsearch.resources import UnknownNameError, find
from archsearch.runs import digest

UNKNOWN = "unknown"


@dataclass
class Provenance:
    profile: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    validation: list[dict[str, str]] = field(default_factory=list)
    warning: str = ""


def _text(v: Any) -> str:
    if v is None or v == "":
        return UNKNOWN
    if isinstance(v, list | tuple):
        return ", ".join(map(str, v))
    return str(v)


def _anchors(anchors: Any, scale: Any) -> str:
    """Whole networks measured on the device that fixed the predictor's scale."""
    rows = [a for a in anchors if isinstance(a, dict)] if isinstance(anchors, list) else []
    if not rows:
        return "none"
    text = "; ".join(
        f"{a.get('network', '?')}: measured {a.get('measured_ms', '?')} ms, predicted {a.get('predicted_ms', '?')} ms"
        for a in rows
    )
    return f"{text} (scale {scale})" if scale is not None else text


def profile_provenance(meta: dict[str, Any]) -> Provenance:
    name = str(meta.get("profile") or UNKNOWN)
    out = Provenance(name)
    try:
        path = find("hardware_profiles", name)
        doc = yaml.safe_load(path.read_text())
    except (UnknownNameError, OSError, yaml.YAMLError):
        out.warning = (
            f"profile {name!r} is not installed here (or unreadable): provenance and accuracy unknown"
        )
        out.facts = [("profile", name)]
        return out
    doc = doc if isinstance(doc, dict) else {}
    prov = doc.get("provenance") if isinstance(doc.get("provenance"), dict) else {}
    out.facts = [
        ("profile", name),
        ("device", _text(doc.get("device"))),
        ("runtime", _text(doc.get("runtime"))),
        ("precision", _text(doc.get("precision"))),
        ("batch", _text(doc.get("batch"))),
        ("threads", _text(doc.get("threads") if doc.get("threads") is not None else "runtime default")),
        ("data source", f"{_text(prov.get('source'))}: {_text(prov.get('data'))}"),
        ("samples", _text(prov.get("samples"))),
        ("method", _text(prov.get("method"))),
        ("calibrated", _text(prov.get("date"))),
        ("anchors", _anchors(doc.get("anchors"), doc.get("scale"))),
    ]
    val = doc.get("validation") if isinstance(doc.get("validation"), dict) else {}
    for key, v in val.items():
        if isinstance(v, dict):
            out.validation.append({
                "check": str(key), "set": _text(v.get("set")), "n": _text(v.get("n")),
                "MAPE %": _text(v.get("mape")), "within 10 %": _text(v.get("within_10")),
                "Kendall tau": _text(v.get("kendall_tau")),
            })  # fmt: skip
    recorded = meta.get("profile_digest")
    if recorded and digest(path) != recorded:
        out.warning = f"{path} changed since this run started (digest {recorded}); latencies may differ"
    return out
