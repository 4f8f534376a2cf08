"""The `rexnet` family: ReXNet's linear channel schedule c_i = b + i * final / N."""

from __future__ import annotations

from typing import Any

from archsearch.arch import ArchConfig, Block, Head, Stem
from archsearch.spaces.base import CHECKS, Param, Reader, SearchSpace, register_family


def rexnet_config(
    width: float = 1.0,
    resolution: int = 224,
    depths: tuple[int, ...] = (1, 2, 2, 3, 3, 5),
    strides: tuple[int, ...] = (1, 2, 2, 2, 1, 2),
    se_stages: tuple[bool, ...] = (False, False, True, True, True, True),
    first_channels: int = 16,
    final_channels: float = 180,
    expansion: int = 6,
    se_reduction: int = 12,
    act: str = "silu",
    stem_channels: int = 32,
    num_classes: int = 1000,
    name: str = "",
) -> ArchConfig:
    """ReXNet (clovaai/rexnet `ReXNetV1`): channels grow by `final_channels / N` per block, Python round."""
    n = sum(depths)
    stem = stem_channels / width if width < 1.0 else stem_channels
    inplanes = first_channels / width if width < 1.0 else first_channels
    stem_out = int(round(stem * width))
    blocks: list[Block] = []
    i = 0
    for stage, (depth, stride, use_se) in enumerate(zip(depths, strides, se_stages, strict=True)):
        for j in range(depth):
            if i == 0:
                cin, cout = stem_out, int(round(inplanes * width))
            else:
                cin = int(round(inplanes * width))
                inplanes += final_channels / n
                cout = int(round(inplanes * width))
            t = 1 if stage == 0 else expansion
            mid = cin * t
            se = mid // se_reduction if (use_se and se_reduction) else 0
            blocks.append(Block("rex", cin, cout, k=3, stride=stride if j == 0 else 1, mid=mid, se=se, act=act,
                                se_gate="sigmoid", se_bn=True))  # fmt: skip
            i += 1
    return ArchConfig(
        blocks=tuple(blocks),
        resolution=resolution,
        stem=Stem(stem_out, 3, 2, "silu"),
        head=Head(int(1280 * width), "silu", 0, 0.2),
        num_classes=num_classes,
        name=name,
    )


@register_family
class RexNetSpace(SearchSpace):
    family = "rexnet"

    def __init__(self, spec: dict[str, Any], r: Reader):
        keys = [
            "resolution",
            "width_mult",
            "first_channels",
            "final_channels",
            "depths",
            "expansion",
            "se_reduction",
            "act",
        ]
        r.keys(spec, "", ["name", "family", *keys], ["description", "strides", "se_stages", "num_classes"])
        self.strides = tuple(spec.get("strides", (1, 2, 2, 2, 1, 2)))
        self.se_stages = tuple(spec.get("se_stages", (False, False, True, True, True, True)))
        depths = spec["depths"]
        if (
            not isinstance(depths, list)
            or len(depths) != len(self.strides)
            or len(self.se_stages) != len(self.strides)
        ):
            raise r.fail(
                "depths",
                f"expected a list of {len(self.strides)} stages (one per stride and se_stages entry)",
            )
        for i, s in enumerate(self.strides):
            r.choices(s, f"strides[{i}]", *CHECKS["s"])
        self.num_classes = r.num_classes(spec)
        params = [
            Param("resolution", r.choices(spec["resolution"], "resolution", *CHECKS["resolution"])),
            Param("width", r.choices(spec["width_mult"], "width_mult", *CHECKS["width_mult"])),
            Param("first_channels", r.choices(spec["first_channels"], "first_channels", *CHECKS["c"])),
            Param("final_channels", r.choices(spec["final_channels"], "final_channels", *CHECKS["c"])),
            *[Param(f"depth{i}", r.choices(d, f"depths[{i}]", *CHECKS["n"])) for i, d in enumerate(depths)],
            Param("expansion", r.choices(spec["expansion"], "expansion", *CHECKS["expansion"])),
            Param("se_reduction", r.choices(spec["se_reduction"], "se_reduction", *CHECKS["se_reduction"])),
            Param("act", r.choices(spec["act"], "act", *CHECKS["act"])),
        ]
        self.n_stages = len(depths)
        super().__init__(spec["name"], spec.get("description", ""), params)

    def _decode(self, p: dict[str, Any]) -> ArchConfig:
        return rexnet_config(
            width=p["width"],
            resolution=p["resolution"],
            depths=tuple(p[f"depth{i}"] for i in range(self.n_stages)),
            strides=self.strides,
            se_stages=self.se_stages,
            first_channels=p["first_channels"],
            final_channels=p["final_channels"],
            expansion=p["expansion"],
            se_reduction=p["se_reduction"],
            act=p["act"],
            num_classes=self.num_classes,
        )
