"""Tasks: a backbone `ArchConfig` plus a task makes the whole network that is costed, timed and exported.

`TaskNet(task, backbone)` is that network: frozen, hashable, exact JSON round trip, a 12-hex id, like
`ArchConfig`. `plan(net)` finds where the head attaches from the backbone's strides alone, so every
config of any space has a detection and a segmentation form, or a one-line `TaskError` saying why not:

- detection (SSDLite, COCO, 320x320): `tap0` is the expansion output of the last block that starts at
  output stride 16 (in MobileNetV2 the 576-channel `layer_15/expansion_output`; the block's input when it
  does not expand), `tap1` the backbone's last layer (its 1x1 head conv, `layer_19`);
- segmentation (Mobile DeepLabv3, PASCAL VOC, 512x512): the backbone at output stride 16, every stride
  after it turned into dilation as TF-slim's `output_stride` does (the converted block keeps rate 1, the
  ones after it run at rate 2), without its 1x1 head conv (the paper's MNet V2*: the head sits on the
  second-last feature map, 320 channels).

The backbone keeps its own `resolution` for its ImageNet score; the whole network runs at the task's.
No torch here.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from archsearch.arch import ArchConfig, ConfigError, feature_sizes
from archsearch.registry import Registry
from archsearch.tasks.heads import ASPP_RATES, deeplab_layers, ssdlite_layers
from archsearch.tasks.layers import HeadLayer

OUTPUT_STRIDE = 16


class TaskError(ConfigError):
    """An unknown task, or a backbone or resolution the task's head cannot attach to."""


@dataclass(frozen=True, kw_only=True)
class Task:
    """A task: its head (also the prefix of its baselines' names), data set, default input side and
    classes (background included), and the metric its papers report."""

    name: str
    head: str
    dataset: str
    resolution: int
    num_classes: int
    metric: str
    doc: str


TASKS: Registry[Task] = Registry("task", TaskError)
TASKS.add("classification", Task(name="classification", head="", dataset="ImageNet", resolution=0,
                                 num_classes=1000, metric="top-1 (%)", doc="the backbone itself"))  # fmt: skip
TASKS.add("detection", Task(name="detection", head="ssdlite", dataset="COCO", resolution=320, num_classes=91,
                            metric="COCO mAP", doc="SSDLite: depthwise-separable SSD head, 6 maps, 2034 anchors at 320"))  # fmt: skip
TASKS.add("segmentation", Task(name="segmentation", head="deeplabv3", dataset="PASCAL VOC", resolution=512,
                               num_classes=21, metric="VOC mIOU",
                               doc="Mobile DeepLabv3 at output stride 16: image pooling + 1x1 branch, no ASPP"))  # fmt: skip
TASKS.add("segmentation-aspp", Task(name="segmentation-aspp", head="deeplabv3-aspp", dataset="PASCAL VOC",
                                    resolution=512, num_classes=21, metric="VOC mIOU",
                                    doc="Mobile DeepLabv3 at output stride 16 with ASPP (atrous rates 6, 12, 18)"))  # fmt: skip


def get_task(name: str) -> Task:
    return TASKS.get(name)


@dataclass(frozen=True)
class TaskNet:
    """A whole detector or segmenter: `backbone` with the head of `task`, input `resolution` x
    `resolution` (0: the task's), `num_classes` (0: the task's)."""

    task: str
    backbone: ArchConfig
    resolution: int = 0
    num_classes: int = 0
    name: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        t = get_task(self.task)
        if not t.head:
            raise TaskError("classification has no head: the backbone ArchConfig is the whole network")
        object.__setattr__(self, "resolution", self.resolution or t.resolution)
        object.__setattr__(self, "num_classes", self.num_classes or t.num_classes)
        if self.num_classes < 1:
            raise TaskError(f"{self.task}: num_classes must be >= 1, got {self.num_classes}")
        if not self.name:  # `<head>-<backbone name without its side>-<input side>`, as task baselines
            base = (
                re.sub(r"-\d+$", "", self.backbone.name) if self.backbone.name else f"net-{self.backbone.id}"
            )
            object.__setattr__(self, "name", f"{t.head}-{base}-{self.resolution}")
        plan(self)  # a TaskNet that exists has a head that attaches

    @property
    def in_chans(self) -> int:
        return self.backbone.in_chans

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task, "resolution": self.resolution, "num_classes": self.num_classes,
                "name": self.name, "backbone": self.backbone.to_dict()}  # fmt: skip

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, indent=indent,
                          separators=None if indent else (",", ":"))  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TaskNet:
        known = {"task", "resolution", "num_classes", "name", "backbone"}
        unknown = set(d) - known
        if unknown:
            raise TaskError(f"unknown task network key(s) {sorted(unknown)}; allowed: {sorted(known)}")
        if not isinstance(d.get("backbone"), dict) or not isinstance(d.get("task"), str):
            raise TaskError("a task network needs 'task' (a name) and 'backbone' (an architecture config)")
        return cls(d["task"], ArchConfig.from_dict(d["backbone"]), int(d.get("resolution", 0)),
                   int(d.get("num_classes", 0)), str(d.get("name", "")))  # fmt: skip

    @property
    def id(self) -> str:
        """Hash of the canonical JSON without names (so it never equals its backbone's id)."""
        canon = replace(self, name="x", backbone=self.backbone.with_(name="")).to_json()
        return hashlib.sha1(canon.encode()).hexdigest()[:12]


def network(cfg: ArchConfig, task: str = "classification", resolution: int = 0) -> ArchConfig | TaskNet:
    """The whole network of `task` on backbone `cfg`: the config itself for classification."""
    if not get_task(task).head:
        if resolution and resolution != cfg.resolution:
            return cfg.with_(resolution=resolution)
        return cfg
    return TaskNet(task, cfg, resolution)


def load_network(text: str) -> ArchConfig | TaskNet:
    """An ArchConfig or TaskNet from its JSON (a task network has a 'task' key)."""
    try:
        d = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(f"config is not valid JSON: {e}") from None
    if isinstance(d, dict) and "task" in d:
        return TaskNet.from_dict(d)
    if not isinstance(d, dict):
        raise ConfigError("config JSON must be an object")
    return ArchConfig.from_dict(d)


@dataclass(frozen=True)
class Tap:
    """A backbone tensor the head reads: the expansion output (`expand`) or the input (`input`) of block
    `block`, or the backbone's last layer (`output`), with its channels, side and output stride."""

    name: str
    block: int
    where: str
    channels: int
    side: int
    stride: int


@dataclass(frozen=True)
class Plan:
    """How a task network runs: `backbone` at the task's resolution (strides past 16 turned into 1 for
    segmentation, the 1x1 head conv dropped there), each block's depthwise `dilation`, the `taps` and the
    head's `layers`. Its pool and classifier are not part of the network."""

    backbone: ArchConfig
    dilation: tuple[int, ...]
    taps: tuple[Tap, ...]
    layers: tuple[HeadLayer, ...]


def input_strides(cfg: ArchConfig) -> list[int]:
    """Output stride of the map entering each block, and last, of the backbone's output."""
    out, s = [], cfg.stem.stride
    for b in cfg.blocks:
        out.append(s)
        s *= b.stride
    return [*out, s]


@lru_cache(maxsize=4096)
def plan(net: TaskNet) -> Plan:
    cfg = net.backbone.with_(resolution=net.resolution)
    what = f"{net.task} of {net.backbone.name or 'config ' + net.backbone.id}"
    strides = input_strides(cfg)
    if strides[-1] < OUTPUT_STRIDE:
        raise TaskError(f"{what}: the backbone reaches output stride {strides[-1]}; the {get_task(net.task).head} "
                        f"head attaches at output stride {OUTPUT_STRIDE} (a space of such backbones has no {net.task} form)")  # fmt: skip
    if net.task == "detection":
        return _ssdlite_plan(net, cfg, strides, what)
    return _deeplab_plan(net, cfg, what)


def _ssdlite_plan(net: TaskNet, cfg: ArchConfig, strides: list[int], what: str) -> Plan:
    starts = [i for i, s in enumerate(strides[:-1]) if s == OUTPUT_STRIDE]
    if not starts:
        raise TaskError(
            f"{what}: no block starts at output stride {OUTPUT_STRIDE}, where SSDLite's first map attaches"
        )
    j = starts[-1]
    b, sides = cfg.blocks[j], feature_sizes(cfg)
    tap0 = Tap(
        "tap0", j, "expand" if b.expands else "input", b.mid if b.expands else b.cin, sides[j], OUTPUT_STRIDE
    )
    last = cfg.head.channels or cfg.last_channels
    tap1 = Tap("tap1", len(cfg.blocks), "output", last, sides[-1], strides[-1])
    layers = ssdlite_layers([(tap0.channels, tap0.side), (tap1.channels, tap1.side)], net.num_classes)
    extras = [layer.h_in for layer in layers if layer.name.endswith(".dw") and layer.name.startswith("extra")]
    if min(extras) < 2:
        raise TaskError(f"{what}: resolution {net.resolution} too small for the SSDLite head: its last map is "
                        f"{tap1.side}x{tap1.side}, too small to halve 4 more times into distinct maps "
                        f"(needs >= 9x9, e.g. >= 257 px at output stride 32)")  # fmt: skip
    return Plan(cfg, (1,) * len(cfg.blocks), (tap0, tap1), layers)


def _deeplab_plan(net: TaskNet, cfg: ArchConfig, what: str) -> Plan:
    blocks, dilation = [], []
    current, rate = cfg.stem.stride, 1
    for b in cfg.blocks:
        if current >= OUTPUT_STRIDE:  # TF-slim: stride 1 at the current rate, later layers at rate * stride
            dilation.append(rate)
            if b.stride != 1:
                rate *= b.stride
                b = replace(b, stride=1, skip=False)  # no residual the classifier did not have
        else:
            dilation.append(1)
            current *= b.stride
        blocks.append(b)
    cfg = cfg.with_(blocks=tuple(blocks), head=replace(cfg.head, channels=0))
    side = feature_sizes(cfg)[-1]
    aspp = net.task == "segmentation-aspp"
    need = max(ASPP_RATES) + 1 if aspp else 2
    if side < need:
        why = (
            f"a rate-{max(ASPP_RATES)} 3x3 conv needs a map wider than {max(ASPP_RATES)}"
            if aspp
            else "image pooling needs a map of at least 2x2"
        )
        raise TaskError(f"{what}: resolution {net.resolution} too small for the DeepLabv3 head: the output-stride-16 map "
                        f"is {side}x{side} ({why}; >= {(need - 1) * OUTPUT_STRIDE + 1} px)")  # fmt: skip
    tap = Tap("tap0", len(blocks), "output", cfg.last_channels, side, OUTPUT_STRIDE)
    layers = deeplab_layers((tap.channels, side), net.num_classes, net.resolution, aspp)
    return Plan(cfg, tuple(dilation), (tap,), layers)


def as_task(net: ArchConfig | TaskNet, task: str | None = None) -> ArchConfig | TaskNet:
    """`net` as a network of `task` (None: as it is): a TaskNet must already be of that task; a backbone
    config gets the task's head (named `<head>-<config name>`)."""
    if isinstance(net, TaskNet):
        if task and task != net.task:
            raise TaskError(f"{net.name} is a {net.task} network, not {task}")
        return net
    return network(net, task or "classification")
