"""The search starts at the baselines' front: the space parameters that reproduce each baseline the space
can express (checked by decoding them back to the very same network) are enqueued as the first trials,
so the sampler begins where MobileNetV2 and ReXNet already are, not at random."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from archsearch.baselines import MBV2_ROWS, Baseline, comparison_baselines
from archsearch.spaces import SearchSpace

ParamBuilder = Callable[[Baseline], dict[str, Any]]


def _mbv2_in_stages(b: Baseline) -> dict[str, Any]:
    params: dict[str, Any] = {"resolution": b.resolution, "alpha": b.multiplier}
    for i, (t, c, n, s) in enumerate(MBV2_ROWS):
        params.update({f"s{i}.t": t, f"s{i}.c": c, f"s{i}.n": n, f"s{i}.s": s, f"s{i}.k": 3,
                       f"s{i}.se": False, f"s{i}.act": "relu6"})  # fmt: skip
    return params


def _rexnet_in_rexnet(b: Baseline) -> dict[str, Any]:
    params: dict[str, Any] = {
        "resolution": b.resolution, "width": b.multiplier, "first_channels": 16, "final_channels": 180,
        "expansion": 6, "se_reduction": 12, "act": "silu",
    }  # fmt: skip
    params.update({f"depth{i}": d for i, d in enumerate((1, 2, 2, 3, 3, 5))})
    return params


# (space family, baseline family) -> the parameters that should reproduce the baseline
BUILDERS: dict[tuple[str, str], ParamBuilder] = {
    ("stages", "mobilenet_v2"): _mbv2_in_stages,
    ("rexnet", "rexnet"): _rexnet_in_rexnet,
}


def baseline_params(
    space: SearchSpace, baselines: list[Baseline] | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """(baseline name, the space's free parameters) for every baseline the space reproduces exactly."""
    out = []
    for b in baselines if baselines is not None else comparison_baselines():
        build = BUILDERS.get((space.family, b.family))
        if build is None:
            continue
        params = build(b)
        if any(p.name not in params or params[p.name] not in p.choices for p in space.params):
            continue
        if space.decode(params).id == b.config.id:
            out.append((b.name, {p.name: params[p.name] for p in space.free_params}))
    return out
