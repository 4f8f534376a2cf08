"""Every zero-cost proxy over the distinct NAS-Bench-Macro networks: scores written row by row to a CSV
(resumable: networks already in the file are skipped), then the agreement table and the ensemble
selection (members chosen on one half of the networks, reported on the other half).

    python benchmarks/proxy_table.py score --out runs/proxy_table.csv [--sample N] [--batch 32]
    python benchmarks/proxy_table.py summary --csv runs/proxy_table.csv
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from pathlib import Path

import torch

from archsearch.output import render
from archsearch.proxies import list_proxies, load_dataset
from archsearch.proxies.ensemble import RankEnsemble, select_members, split_halves
from archsearch.proxies.evaluation import agreement, nasbench_macro_truth, sample_keys, score_networks

CIFAR = "cifar10:" + str(
    Path(__file__).resolve().parents[2] / "shared/data/cifar10/cifar10_subset_10k_2k.npz"
)


def score(args: argparse.Namespace) -> None:
    torch.set_num_threads(args.threads)
    names = [n for n in list_proxies() if n != "ensemble"]
    keys = sample_keys(list(nasbench_macro_truth()), args.sample, args.seed)
    out = Path(args.out)
    done = set()
    if out.exists():
        with out.open() as f:
            done = {r["key"] for r in csv.DictReader(f)}
    # A seeded random order: if the run is cut short, the networks done so far are a uniform sample.
    todo = [k for k in keys if k not in done]
    random.Random(args.seed).shuffle(todo)
    print(f"{len(done)} networks already scored, {len(todo)} to go", file=sys.stderr, flush=True)
    new = not out.exists()
    with out.open("a", newline="") as f:
        w = csv.DictWriter(f, ["key", *names, "seconds"])
        if new:
            w.writeheader()
        data = load_dataset(args.data)
        for i, row in enumerate(score_networks(todo, names, data, args.resolution, args.batch, args.seed)):
            w.writerow({k: "" if v is None else v for k, v in row.items()})
            f.flush()
            if i % 100 == 0:
                print(f"{i}/{len(todo)} {row['key']} {row['seconds']:.2f}s", file=sys.stderr, flush=True)


def read_rows(path: str) -> list[dict]:
    with open(path) as f:
        return [
            {k: (v if k == "key" else (float(v) if v != "" else None)) for k, v in r.items()}
            for r in csv.DictReader(f)
        ]


def summary(args: argparse.Namespace) -> None:
    rows = read_rows(args.csv)
    truth = nasbench_macro_truth()
    names = [c for c in rows[0] if c not in ("key", "seconds")]
    acc = [truth[r["key"]] for r in rows]
    table = []
    for n in names:
        a = agreement([r[n] for r in rows], acc)
        table.append({"proxy": n, "n": a.n, "failed": a.failed, "kendall": a.kendall, "spearman": a.spearman,
                      "top10_regret": a.top10_regret})  # fmt: skip
    sel, rep = split_halves(len(rows), args.seed)
    members, tau_sel = select_members([rows[i] for i in sel], [acc[i] for i in sel], names)
    ens = RankEnsemble(members)
    a = agreement(ens.combine([rows[i] for i in rep]), [acc[i] for i in rep])
    table.append({"proxy": f"ensemble({'+'.join(members)})", "n": a.n, "failed": a.failed, "kendall": a.kendall,
                  "spearman": a.spearman, "top10_regret": a.top10_regret})  # fmt: skip
    print(render(table, args.format, digits=3))
    sec = sum(r["seconds"] for r in rows) / len(rows)
    print(f"\n{len(rows)} networks; all proxies together: {sec:.3f} s per network (shared passes).")
    print(
        f"ensemble members chosen on {len(sel)} networks (Kendall {tau_sel:.3f} there), reported on the other {len(rep)}."
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("score")
    s.add_argument("--out", required=True)
    s.add_argument("--data", default=CIFAR)
    s.add_argument("--sample", type=int)
    s.add_argument("--batch", type=int, default=32)
    s.add_argument("--resolution", type=int, default=32)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--threads", type=int, default=2)
    s.set_defaults(func=score)
    m = sub.add_parser("summary")
    m.add_argument("--csv", required=True)
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--format", default="table")
    m.set_defaults(func=summary)
    args = p.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
