"""`archsearch baselines`: the published baselines with their exact costs."""

from __future__ import annotations

import argparse

from archsearch.baselines import all_baselines
from archsearch.cli import add_format
from archsearch.cost import cost
from archsearch.output import render


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "baselines", help="MobileNetV2/V1 (alpha x resolution) and ReXNet baselines with costs"
    )
    p.add_argument("--family", action="append", choices=["mobilenet_v2", "mobilenet_v1", "rexnet"],
                   help="only these families (repeatable)")  # fmt: skip
    p.add_argument("--hw", help="hardware profile: adds a predicted latency_ms column (archsearch profiles)")
    p.add_argument("--task", default="classification", metavar="TASK",
                   help="classification (default), detection, segmentation or segmentation-aspp: the "
                   "backbones with that task's head, costed and timed as whole networks")  # fmt: skip
    add_format(p)
    p.set_defaults(func=run)


def baseline_rows(families: tuple[str, ...], hw: str | None = None) -> list[dict]:
    profile = None
    if hw:
        from archsearch.hardware import load_profile

        profile = load_profile(hw)
    rows = []
    for b in all_baselines(families):
        c = cost(b.config)
        rows.append({"name": b.name, "resolution": b.resolution, "macs": c.macs, "params": c.params,
                     "peak_act_bytes": c.peak_bytes, "top1": b.top1})  # fmt: skip
        if profile:
            rows[-1]["latency_ms"] = round(profile.predict(b.config), 3)
    return rows


def run(args: argparse.Namespace) -> int:
    from archsearch.tasks import get_task

    if get_task(args.task).head:
        return run_task(args)
    families = tuple(args.family or ("mobilenet_v2", "mobilenet_v1", "rexnet"))
    rows = baseline_rows(families, args.hw)
    if args.format == "table":
        for r in rows:
            r["MMACs"], r["params_M"], r["peak_act_MB"] = (
                r.pop("macs") / 1e6,
                r.pop("params") / 1e6,
                r.pop("peak_act_bytes") / 2**20,
            )
        lat = ["latency_ms"] if args.hw else []
        print(render(rows, "table", ["name", "resolution", "MMACs", "params_M", "peak_act_MB", "top1", *lat]))
        print("\nMACs = conv + linear multiply-adds (the papers' 'FLOPs'); params include BN; "
              "peak activation memory at batch 1, float32; top1 = published ImageNet top-1 (%).")  # fmt: skip
        if args.hw:
            print(f"latency_ms = predicted by hardware profile {args.hw!r} (see 'archsearch profiles').")
    else:
        print(render(rows, args.format))
    return 0


def run_task(args: argparse.Namespace) -> int:
    """The task baselines (whole detectors / segmenters) with the backbone's published ImageNet top-1."""
    from archsearch.tasks.rows import task_baseline_rows

    profile = None
    if args.hw:
        from archsearch.hardware import load_profile

        profile = load_profile(args.hw)
    rows = task_baseline_rows(args.task, profile)
    if args.family:
        rows = [r for r in rows if any(f"-{f}-" in r["name"] for f in args.family)]
    if args.format != "table":
        print(render(rows, args.format))
        return 0
    for r in rows:
        r["MMACs"], r["params_M"], r["peak_act_MB"] = (
            r.pop("macs") / 1e6,
            r.pop("params") / 1e6,
            r.pop("peak_act_bytes") / 2**20,
        )
        pp, pm = r.pop("published_params"), r.pop("published_madds")
        r["paper"] = f"{r.pop('published')}, {pp / 1e6:g} M params, {pm / 1e9:g} B MAdds" if pp else ""
    lat = ["latency_ms"] if args.hw else []
    cols = ["name", "resolution", "MMACs", "params_M", "peak_act_MB", *lat, "backbone_top1", "paper"]
    print(render(rows, "table", cols))
    print(f"\nWhole {args.task} networks at their input side: MACs = conv + linear multiply-adds of backbone "
          "and head (upsampling, concatenation and non-maximum suppression not counted); params include BN; "
          "backbone_top1 = the backbone's published ImageNet top-1 (%), what a task run's score predicts; "
          "paper = the MobileNetV2 paper's figures (Tables 6 and 7).")  # fmt: skip
    if args.hw:
        print(f"latency_ms = predicted for the whole network by hardware profile {args.hw!r}.")
    return 0
