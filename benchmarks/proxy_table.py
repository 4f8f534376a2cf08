"""Every zero-cost proxy over a benchmark's networks: scores written row by row to a CSV (resumable: networks
already in the file are skipped), then the agreement table and the ensemble selection (members chosen on one
half of the networks, reported on the other half).

Benchmarks: `nasbench-macro` (the 3969 distinct networks, CIFAR-10 `mean_acc`, proxies at 32 px) and
`accel-nasbench` (the calibration rows of the shared file, ImageNet `val_top1`; proxies at the resolution
`archsearch run` uses, a quarter of the network's side: 56 px for these 224 px networks; `macs` and
`params` counted on the network as searched, at 224 px, as a run counts them).

    python benchmarks/proxy_table.py score --out runs/proxy_table.csv [--bench B] [--sample N] [--batch 32]
    python benchmarks/proxy_table.py summary --csv runs/proxy_table.csv [--bench B]
    python benchmarks/proxy_table.py speed --csv runs/proxy_table.csv [--bench B] [--networks 20]
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from archsearch.arch import ArchConfig
from archsearch.cost import cost
from archsearch.output import render
from archsearch.proxies import list_proxies, load_dataset
from archsearch.proxies.ensemble import DEFAULT_MEMBERS, RankEnsemble, select_members, split_halves
from archsearch.proxies.evaluation import (
    BENCHES,
    agreement,
    nasbench_macro_truth,
    sample_keys,
    score_networks,
)
from archsearch.spaces import nasbench_macro_config

CIFAR = "cifar10:" + str(
    Path(__file__).resolve().parents[2] / "shared/data/cifar10/cifar10_subset_10k_2k.npz"
)


@dataclass(frozen=True)
class Bench:
    """A benchmark's networks: the CSV column naming one, its trained accuracy, its config, the proxy side."""

    key: str
    truth: dict[str, float]
    config: Callable[[str], ArchConfig]
    resolution: int


def open_bench(name: str, resolution: int | None = None) -> Bench:
    if name == "nasbench-macro":
        return Bench("key", nasbench_macro_truth(), nasbench_macro_config, resolution or 32)
    from archsearch.accuracy.anb import load_anb
    from archsearch.accuracy.members import auto_proxy_resolution

    rows = {r.arch_id: r for r in load_anb(split="calibration")}
    sides = {auto_proxy_resolution(r.config()) for r in rows.values()}  # one side: every network is 224 px
    return Bench("arch_id", {k: r.val_top1 for k, r in rows.items()}, lambda k: rows[k].config(),
                 resolution or sides.pop())  # fmt: skip


def score(args: argparse.Namespace) -> None:
    torch.set_num_threads(args.threads)
    bench = open_bench(args.bench, args.resolution)
    names = [n for n in list_proxies() if n != "ensemble"]
    keys = sample_keys(list(bench.truth), args.sample, args.seed)
    out = Path(args.out)
    done = set()
    if out.exists():
        with out.open() as f:
            done = {r[bench.key] for r in csv.DictReader(f)}
    # A seeded random order: if the run is cut short, the networks done so far are a uniform sample.
    todo = [k for k in keys if k not in done]
    random.Random(args.seed).shuffle(todo)
    print(f"{len(done)} networks already scored, {len(todo)} to go at {bench.resolution} px",
          file=sys.stderr, flush=True)  # fmt: skip
    new = not out.exists()
    timed = args.bench != "nasbench-macro"  # per-proxy seconds (the NAS-Bench-Macro file predates them)
    with out.open("a", newline="") as f:
        w = csv.DictWriter(f, [bench.key, *names, *(f"s_{n}" for n in names if timed), "seconds"])
        if new:
            w.writeheader()
        data = load_dataset(args.data)
        timings: dict[str, float] = {}
        before = {}
        rows = score_networks(
            todo, names, data, bench.resolution, args.batch, args.seed, timings, bench.config
        )
        for i, row in enumerate(rows):
            key = row.pop("key")
            c = cost(bench.config(key))  # the network as searched, not its proxy-sized copy
            row.update(macs=float(c.macs), params=float(c.params))
            if timed:
                row.update({f"s_{n}": timings[n] - before.get(n, 0.0) for n in names})
                before = dict(timings)
            w.writerow({bench.key: key, **{k: "" if v is None else v for k, v in row.items()}})
            f.flush()
            if i % args.log_every == 0:
                print(f"{i}/{len(todo)} {key} {row['seconds']:.2f}s", file=sys.stderr, flush=True)


def read_rows(path: str, key: str) -> list[dict]:
    with open(path) as f:
        return [
            {k: (v if k == key else (float(v) if v != "" else None)) for k, v in r.items()}
            for r in csv.DictReader(f)
        ]


def _line(label: str, scores: list, acc: list[float], seconds: float | None = None) -> dict:
    a = agreement(scores, acc)
    row = {"proxy": label, "n": a.n, "failed": a.failed, "kendall": a.kendall, "spearman": a.spearman,
           "top10_regret": a.top10_regret}  # fmt: skip
    return row if seconds is None else {**row, "s_per_net": seconds}


def summary(args: argparse.Namespace) -> None:
    bench = open_bench(args.bench)
    rows = read_rows(args.csv, bench.key)
    names = [c for c in rows[0] if c not in (bench.key, "seconds") and not c.startswith("s_")]
    timed = f"s_{names[0]}" in rows[0]
    acc = [bench.truth[r[bench.key]] for r in rows]

    def per_net(members: tuple[str, ...] | list[str]) -> float | None:
        return sum(r[f"s_{m}"] for r in rows for m in members) / len(rows) if timed else None

    table = [_line(n, [r[n] for r in rows], acc, per_net([n])) for n in names]
    sel, rep = split_halves(len(rows), args.seed)
    members, tau_sel = select_members([rows[i] for i in sel], [acc[i] for i in sel], names)
    rep_rows, rep_acc = [rows[i] for i in rep], [acc[i] for i in rep]
    ensembles = [members] if args.bench == "nasbench-macro" else [members, DEFAULT_MEMBERS]
    for m in ensembles:
        table.append(_line(f"ensemble({'+'.join(m)}), reported half", RankEnsemble(m).combine(rep_rows), rep_acc,
                           per_net(m)))  # fmt: skip
    if args.bench != "nasbench-macro":  # single proxies on the same half, to compare with the ensembles
        table += [_line(f"{n}, reported half", [r[n] for r in rep_rows], rep_acc) for n in ("macs", "params")]
    print(render(table, args.format, digits=3))
    sec = sum(r["seconds"] for r in rows) / len(rows)
    print(f"\n{len(rows)} networks; all proxies together: {sec:.3f} s per network (shared passes).")
    print(
        f"ensemble members chosen on {len(sel)} networks (Kendall {tau_sel:.3f} there), reported on the other {len(rep)}."
    )
    for seed in range(args.seed + 1, args.seed + args.splits):  # is the choice stable across splits?
        sel, rep = split_halves(len(rows), seed)
        m, t = select_members([rows[i] for i in sel], [acc[i] for i in sel], names)
        a = agreement(RankEnsemble(m).combine([rows[i] for i in rep]), [acc[i] for i in rep])
        print(
            f"split seed {seed}: {'+'.join(m)}, Kendall {t:.3f} on the selection half, {a.kendall:.3f} on the other"
        )


def speed(args: argparse.Namespace) -> None:
    """Seconds per network as a run spends them: each proxy alone on a fresh probe (its passes and the
    network's construction included), each ensemble's members together, on the first N networks of the CSV
    (a uniform sample: the CSV is in a seeded random order)."""
    from archsearch.proxies.scoring import adapt, make_batch, score_batch

    torch.set_num_threads(args.threads)
    bench = open_bench(args.bench, args.resolution)
    keys = [r[bench.key] for r in read_rows(args.csv, bench.key)][: args.networks]
    names = [n for n in list_proxies() if n != "ensemble"]
    data = load_dataset(args.data)
    images, labels = make_batch(data, bench.resolution, args.batch, args.seed)
    sets = [[n] for n in names] + [list(m.split("+")) for m in args.ensembles] + [names]
    total = [0.0] * len(sets)
    for key in keys:
        cfg = adapt(bench.config(key), data, bench.resolution)
        for i, members in enumerate(sets):
            t = time.perf_counter()
            score_batch(cfg, members, images, labels, args.seed)
            total[i] += time.perf_counter() - t
    rows = [{"proxies": "+".join(m) if len(m) < len(names) else "all ten (passes shared)",
             "s_per_net": sec / len(keys)} for m, sec in zip(sets, total, strict=True)]  # fmt: skip
    print(render(rows, args.format, digits=3))
    print(
        f"\n{len(keys)} networks at {bench.resolution} px, batch {args.batch}, {torch.get_num_threads()} thread(s)."
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("score")
    s.add_argument("--out", required=True)
    s.add_argument("--bench", choices=BENCHES, default="nasbench-macro")
    s.add_argument("--data", default=CIFAR)
    s.add_argument("--sample", type=int)
    s.add_argument("--batch", type=int, default=32)
    s.add_argument(
        "--resolution", type=int, help="proxy side (default: 32 / a quarter of the network's side)"
    )
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--threads", type=int, default=2)
    s.add_argument("--log-every", type=int, default=100)
    s.set_defaults(func=score)
    m = sub.add_parser("summary")
    m.add_argument("--csv", required=True)
    m.add_argument("--bench", choices=BENCHES, default="nasbench-macro")
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--format", default="table")
    m.add_argument(
        "--splits", type=int, default=1, help="also repeat the member selection on N-1 other splits"
    )
    m.set_defaults(func=summary)
    v = sub.add_parser("speed")
    v.add_argument("--csv", required=True, help="a score CSV: its first N networks are timed")
    v.add_argument("--bench", choices=BENCHES, default="nasbench-macro")
    v.add_argument("--networks", type=int, default=20)
    v.add_argument("--ensembles", nargs="*", default=["+".join(DEFAULT_MEMBERS)], metavar="A+B+C")
    v.add_argument("--data", default=CIFAR)
    v.add_argument("--batch", type=int, default=32)
    v.add_argument("--resolution", type=int)
    v.add_argument("--seed", type=int, default=0)
    v.add_argument("--threads", type=int, default=1)
    v.add_argument("--format", default="table")
    v.set_defaults(func=speed)
    args = p.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
