"""fvcore == analytic MACs and torch == analytic params for whole task networks: the task baselines and
N random backbones per task from mbv2, rexnet and anb in turn (issue 17's acceptance check; the test
suite runs 6 of them).

Usage: python benchmarks/task_counts.py [--configs 50] [--side task|smallest]
`--side smallest` runs each head at the smallest input it accepts (detection 257, segmentation 64,
segmentation-aspp 289): the same layers at smaller maps, about 4x faster."""

from __future__ import annotations

import argparse
import random
import time

import torch

from archsearch.spaces import load_space
from archsearch.tasks import TaskNet, get_task
from archsearch.tasks.baselines import task_baselines
from archsearch.tasks.lowering import task_cost
from archsearch.tasks.models import fvcore_task_cost

SMALLEST = {"detection": 257, "segmentation": 64, "segmentation-aspp": 289}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--configs", type=int, default=50, help="random backbones per task")
    ap.add_argument("--side", choices=("task", "smallest"), default="task")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(1)
    rng = random.Random(args.seed)
    spaces = [load_space(s) for s in ("mbv2", "rexnet", "anb")]
    for task in SMALLEST:
        side = get_task(task).resolution if args.side == "task" else SMALLEST[task]
        nets = [
            b.config
            for b in task_baselines(task)
            if b.name.startswith(f"{get_task(task).head}-mobilenet_v2-1.0")
        ]
        nets += [TaskNet(task, spaces[i % 3].random(rng), side) for i in range(args.configs)]
        t0, bad = time.perf_counter(), []
        for net in nets:
            c = task_cost(net)
            if fvcore_task_cost(net) != (c.macs, c.params):
                bad.append(net.name)
        print(f"{task}: {len(nets) - len(bad)} of {len(nets)} agree (fvcore conv+linear == analytic MACs, "
              f"torch == analytic params; {len(nets) - args.configs} baselines + {args.configs} random at "
              f"{side if args.side == 'smallest' else 'the task side'}) in {time.perf_counter() - t0:.0f} s"
              + (f"; disagree: {', '.join(bad)}" if bad else ""), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
