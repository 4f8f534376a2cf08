"""The `stages` family: a MobileNet stage table (t, c, n, s, k, se, act per stage) under width alpha and
resolution rho; MobileNetV2 (`ir` blocks) and MobileNetV1 (`ds` blocks)."""

from __future__ import annotations

from typing import Any

from archsearch.arch import ArchConfig, Block, Head, Stem, make_divisible
from archsearch.spaces.base import CHECKS, Param, Reader, SearchSpace, register_family

STAGE_KEYS = ("t", "c", "n", "s", "k", "se", "act")


def scale_channels(c: float, alpha: float, rule: str) -> int:
    """Width-multiplier rule: `divisible8` (MobileNetV2, torchvision) or `truncate` (MobileNetV1, TF-slim)."""
    if rule == "truncate":
        return max(int(c * alpha), 8)
    return make_divisible(c * alpha, 8)


def stage_blocks(
    stages: list[dict[str, Any]], cin: int, alpha: float, rule: str, kind: str, se_ratio: float
) -> list[Block]:
    """Expand stage rows (t, c, n, s, k, se, act) into blocks; only the first repeat carries the stride."""
    blocks = []
    for st in stages:
        cout = scale_channels(st["c"], alpha, rule)
        for i in range(st["n"]):
            stride = st["s"] if i == 0 else 1
            if kind == "ds":
                blocks.append(Block("ds", cin, cout, k=st["k"], stride=stride, act=st["act"], skip=False))
            else:
                mid = cin * st["t"]
                se = make_divisible(mid * se_ratio, 8) if st["se"] else 0
                gate = "hsigmoid" if st["act"] == "hswish" else "sigmoid"
                blocks.append(Block("ir", cin, cout, k=st["k"], stride=stride, mid=mid, se=se, act=st["act"],
                                    se_gate=gate))  # fmt: skip
            cin = cout
    return blocks


def stages_config(
    rows: list[dict[str, Any]],
    *,
    alpha: float,
    resolution: int,
    stem: Stem,
    head: Head,
    rule: str,
    kind: str,
    head_scales_down: bool = False,
    se_ratio: float = 0.25,
    num_classes: int = 1000,
    name: str = "",
) -> ArchConfig:
    """A MobileNet from stage rows; the head conv scales up with alpha > 1 but, unless
    `head_scales_down`, never down."""
    stem_ch = scale_channels(stem.channels, alpha, rule)
    blocks = stage_blocks(rows, stem_ch, alpha, rule, kind, se_ratio)
    head_ch = head.channels
    if head_ch:
        head_ch = scale_channels(head_ch, alpha if head_scales_down else max(1.0, alpha), rule)
    return ArchConfig(
        blocks=tuple(blocks),
        resolution=resolution,
        stem=Stem(stem_ch, stem.k, stem.stride, stem.act),
        head=Head(head_ch, head.act, head.post_pool, head.dropout),
        num_classes=num_classes,
        name=name,
    )


@register_family
class StagesSpace(SearchSpace):
    family = "stages"

    def __init__(self, spec: dict[str, Any], r: Reader):
        r.keys(
            spec,
            "",
            ["name", "family", "block", "stages", "resolution", "width_mult"],
            ["description", "stem", "head", "num_classes", "width_rule", "se_ratio"],
        )
        self.block = spec["block"]
        if self.block not in ("ir", "ds"):
            raise r.fail("block", f"invalid choice {self.block!r}; allowed: ir, ds")
        self.rule = spec.get("width_rule", "divisible8")
        if self.rule not in ("divisible8", "truncate"):
            raise r.fail("width_rule", f"invalid choice {self.rule!r}; allowed: divisible8, truncate")
        self.se_ratio = float(spec.get("se_ratio", 0.25))
        self.num_classes = r.num_classes(spec)
        stem = spec.get("stem", {})
        r.keys(stem, "stem.", [], ["channels", "kernel", "stride", "act"])
        self.stem = Stem(
            stem.get("channels", 32), stem.get("kernel", 3), stem.get("stride", 2), stem.get("act", "relu6")
        )
        head = spec.get("head", {})
        r.keys(head, "head.", [], ["channels", "act", "dropout", "scale_down"])
        self.head = Head(head.get("channels", 1280), head.get("act", "relu6"), 0, head.get("dropout", 0.2))
        self.head_scales_down = head.get("scale_down", False)
        params = [
            Param("resolution", r.choices(spec["resolution"], "resolution", *CHECKS["resolution"])),
            Param("alpha", r.choices(spec["width_mult"], "width_mult", *CHECKS["width_mult"])),
        ]
        stages = spec["stages"]
        if not isinstance(stages, list) or not stages:
            raise r.fail("stages", "expected a non-empty list of stage rows")
        for i, st in enumerate(stages):
            where = f"stages[{i}]."
            r.keys(st, where, ["c", "n", "s"], ["t", "k", "se", "act"])
            for key in STAGE_KEYS:
                default = {"t": 1, "k": 3, "se": False, "act": self.stem.act}.get(key)
                val = st.get(key, default)
                params.append(Param(f"s{i}.{key}", r.choices(val, where + key, *CHECKS[key])))
        self.n_stages = len(stages)
        super().__init__(spec["name"], spec.get("description", ""), params)

    def _decode(self, p: dict[str, Any]) -> ArchConfig:
        rows = [{k: p[f"s{i}.{k}"] for k in STAGE_KEYS} for i in range(self.n_stages)]
        return stages_config(
            rows,
            alpha=p["alpha"],
            resolution=p["resolution"],
            stem=self.stem,
            head=self.head,
            rule=self.rule,
            kind=self.block,
            head_scales_down=self.head_scales_down,
            se_ratio=self.se_ratio,
            num_classes=self.num_classes,
        )
