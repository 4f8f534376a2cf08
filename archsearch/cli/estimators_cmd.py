"""`archsearch estimators list|show|fit`: the accuracy estimators, what their files say about them, and
refitting a shipped one. Also the helpers `predict` and `proxies eval` share to open and describe one."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from archsearch.cli import UsageError, add_format
from archsearch.output import render

CHECKOUT = Path(__file__).resolve().parent.parent.parent


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "estimators", help="accuracy estimators: list them, show one's file, refit a shipped one"
    )
    ps = p.add_subparsers(dest="action", required=True, parser_class=type(p))
    ls = ps.add_parser("list", help="every estimator with its kind, unit and headline held-out figures")
    add_format(ls)
    ls.set_defaults(func=run_list)
    sh = ps.add_parser("show", help="one estimator: provenance, calibration, domain ranges and validation")
    sh.add_argument("name", help="estimator name (see 'archsearch estimators list') or estimator .json file")
    add_format(sh)
    sh.set_defaults(func=run_show)
    ft = ps.add_parser("fit", help="refit a shipped learned estimator from ../shared and save it atomically")
    ft.add_argument("name", help="imagenet or cifar10")
    ft.add_argument(
        "--out", help="folder to write NAME.json into (default: accuracy_estimators/ of the checkout)"
    )
    add_format(ft)
    ft.set_defaults(func=run_fit)


def flatten(d: dict[str, Any], prefix: str = "") -> list[dict[str, Any]]:
    """Nested dict -> rows of (field, value) for table and csv; lists as one comma-separated cell."""
    rows: list[dict[str, Any]] = []
    for key, v in d.items():
        field = f"{prefix}{key}"
        if isinstance(v, dict):
            rows += flatten(v, f"{field}.")
        elif isinstance(v, list | tuple):
            rows.append(
                {"field": field, "value": ", ".join(f"{x:g}" if isinstance(x, float) else str(x) for x in v)}
            )
        else:
            rows.append({"field": field, "value": v})
    return rows


def run_list(args: argparse.Namespace) -> int:
    from archsearch.accuracy.base import get_estimator, list_estimators

    rows = []
    for name in list_estimators():
        est = get_estimator(name)
        kind = est.kind
        rows.append({"name": name, "kind": kind, "unit": est.unit,
                     "what": est.target if kind == "learned" else est.description,
                     "held_out": est.headline})  # fmt: skip
    print(render(rows, args.format))
    if args.format == "table":
        print("\nunit top1: predicted top-1 (%); score: ranks only. held_out: figures on data the estimator was "
              "not fitted on, from its file ('archsearch estimators show NAME' for all of them).")  # fmt: skip
    return 0


def run_show(args: argparse.Namespace) -> int:
    from archsearch.accuracy.base import get_estimator

    d = get_estimator(args.name).describe()
    if args.format == "json":
        print(json.dumps(d, indent=2))
        return 0
    if "domain" in d:
        d["domain"] = {f: f"{lo:g} .. {hi:g}" for f, (lo, hi) in d["domain"].items()}
    print(render(flatten(d), args.format, digits=4))
    return 0


def run_fit(args: argparse.Namespace) -> int:
    from archsearch.accuracy.base import EstimatorError
    from archsearch.accuracy.fitting import FITTERS

    if args.name not in FITTERS:
        raise EstimatorError(f"no fitter for {args.name!r}; fittable: {', '.join(sorted(FITTERS))}")
    out = Path(args.out) if args.out else CHECKOUT / "accuracy_estimators"
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"cannot create {out}: {e.strerror}") from None
    print(f"fitting {args.name} ...", file=sys.stderr)
    est = FITTERS[args.name]()
    path = out / f"{args.name}.json"
    try:
        est.save(path)
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror}") from None
    if args.format == "json":
        print(json.dumps({"saved": str(path), "validation": est.figures}, indent=2))
        return 0
    print(render(flatten(est.figures), args.format, digits=4))
    if args.format == "table":
        print(f"\nsaved {path}")
    return 0
