"""The `fbnet` family: the FBNet space at CIFAR-100 input (HW-NAS-Bench), the phone latency data's."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from archsearch.arch import ArchConfig, Block, Head, Stem
from archsearch.spaces.base import Param, Reader, SearchSpace, SpaceError, register_family

FBNET_OPS = ("k3_e1", "k3_e1_g2", "k3_e3", "k3_e6", "k5_e1", "k5_e1_g2", "k5_e3", "k5_e6", "skip")
FBNET_DEPTHS = (1, 4, 4, 4, 4, 4, 1)
FBNET_WIDTHS = (16, 24, 32, 64, 112, 184, 352)
FBNET_STRIDES = (1, 1, 2, 2, 1, 2, 1)


def fbnet_config(ops: Iterable[str], num_classes: int = 100) -> ArchConfig:
    """An FBNet-space network at 32x32; `skip` is an identity, or a 1x1 conv where the shape changes."""
    ops = list(ops)
    if len(ops) != sum(FBNET_DEPTHS) or any(o not in FBNET_OPS for o in ops):
        raise SpaceError(f"FBNet needs {sum(FBNET_DEPTHS)} ops from: {', '.join(FBNET_OPS)}")
    blocks, cin, i = [], 16, 0
    for depth, width, stride in zip(FBNET_DEPTHS, FBNET_WIDTHS, FBNET_STRIDES, strict=True):
        for j in range(depth):
            s = stride if j == 0 else 1
            op = ops[i]
            if op == "skip":
                same = s == 1 and cin == width
                blocks.append(Block("skip", cin, width) if same else Block("proj", cin, width, k=1, stride=s))
            else:
                parts = op.split("_")
                k, e, g = int(parts[0][1:]), int(parts[1][1:]), 2 if len(parts) == 3 else 1
                blocks.append(Block("ir", cin, width, k=k, stride=s, mid=cin * e, act="relu", groups=g))
            cin, i = width, i + 1
    return ArchConfig(
        blocks=tuple(blocks),
        resolution=32,
        stem=Stem(16, 3, 1, "relu"),
        head=Head(1504, "relu", 0, 0.0),
        num_classes=num_classes,
    )


@register_family
class FbnetSpace(SearchSpace):
    family = "fbnet"

    def __init__(self, spec: dict[str, Any], r: Reader):
        r.keys(spec, "", ["name", "family"], ["description", "ops"])
        ops = r.choices(
            spec.get("ops", list(FBNET_OPS)), "ops", lambda v: v in FBNET_OPS, ", ".join(FBNET_OPS)
        )
        params = [Param(f"op{i}", ops) for i in range(sum(FBNET_DEPTHS))]
        super().__init__(spec["name"], spec.get("description", ""), params)

    def _decode(self, p: dict[str, Any]) -> ArchConfig:
        return fbnet_config([p[f"op{i}"] for i in range(sum(FBNET_DEPTHS))])
