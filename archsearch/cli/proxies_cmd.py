"""`archsearch proxies list|eval` and `archsearch train`: thin argument parsing over archsearch.proxies."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from archsearch.arch import ArchConfig
from archsearch.cli import UsageError, add_format
from archsearch.output import render
from archsearch.proxies import BENCHES

if TYPE_CHECKING:  # imported lazily at run time
    from archsearch.accuracy.evaluation import Evaluation

BENCH_DEFAULTS = {"nasbench-macro": (32, 64), "accel-nasbench": (None, 32)}  # proxy resolution, batch
NBM_NOTE = ("kendall/spearman: rank correlation with NAS-Bench-Macro mean_acc over the scored networks; "
            "top10_regret: best accuracy in the sample minus the best among the proxy's top 10 (points); "
            "s_per_net: seconds per network (a pass shared by several proxies is charged to the first).")  # fmt: skip
ANB_NOTE = ("kendall/spearman: rank correlation with Accel-NASBench val_top1 (ImageNet top-1 under the benchmark's "
            "short training recipe); top10_regret: best val_top1 in the sample minus the best among the estimator's "
            "top 10 (points); s_per_net: seconds per network, each estimator scored alone as a run scores it.")  # fmt: skip
LEARNED_NOTE = ("mae: mean absolute error (points) of a learned estimator on the benchmark's scale. One calibrated "
                "to the benchmark (imagenet: its 'anb' size term) is scored on that scale; kendall_full_scale is "
                "the Kendall of its full-training-scale prediction, the one 'predict' and 'run' report. Rows an "
                "estimator was fitted on are not left out (imagenet: Accel-NASBench calibration rows; cifar10: half "
                "of NAS-Bench-Macro); its held-out figures: 'archsearch estimators show NAME'.")  # fmt: skip


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("proxies", help="zero-cost proxies: list them, or evaluate them and other accuracy "
                       "estimators against NAS-Bench-Macro or Accel-NASBench")  # fmt: skip
    ps = p.add_subparsers(dest="action", required=True, parser_class=type(p))
    ls = ps.add_parser("list", help="the registered proxies")
    add_format(ls)
    ls.set_defaults(func=run_list)
    ev = ps.add_parser("eval", help="agreement of proxies and other accuracy estimators with a benchmark's "
                       "trained accuracies")  # fmt: skip
    ev.add_argument("--bench", choices=BENCHES, default="nasbench-macro",
                    help="nasbench-macro (CIFAR-10 mean_acc) or accel-nasbench (ImageNet val_top1)")  # fmt: skip
    ev.add_argument("--csv", metavar="FILE", help="accel-nasbench only: every row of FILE, any CSV in the shared "
                    "file's format (default: the 822 holdout rows of the shared file)")  # fmt: skip
    ev.add_argument("--proxies", nargs="+", required=True, metavar="NAME",
                    help="proxies, 'ensemble' or any accuracy estimator (e.g. imagenet, cifar10, an estimator .json "
                    "file), space or comma separated; 'all': every proxy and the ensemble")  # fmt: skip
    add_data_args(ev, batch=None, resolution=None)
    ev.add_argument("--sample", type=int, help="a seeded random sample of N networks (default: all; proxies take "
                    "about 1 s per ImageNet-size network)")  # fmt: skip
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


def add_data_args(p: argparse.ArgumentParser, batch: int | None, resolution: int | None = 32) -> None:
    """`None` defaults depend on the benchmark (`proxies eval`: see BENCH_DEFAULTS)."""
    per_bench = "32 on nasbench-macro, a quarter of each network's side on accel-nasbench as in a run"
    p.add_argument("--data", help="synthetic (default), cifar10:PATH, npz:PATH or imagefolder:PATH")
    p.add_argument("--resolution", type=int, default=resolution,
                   help=f"proxy input side (default {resolution or per_bench})")  # fmt: skip
    p.add_argument("--batch", type=int, default=batch,
                   help=f"minibatch size (default {batch or '64 on nasbench-macro, 32 on accel-nasbench'})")  # fmt: skip
    p.add_argument("--seed", type=int, default=0)


def run_list(args: argparse.Namespace) -> int:
    from archsearch.proxies import get_proxy, list_proxies

    rows = [{"proxy": n, "description": get_proxy(n).description} for n in list_proxies()]
    print(render(rows, args.format))
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from archsearch.proxies import list_proxies

    names = [n for arg in args.proxies for n in arg.split(",") if n]
    names = list_proxies() if names == ["all"] else list(dict.fromkeys(names))
    if args.sample is not None and args.sample < 2:
        raise UsageError(f"--sample {args.sample} too small; allowed: >= 2")
    if args.csv and args.bench != "accel-nasbench":
        raise UsageError("--csv is for --bench accel-nasbench")
    resolution, batch = (d if v is None else v for v, d in zip((args.resolution, args.batch),
                                                                BENCH_DEFAULTS[args.bench], strict=True))  # fmt: skip
    if args.bench == "nasbench-macro":
        return _eval_nbm(args, names, resolution, batch)
    return _eval_anb(args, names, resolution, batch)


def _row(label: str, e: Evaluation, learned: bool) -> dict:
    """One output row; `mae` and `kendall_full_scale` only when a learned estimator is in the table."""
    row = {"proxy": label, "n": e.n, "failed": e.failed, "kendall": e.kendall, "spearman": e.spearman,
           "top10_regret": e.top10_regret}  # fmt: skip
    if learned:
        row.update(mae=e.mae, kendall_full_scale=e.kendall_full_scale)
    return {**row, "s_per_net": e.seconds_per_net}


def _eval_nbm(args: argparse.Namespace, names: list[str], resolution: int, batch: int) -> int:
    from archsearch.accuracy.base import ProxySettings
    from archsearch.accuracy.evaluation import evaluate_nasbench_macro

    rep = evaluate_nasbench_macro(names, ProxySettings(args.data, resolution, batch, args.seed), args.sample)
    print(render([_row(label, e, rep.learned) for label, e in rep.rows], args.format, digits=3))
    if args.format == "table":
        print(f"\n{rep.n} networks, data {rep.data}, {resolution}x{resolution}, batch {batch}: "
              f"{rep.seconds_per_net:.3f} s per network for the proxies in all.\n{NBM_NOTE}")  # fmt: skip
        if rep.learned:
            print(LEARNED_NOTE)
    return 0


def _eval_anb(args: argparse.Namespace, names: list[str], resolution: int | None, batch: int) -> int:
    from archsearch.accuracy.base import ProxySettings
    from archsearch.accuracy.evaluation import evaluate_accel_nasbench

    settings = ProxySettings(args.data, resolution, batch, args.seed)
    rep = evaluate_accel_nasbench(names, settings, args.sample, args.csv)
    print(render([_row(label, e, rep.learned) for label, e in rep.rows], args.format, digits=3))
    if args.format == "table":
        where = f"every row of {args.csv}" if args.csv else "holdout rows of the shared Accel-NASBench file"
        side = f"{resolution}x{resolution}" if resolution else "a quarter of each network's side"
        print(f"\n{rep.n} networks ({where}); proxies on {rep.data} data at {side}, "
              f"batch {batch}.\n{ANB_NOTE}")  # fmt: skip
        if rep.learned:
            print(LEARNED_NOTE)
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
