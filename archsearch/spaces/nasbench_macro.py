"""The `nasbench-macro` family: the 3^8 NAS-Bench-Macro space, 8 layers over {0: identity, 1: ir e3 k3,
2: ir e6 k5} in stages [2, 3, 3] (keys such as `12121212`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from archsearch.arch import ArchConfig, Block, Head, Stem
from archsearch.spaces.base import Param, Reader, SearchSpace, SpaceError, register_family

NBM_STAGES = (2, 3, 3)
NBM_OPS = {"1": (3, 3), "2": (6, 5)}  # op -> (expansion, kernel)


def nasbench_macro_config(key: str) -> ArchConfig:
    """The NAS-Bench-Macro network of `key` (8 characters over 0/1/2) on 32x32 CIFAR-10."""
    if len(key) != 8 or set(key) - set("012"):
        raise SpaceError(f"invalid NAS-Bench-Macro key {key!r}; allowed: 8 characters over 0, 1, 2")
    blocks, cin, i = [], 32, 0
    for depth in NBM_STAGES:
        for j in range(depth):
            op = key[i]
            stride, cout = (2, cin * 2) if j == 0 else (1, cin)
            if op == "0":
                blocks.append(
                    Block("proj", cin, cout, k=1, stride=stride) if j == 0 else Block("skip", cin, cout)
                )
            else:
                t, k = NBM_OPS[op]
                blocks.append(Block("ir", cin, cout, k=k, stride=stride, mid=cin * t, act="relu"))
            cin, i = cout, i + 1
    return ArchConfig(
        blocks=tuple(blocks),
        resolution=32,
        stem=Stem(32, 3, 1, "relu"),
        head=Head(1280, "relu", 0, 0.0),
        num_classes=10,
        name=f"nbm-{key}",
    )


@register_family
class NasBenchMacroSpace(SearchSpace):
    family = "nasbench-macro"

    def __init__(self, spec: dict[str, Any], r: Reader):
        r.keys(spec, "", ["name", "family"], ["description"])
        params = [Param(f"l{i}", ("0", "1", "2")) for i in range(8)]
        super().__init__(spec["name"], spec.get("description", ""), params)

    def _decode(self, p: dict[str, Any]) -> ArchConfig:
        return nasbench_macro_config(self.key(p))

    @staticmethod
    def key(params: Mapping[str, Any]) -> str:
        return "".join(str(params[f"l{i}"]) for i in range(8))

    @staticmethod
    def params_of(key: str) -> dict[str, str]:
        return {f"l{i}": c for i, c in enumerate(key)}

    @staticmethod
    def canonical_key(key: str) -> str:
        """Identity layers inside a stage are interchangeable: move them to the end of the stage."""
        out, i = [], 0
        for depth in NBM_STAGES:
            first, rest = key[i], key[i + 1 : i + depth]
            ops = [c for c in rest if c != "0"]
            out.append(first + "".join(ops) + "0" * (len(rest) - len(ops)))
            i += depth
        return "".join(out)
