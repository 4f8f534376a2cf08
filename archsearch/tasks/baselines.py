"""Task baselines: the classification baselines' backbones with a task's head, named
`<head>-<backbone baseline>` with the whole network's input side last, e.g.
`ssdlite-mobilenet_v2-1.0-320`, `deeplabv3-mobilenet_v2-1.0-512`, `deeplabv3-aspp-mobilenet_v2-1.0-513`.

The backbone is the ImageNet baseline at 224 (whose published top-1 is what the score of a task network
is compared with); the input side of the name is the detector's or segmenter's. Published figures are the
MobileNetV2 paper's (Sandler et al. 2018, Table 6 for SSDLite, Table 7 for DeepLabv3, rows "MNet V2*"
at OS 16 without multi-scale inputs). No torch here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from archsearch.baselines import MBV2_ALPHAS, REXNET_WIDTHS, Baseline, comparison_baselines, get_baseline
from archsearch.resources import UnknownNameError
from archsearch.tasks.spec import TASKS, TaskNet, get_task


@dataclass(frozen=True)
class Published:
    """A task network's figures as published: metric value, parameters, multiply-adds, where."""

    metric: str
    value: float
    params: float
    madds: float
    source: str


PUBLISHED = {
    "ssdlite-mobilenet_v2-1.0-320": Published("COCO mAP", 22.1, 4.3e6, 0.8e9, "MobileNetV2 paper, Table 6"),
    "deeplabv3-mobilenet_v2-1.0-513": Published(
        "VOC val mIOU", 75.32, 2.11e6, 2.75e9, "MobileNetV2 paper, Table 7 (MNet V2*, OS 16, no ASPP, no MF)"
    ),
    "deeplabv3-aspp-mobilenet_v2-1.0-513": Published(
        "VOC val mIOU", 75.70, 4.52e6, 5.8e9, "MobileNetV2 paper, Table 7 (MNet V2*, OS 16, ASPP, no MF)"
    ),
}
"""The paper states DeepLab's figures at its 513x513 crop (an output-stride-16 map of 33x33)."""


@dataclass(frozen=True)
class TaskBaseline:
    name: str
    task: str
    backbone: str
    resolution: int
    config: TaskNet
    top1: float | None  # the backbone's published ImageNet top-1
    published: Published | None


def _head_of(name: str) -> tuple[str, str]:
    """(task, rest of the name) for a name starting with a task's head, longest head first."""
    for task in sorted(TASKS.names(), key=lambda t: -len(get_task(t).head)):
        head = get_task(task).head
        if head and name.startswith(head + "-"):
            return task, name[len(head) + 1 :]
    heads = ", ".join(get_task(t).head for t in TASKS.names() if get_task(t).head)
    raise UnknownNameError(
        f"unknown task baseline {name!r}; names are <head>-<backbone>-<multiplier>-<side> with head one of {heads}"
    )


_REST = re.compile(r"^(.+-\d+(?:\.\d+)?)-(\d+)$")


def is_task_baseline(name: str) -> bool:
    try:
        _head_of(name)
    except UnknownNameError:
        return False
    return True


def get_task_baseline(name: str) -> TaskBaseline:
    """A task baseline by name: `<head>-<family>-<multiplier>-<input side>`; the backbone is that family's
    baseline at 224."""
    task, rest = _head_of(name)
    m = _REST.match(rest)
    if not m:
        raise UnknownNameError(f"task baseline {name!r}: expected <head>-<family>-<multiplier>-<input side>, "
                               f"e.g. ssdlite-mobilenet_v2-1.0-320")  # fmt: skip
    base = get_baseline(f"{m.group(1)}-224")
    net = TaskNet(task, base.config, int(m.group(2)), name=name)
    return TaskBaseline(name, task, base.name, net.resolution, net, base.top1, PUBLISHED.get(name))


def task_baseline_names(task: str) -> list[str]:
    """The comparison grid of a task: MobileNetV2 widths and ReXNet widths with its head at its input
    side, plus the rows that reproduce the paper (DeepLab's 513 crop)."""
    t = get_task(task)
    if not t.head:
        raise UnknownNameError("classification baselines are the plain baseline names")
    names = [f"{t.head}-mobilenet_v2-{a}-{t.resolution}" for a in MBV2_ALPHAS]
    names += [f"{t.head}-rexnet-{w}-{t.resolution}" for w in REXNET_WIDTHS]
    names += [n for n in PUBLISHED if _head_of(n)[0] == task and n not in names]
    return names


def task_baselines(task: str) -> list[TaskBaseline]:
    return [get_task_baseline(n) for n in task_baseline_names(task)]


def task_baseline_for(name: str, task: str | None = None) -> TaskBaseline:
    """`name` as a task network: a task baseline name (whose task must be `task` when one is given), or a
    classification baseline with `task`'s head at the task's input side (`--task detection --baseline
    mobilenet_v2-1.0-224` is `ssdlite-mobilenet_v2-1.0-320`; the backbone keeps its own side for its top-1)."""
    if is_task_baseline(name):
        b = get_task_baseline(name)
        if task and task != b.task:
            raise UnknownNameError(f"{name} is a {b.task} baseline, not {task}")
        return b
    base = get_baseline(name)
    t = get_task(task or "classification")
    if not t.head:
        raise UnknownNameError(f"{name} is a classification baseline; give --task detection|segmentation|...")
    net = TaskNet(t.name, base.config)
    return TaskBaseline(net.name, t.name, base.name, net.resolution, net, base.top1, PUBLISHED.get(net.name))


def search_baselines(task: str) -> list[Baseline]:
    """What a search of `task` is compared with, as backbones (a run searches backbones and costs them with
    the head): the task baselines at the task's input side, each named as a task baseline, with its
    backbone's family, multiplier and published top-1; for classification the classifiers' grid."""
    t = get_task(task)
    if not t.head:
        return comparison_baselines()
    out = []
    for b in task_baselines(task):
        if b.resolution == t.resolution:
            base = get_baseline(b.backbone)
            out.append(
                Baseline(b.name, base.family, base.multiplier, base.resolution, base.config, base.top1)
            )
    return out
