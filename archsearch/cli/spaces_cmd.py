"""`archsearch spaces` and `archsearch spaces show NAME`."""

from __future__ import annotations

import argparse
import random

from archsearch.cli import add_format
from archsearch.cost import cost, macs_of
from archsearch.output import render
from archsearch.spaces import list_spaces, load_space


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("spaces", help="list search spaces with their size, or describe one")
    p.add_argument("action", nargs="?", choices=["list", "show"], default="list")
    p.add_argument("name", nargs="?", help="space name or YAML path (for show)")
    add_format(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.action == "show":
        if not args.name:
            from archsearch.cli import UsageError

            raise UsageError("spaces show needs a space name; try 'archsearch spaces'")
        return show(args.name, args.format)
    rows = []
    for name in list_spaces():
        s = load_space(name)
        lo = s.smallest(macs_of)[1]
        rows.append({"space": name, "family": s.family, "params": len(s.free_params), "size": s.size,
                     "min_macs": lo, "description": s.description})  # fmt: skip
    print(render(rows, args.format))
    return 0


def show(name: str, fmt: str) -> int:
    s = load_space(name)
    rows = [
        {"param": p.name, "choices": " ".join(map(str, p.choices)), "n": len(p.choices)} for p in s.params
    ]
    if fmt != "table":
        print(render(rows, fmt))
        return 0
    rng = random.Random(0)
    samples = [cost(s.random(rng)).macs for _ in range(200)]
    print(f"{s.name} ({s.family}): {s.description}\nfile: {s.path}\nsize: {s.size:,} parameter assignments")
    print(f"MACs of 200 random samples: min {min(samples) / 1e6:,.1f}M, max {max(samples) / 1e6:,.1f}M; "
          f"smallest network: {s.smallest(macs_of)[1] / 1e6:,.1f}M\n")  # fmt: skip
    print(render(rows, "table"))
    return 0
