"""`archsearch profiles` (list hardware profiles) and `archsearch predict` (latency and/or predicted
accuracy of baselines and configs)."""

from __future__ import annotations

import argparse
import math
from typing import TYPE_CHECKING

from archsearch.cli import UsageError, add_format
from archsearch.cli.config_args import add_config_args, published_configs
from archsearch.output import render

if TYPE_CHECKING:  # imported lazily at run time: the estimators pull in numpy and LightGBM
    from archsearch.accuracy.base import AccuracyEstimator


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("profiles", help="list hardware profiles with their validation figures")
    add_format(p)
    p.set_defaults(func=run_profiles)

    p = sub.add_parser(
        "predict",
        help="predicted latency (ms) on a hardware profile and/or predicted accuracy of baselines or config files",
    )
    p.add_argument("--hw", help="hardware profile name or YAML path (see 'archsearch profiles')")
    p.add_argument("--accuracy", metavar="NAME", help="accuracy estimator name (see 'archsearch estimators list') "
                   "or estimator .json file; --hw, --accuracy or both")  # fmt: skip
    add_config_args(p)
    p.add_argument("--task", metavar="TASK", help="detection, segmentation or segmentation-aspp: the networks "
                   "with that task's head (a task baseline name or TaskNet JSON carries its own task)")  # fmt: skip
    p.add_argument(
        "--data", help="proxies only: synthetic (default), cifar10:PATH, npz:PATH or imagefolder:PATH"
    )
    p.add_argument(
        "--proxy-resolution", type=int, help="proxies only: input side (default: a quarter of the network's)"
    )
    p.add_argument(
        "--proxy-batch", type=int, default=32, help="proxies only: minibatch size (default %(default)s)"
    )
    add_format(p)
    p.set_defaults(func=run_predict)


def _summary(v: dict) -> dict:
    first = next(iter(v.values()), {}) if v else {}
    return {"validated_on": first.get("set", ""), "n": first.get("n"), "mape": first.get("mape"),
            "within_10": first.get("within_10"), "kendall_tau": first.get("kendall_tau")}  # fmt: skip


def run_profiles(args: argparse.Namespace) -> int:
    from archsearch.hardware import list_profiles, load_profile

    rows = []
    for name in list_profiles():
        p = load_profile(name)
        rows.append({"name": p.name, "device": p.device, "runtime": p.runtime, "batch": p.batch, "threads": p.threads,
                     "predictor": p.predictor.kind, "samples": p.provenance.get("samples"),
                     "anchors": len(p.anchors), **_summary(p.validation)})  # fmt: skip
    if args.format == "table":
        cols = [
            "name",
            "device",
            "runtime",
            "batch",
            "threads",
            "predictor",
            "samples",
            "anchors",
            "n",
            "mape",
            "within_10",
            "kendall_tau",
        ]
        print(render(rows, "table", cols))
        print("\nmape / within_10 (% of networks within +-10%) / kendall_tau: on data the profile was not fitted on "
              "(see validated_on in --format csv|json).")  # fmt: skip
    else:
        print(render(rows, args.format))
    return 0


def run_predict(args: argparse.Namespace) -> int:
    from archsearch.hardware import load_profile
    from archsearch.tasks import TaskNet
    from archsearch.tasks.lowering import network_cost, network_ms

    if not args.hw and not args.accuracy:
        raise UsageError("give --hw PROFILE, --accuracy NAME or both")
    profile = load_profile(args.hw) if args.hw else None
    est = _estimator(args) if args.accuracy else None
    nets = _networks(args)
    tasks = any(isinstance(net, TaskNet) for net, _ in nets)
    rows = []
    for net, _ in nets:
        row = {"name": net.name or net.id, "resolution": net.resolution, "macs": network_cost(net).macs}
        if tasks:
            row = {"name": row["name"], "task": getattr(net, "task", "classification"), **row}
        if profile is not None:
            row.update(profile=profile.name, latency_ms=round(network_ms(profile, net), 4))
        rows.append(row)
    if est is not None:
        pred = est.predict([getattr(net, "backbone", net) for net, _ in nets])
        column = "predicted_top1" if est.unit == "top1" else "score"
        column = f"backbone_{column}" if tasks else column
        for i, row in enumerate(rows):
            row.update({column: _finite(pred.value[i]), "uncertainty": _finite(pred.uncertainty[i]),
                        "extrapolates": bool(pred.extrapolates[i]), "extrapolation": pred.why[i]})  # fmt: skip
            if args.baseline:
                row["published_top1"] = nets[i][1]
    print(render(rows, args.format))
    if tasks and args.format == "table":
        print("\nA task network's macs and latency are the whole network's (backbone and head, at its input "
              "side); its score is its backbone's (predicted ImageNet top-1): no detection or segmentation "
              "accuracy data is shipped.")  # fmt: skip
    if est is not None and args.format == "table":
        print("\n" + _accuracy_note(est))
    return 0


def _networks(args: argparse.Namespace) -> list:
    """(network, published top-1) for --baseline then --config: classifiers, or task networks where --task
    is given or a name / JSON is one (their top-1 is the backbone's)."""
    from pathlib import Path

    from archsearch.tasks import get_task, load_network
    from archsearch.tasks.baselines import is_task_baseline, task_baseline_for
    from archsearch.tasks.spec import as_task

    task = args.task if args.task and get_task(args.task).head else None
    if not task and not args.config and not any(is_task_baseline(b) for b in args.baseline):
        return published_configs(args)
    nets = []
    for name in args.baseline:
        if task or is_task_baseline(name):
            b = task_baseline_for(name, task)
            nets.append((b.config, b.top1))
        else:
            nets += published_configs(argparse.Namespace(baseline=[name], config=[]))
    for path in args.config:
        try:
            text = Path(path).read_text()
        except OSError as e:
            raise UsageError(f"cannot read config {path}: {e.strerror}") from None
        net = load_network(text)
        if not net.name:
            net = net.with_(name=Path(path).stem)
        nets.append((as_task(net, task), None))
    if not nets:
        raise UsageError("give at least one --baseline NAME or --config FILE.json")
    return nets


def _estimator(args: argparse.Namespace) -> AccuracyEstimator:
    from archsearch.accuracy.base import ProxySettings, get_estimator

    settings = ProxySettings(data=args.data, resolution=args.proxy_resolution, batch=args.proxy_batch)
    est = get_estimator(args.accuracy, settings)
    if est.population:
        raise UsageError(f"{est.name} is a population estimator: it ranks networks against a reference sample of "
                         "a search space and cannot score a list alone (use it in 'archsearch run' or "
                         "'archsearch proxies eval')")  # fmt: skip
    return est


def _finite(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None


def _accuracy_note(est: AccuracyEstimator) -> str:
    """The footer: what the values are, and the estimator's own held-out figures (from its file)."""

    if est.unit != "top1":
        return f"score: {est.name} ({est.description}); ranks networks only, not a top-1."
    what = f"predicted_top1: {est.name}, {getattr(est, 'target', 'top-1 (%)')} +- uncertainty"
    held = est.headline
    return (f"{what}; extrapolates: a feature outside the range it was fitted on (see extrapolation).\n"
            + (f"held out ({est.name}'s file): {held}" if held else "no held-out figures in its file."))  # fmt: skip
