"""`archsearch proxies list|eval` and `archsearch train`: thin argument parsing over archsearch.proxies."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from archsearch.arch import ArchConfig
from archsearch.cli import UsageError, add_format
from archsearch.output import render

NBM_NOTE = ("kendall/spearman: rank correlation with NAS-Bench-Macro mean_acc over the scored networks; "
            "top10_regret: best accuracy in the sample minus the best among the proxy's top 10 (points); "
            "s_per_net: seconds per network (a pass shared by several proxies is charged to the first).")  # fmt: skip


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "proxies", help="zero-cost proxies: list them, or evaluate them against NAS-Bench-Macro"
    )
    ps = p.add_subparsers(dest="action", required=True, parser_class=type(p))
    ls = ps.add_parser("list", help="the registered proxies")
    add_format(ls)
    ls.set_defaults(func=run_list)
    ev = ps.add_parser("eval", help="rank correlation of proxies with trained accuracies of a benchmark")
    ev.add_argument("--bench", choices=["nasbench-macro"], default="nasbench-macro")
    ev.add_argument(
        "--proxies", nargs="+", required=True, help="proxy names (space or comma separated), or 'all'"
    )
    add_data_args(ev, batch=64)
    ev.add_argument(
        "--sample", type=int, help="score a seeded random sample of N distinct networks (default: all 3969)"
    )
    add_format(ev)
    ev.set_defaults(func=run_eval)

    t = sub.add_parser(
        "train", help="short proxy training of a baseline, a NAS-Bench-Macro key or a config file"
    )
    what = t.add_mutually_exclusive_group()
    what.add_argument(
        "--baseline", default="mobilenet_v2-1.0-224", help="baseline name (default %(default)s)"
    )
    what.add_argument("--config", help="an ArchConfig JSON file")
    what.add_argument("--nbm", metavar="KEY", help="a NAS-Bench-Macro key such as 12121212")
    budget = t.add_mutually_exclusive_group()
    budget.add_argument("--seconds", type=float, help="training budget in seconds (default 60)")
    budget.add_argument("--steps", type=int, help="training budget in optimizer steps")
    add_data_args(t, batch=128)
    t.add_argument("--evals", type=int, default=4, help="held-out evaluations along the budget (default 4)")
    t.add_argument(
        "--width",
        type=float,
        default=1.0,
        help="train a narrower stand-in, e.g. 0.25 (default 1: the network)",
    )
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_format(t)
    t.set_defaults(func=run_train)


def add_data_args(p: argparse.ArgumentParser, batch: int) -> None:
    p.add_argument("--data", help="synthetic (default), cifar10:PATH, npz:PATH or imagefolder:PATH")
    p.add_argument("--resolution", type=int, default=32, help="proxy input side (default 32)")
    p.add_argument("--batch", type=int, default=batch, help="minibatch size (default %(default)s)")
    p.add_argument("--seed", type=int, default=0)


def run_list(args: argparse.Namespace) -> int:
    from archsearch.proxies import get_proxy, list_proxies

    rows = [{"proxy": n, "description": get_proxy(n).description} for n in list_proxies()]
    print(render(rows, args.format))
    return 0


def run_eval(args: argparse.Namespace) -> int:
    import time

    from archsearch.proxies import list_proxies, load_dataset
    from archsearch.proxies.base import get_proxy
    from archsearch.proxies.ensemble import RankEnsemble
    from archsearch.proxies.evaluation import agreement, nasbench_macro_truth, sample_keys, score_networks
    from archsearch.proxies.scoring import expand

    names = [n for arg in args.proxies for n in arg.split(",") if n]
    names = [n for n in list_proxies()] if names == ["all"] else list(dict.fromkeys(names))
    computed = expand(names)
    if args.sample is not None and args.sample < 2:
        raise UsageError(f"--sample {args.sample} too small; allowed: >= 2")
    data = load_dataset(args.data)
    truth = nasbench_macro_truth()
    keys = sample_keys(list(truth), args.sample, args.seed)
    rows, seconds = [], dict.fromkeys(computed, 0.0)
    t0 = time.perf_counter()
    for row in score_networks(keys, computed, data, args.resolution, args.batch, args.seed, timings=seconds):
        rows.append(row)
    total = (time.perf_counter() - t0) / len(keys)
    acc = [truth[r["key"]] for r in rows]
    out = []
    for n in names:
        p = get_proxy(n)
        if isinstance(p, RankEnsemble):
            scores, sec = p.combine(rows), sum(seconds[m] for m in p.members)
        else:
            scores, sec = [r[n] for r in rows], seconds[n]
        a = agreement(scores, acc)
        label = f"ensemble({'+'.join(p.members)})" if isinstance(p, RankEnsemble) else n
        out.append({"proxy": label, "n": a.n, "failed": a.failed, "kendall": a.kendall, "spearman": a.spearman,
                    "top10_regret": a.top10_regret, "s_per_net": sec / len(keys)})  # fmt: skip
    print(render(out, args.format, digits=3))
    if args.format == "table":
        print(f"\n{len(keys)} networks, data {data.name}, {args.resolution}x{args.resolution}, batch {args.batch}: "
              f"{total:.3f} s per network in all.\n{NBM_NOTE}")  # fmt: skip
    return 0


def load_config(args: argparse.Namespace) -> ArchConfig:
    if args.config:
        try:
            return ArchConfig.from_json(Path(args.config).read_text())
        except (OSError, UnicodeDecodeError) as e:
            raise UsageError(
                f"cannot read config {args.config}: {e.strerror if isinstance(e, OSError) else e}"
            ) from None
    if args.nbm:
        from archsearch.spaces import nasbench_macro_config

        return nasbench_macro_config(args.nbm)
    from archsearch.baselines import get_baseline

    return get_baseline(args.baseline).config


def run_train(args: argparse.Namespace) -> int:
    from archsearch.proxies import load_dataset, train_config

    cfg = load_config(args)
    seconds = args.seconds if args.steps is None else None
    if seconds is None and args.steps is None:
        seconds = 60.0
    data = load_dataset(args.data)
    r = train_config(cfg, data, seconds=seconds, steps=args.steps, resolution=args.resolution, batch=args.batch,
                     seed=args.seed, progress=not args.no_progress, evals=args.evals, width=args.width)  # fmt: skip
    rows = [{"step": s, "seconds": sec, "top1": acc} for s, sec, acc in r.curve]
    if args.format == "json":
        print(json.dumps({"config": cfg.name or cfg.id, "data": data.name, "top1": r.top1, "steps": r.steps,
                          "seconds": r.seconds, "curve": rows}, indent=2))  # fmt: skip
        return 0
    print(render(rows, args.format))
    if args.format == "table":
        narrow = f" at width {args.width:g}" if args.width != 1 else ""
        print(f"\n{cfg.name or cfg.id}{narrow} on {data.name} at {args.resolution}x{args.resolution}: held-out top-1 "
              f"{r.top1:.2f}% after {r.steps} steps ({r.seconds:.1f} s of training).")  # fmt: skip
    return 0
