"""The `ofa` family: the once-for-all MobileNetV3 space (the architectures of the GPU latency data)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from archsearch.arch import ArchConfig, Block, Head, Stem, make_divisible
from archsearch.spaces.base import CHECKS, Param, Reader, SearchSpace, register_family

OFA_WIDTHS = (24, 40, 80, 112, 160)
OFA_STRIDES = (2, 2, 2, 1, 2)
OFA_ACTS = ("relu", "relu", "hswish", "hswish", "hswish")
OFA_SE = (False, True, False, True, True)


def ofa_config(
    resolution: int,
    depths: Iterable[int],
    kernels: Iterable[int],
    expands: Iterable[int],
    num_classes: int = 1000,
) -> ArchConfig:
    """A once-for-all MobileNetV3 network (`ofa_mbv3.py`): 4 slots per stage, slots past the depth unused."""
    depths, kernels, expands = list(depths), list(kernels), list(expands)
    blocks = [Block("ir", 16, 16, k=3, stride=1, mid=16, se=0, act="relu")]
    cin = 16
    for st, (d, width, stride, act, se) in enumerate(
        zip(depths, OFA_WIDTHS, OFA_STRIDES, OFA_ACTS, OFA_SE, strict=True)
    ):
        for j in range(d):
            k, e = kernels[4 * st + j], expands[4 * st + j]
            mid = make_divisible(cin * e, 8)
            se_ch = make_divisible(mid // 4, 8) if se else 0
            blocks.append(Block("ir", cin, width, k=k, stride=stride if j == 0 else 1, mid=mid, se=se_ch, act=act,
                                se_gate="hsigmoid"))  # fmt: skip
            cin = width
    return ArchConfig(
        blocks=tuple(blocks),
        resolution=resolution,
        stem=Stem(16, 3, 2, "hswish"),
        head=Head(960, "hswish", 1280, 0.1),
        num_classes=num_classes,
    )


@register_family
class OfaSpace(SearchSpace):
    family = "ofa"

    def __init__(self, spec: dict[str, Any], r: Reader):
        r.keys(spec, "", ["name", "family", "resolution", "depth", "kernel", "expansion"], ["description"])
        res = r.choices(spec["resolution"], "resolution", *CHECKS["resolution"])
        depth = r.choices(spec["depth"], "depth", lambda v: v in (1, 2, 3, 4), "1, 2, 3, 4")
        kernel = r.choices(spec["kernel"], "kernel", *CHECKS["k"])
        exp = r.choices(spec["expansion"], "expansion", *CHECKS["expansion"])
        params = [Param("resolution", res)]
        params += [Param(f"d{s}", depth) for s in range(5)]
        params += [Param(f"k{s}_{j}", kernel) for s in range(5) for j in range(4)]
        params += [Param(f"e{s}_{j}", exp) for s in range(5) for j in range(4)]
        super().__init__(spec["name"], spec.get("description", ""), params)

    def _decode(self, p: dict[str, Any]) -> ArchConfig:
        return ofa_config(
            p["resolution"],
            [p[f"d{s}"] for s in range(5)],
            [p[f"k{s}_{j}"] for s in range(5) for j in range(4)],
            [p[f"e{s}_{j}"] for s in range(5) for j in range(4)],
        )
