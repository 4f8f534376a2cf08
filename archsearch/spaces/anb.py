"""The `anb` family: the Accel-NASBench MnasNet space (EfficientNet-B0 skeleton), whose networks have
ImageNet accuracies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from archsearch.arch import ArchConfig, Block, Head, Stem
from archsearch.spaces.base import CHECKS, Param, Reader, SearchSpace, SpaceError, register_family

ANB_STAGES = ((32, 16, 1), (16, 24, 2), (24, 40, 2), (40, 80, 2), (80, 112, 1), (112, 192, 2), (192, 320, 1))
_ANB_SE = (lambda v: v in (0, 1) and not isinstance(v, bool), "0, 1")
ANB_KEYS = (("expand", "e", CHECKS["t"]), ("kernel", "k", CHECKS["k"]), ("layers", "l", CHECKS["n"]),
            ("se", "se", _ANB_SE))  # fmt: skip
"""(YAML key, Optuna parameter prefix, check) of the four per-stage choices."""


def anb_config(
    expand: Sequence[int],
    kernel: Sequence[int],
    layers: Sequence[int],
    se: Sequence[int],
    act: str = "silu",
    name: str = "",
) -> ArchConfig:
    """An Accel-NASBench network from its 7 per-stage (expand, kernel, layers, se) values at 224 px.
    The SE squeeze runs ReLU here (archsearch's SE), swish in EfficientNet: same params and MACs."""
    _check_anb(expand, kernel, layers, se)
    blocks: list[Block] = []
    for (cin, cout, stride), e, k, depth, s in zip(ANB_STAGES, expand, kernel, layers, se, strict=True):
        for j in range(depth):
            se_ch = max(1, int(0.25 * cin)) if s else 0
            blocks.append(Block("ir", cin, cout, k=k, stride=stride if j == 0 else 1, mid=cin * e, se=se_ch,
                                act=act, se_gate="sigmoid"))  # fmt: skip
            cin = cout
    return ArchConfig(
        blocks=tuple(blocks),
        resolution=224,
        stem=Stem(32, 3, 2, act),
        head=Head(1280, act, 0, 0.2),
        num_classes=1000,
        name=name,
    )


def _check_anb(
    expand: Sequence[int], kernel: Sequence[int], layers: Sequence[int], se: Sequence[int]
) -> None:
    """Lengths and the values Block cannot check itself (expand 0 would silently mean no expansion)."""
    n = len(ANB_STAGES)
    if not all(len(v) == n for v in (expand, kernel, layers, se)):
        raise SpaceError(f"Accel-NASBench needs {n} values each of expand, kernel, layers and se")
    if min(expand) < 1 or min(layers) < 1 or set(se) - {0, 1}:
        raise SpaceError(
            f"Accel-NASBench: expand and layers must be >= 1, se 0 or 1; got {expand} {layers} {se}"
        )


@register_family
class AnbSpace(SearchSpace):
    """Per-stage expand, kernel, layers and se choices; channels, strides and resolution are fixed."""

    family = "anb"

    def __init__(self, spec: dict[str, Any], r: Reader):
        r.keys(spec, "", ["name", "family", *(key for key, _, _ in ANB_KEYS)], ["description", "act"])
        act = spec.get("act", "silu")
        if isinstance(act, list) or not CHECKS["act"][0](act):
            raise r.fail("act", f"invalid value {act!r}; allowed: one of {CHECKS['act'][1]}")
        self.act = act
        n = len(ANB_STAGES)
        params = []
        for key, short, (ok, allowed) in ANB_KEYS:
            stages = spec[key]
            if not isinstance(stages, list) or len(stages) != n:
                raise r.fail(key, f"expected a list of {n} stages, each a value or a list of choices")
            params += [
                Param(f"{short}{i}", r.choices(v, f"{key}[{i}]", ok, allowed)) for i, v in enumerate(stages)
            ]
        super().__init__(spec["name"], spec.get("description", ""), params)

    def _decode(self, p: dict[str, Any]) -> ArchConfig:
        n = len(ANB_STAGES)
        return anb_config(*([p[f"{short}{i}"] for i in range(n)] for _, short, _ in ANB_KEYS), act=self.act)

    @staticmethod
    def params_of(
        expand: Sequence[int], kernel: Sequence[int], layers: Sequence[int], se: Sequence[int]
    ) -> dict[str, int]:
        """The Optuna parameters (`e0..e6`, `k0..k6`, `l0..l6`, `se0..se6`) that decode to this network."""
        values = (expand, kernel, layers, se)
        _check_anb(*values)
        return {
            f"{short}{i}": int(v)
            for (_, short, _), vs in zip(ANB_KEYS, values, strict=True)
            for i, v in enumerate(vs)
        }
