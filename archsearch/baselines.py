"""Published baselines as `ArchConfig`s: MobileNetV2 / MobileNetV1 (alpha x resolution) and ReXNet widths.

They are built by the same decoders as the `mbv2`, `mbv1` and `rexnet` spaces, so a baseline and a
sampled candidate are measured by exactly the same code. Published ImageNet top-1 from REFERENCE.md
(TF-slim checkpoint tables for MobileNets, clovaai/rexnet README for ReXNet).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from archsearch.arch import ArchConfig, Head, Stem
from archsearch.resources import UnknownNameError
from archsearch.spaces import rexnet_config, stages_config

MBV2_ROWS = [  # t, c, n, s (Sandler et al. 2018, Table 2)
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
]
MBV1_ROWS = [(64, 1, 1), (128, 2, 2), (256, 2, 2), (512, 6, 2), (1024, 2, 2)]  # c, n, s (TF-slim _CONV_DEFS)

MBV2_ALPHAS = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)
MBV2_RESOLUTIONS = (96, 128, 160, 192, 224)
MBV1_ALPHAS = (0.25, 0.5, 0.75, 1.0)
MBV1_RESOLUTIONS = (128, 160, 192, 224)
REXNET_WIDTHS = (0.9, 1.0, 1.3, 1.5, 2.0, 3.0)

# Published ImageNet top-1 (%), keyed by (alpha or width, resolution).
MBV2_TOP1 = {
    (1.4, 224): 75.0, (1.3, 224): 74.4,
    (1.0, 224): 71.8, (1.0, 192): 70.7, (1.0, 160): 68.8, (1.0, 128): 65.3, (1.0, 96): 60.3,
    (0.75, 224): 69.8, (0.75, 192): 68.7, (0.75, 160): 66.4, (0.75, 128): 63.2, (0.75, 96): 58.8,
    (0.5, 224): 65.4, (0.5, 192): 63.9, (0.5, 160): 61.0, (0.5, 128): 57.7, (0.5, 96): 51.2,
    (0.35, 224): 60.3, (0.35, 192): 58.2, (0.35, 160): 55.7, (0.35, 128): 50.8, (0.35, 96): 45.5,
}  # fmt: skip
MBV1_TOP1 = {
    (1.0, 224): 70.9, (1.0, 192): 70.0, (1.0, 160): 68.0, (1.0, 128): 65.2,
    (0.75, 224): 68.4, (0.75, 192): 67.2, (0.75, 160): 65.3, (0.75, 128): 62.1,
    (0.5, 224): 63.3, (0.5, 192): 61.7, (0.5, 160): 59.1, (0.5, 128): 56.3,
    (0.25, 224): 49.8, (0.25, 192): 47.7, (0.25, 160): 45.5, (0.25, 128): 41.5,
}  # fmt: skip
REXNET_TOP1 = {
    (0.9, 224): 77.2,
    (1.0, 224): 77.9,
    (1.3, 224): 79.5,
    (1.5, 224): 80.3,
    (2.0, 224): 81.6,
    (3.0, 224): 82.8,
}


@dataclass(frozen=True)
class Baseline:
    name: str
    family: str
    multiplier: float
    resolution: int
    config: ArchConfig
    top1: float | None


def mobilenet_v2(alpha: float = 1.0, resolution: int = 224, num_classes: int = 1000) -> ArchConfig:
    rows = [{"t": t, "c": c, "n": n, "s": s, "k": 3, "se": False, "act": "relu6"} for t, c, n, s in MBV2_ROWS]
    return stages_config(
        rows, alpha=alpha, resolution=resolution, stem=Stem(32, 3, 2, "relu6"), head=Head(1280, "relu6", 0, 0.2),
        rule="divisible8", kind="ir", num_classes=num_classes, name=f"mobilenet_v2-{alpha}-{resolution}",
    )  # fmt: skip


def mobilenet_v1(alpha: float = 1.0, resolution: int = 224, num_classes: int = 1000) -> ArchConfig:
    rows = [{"t": 1, "c": c, "n": n, "s": s, "k": 3, "se": False, "act": "relu6"} for c, n, s in MBV1_ROWS]
    return stages_config(
        rows, alpha=alpha, resolution=resolution, stem=Stem(32, 3, 2, "relu6"), head=Head(0, "relu6", 0, 0.001),
        rule="truncate", kind="ds", num_classes=num_classes, name=f"mobilenet_v1-{alpha}-{resolution}",
    )  # fmt: skip


def rexnet(width: float = 1.0, resolution: int = 224, num_classes: int = 1000) -> ArchConfig:
    return rexnet_config(width, resolution, num_classes=num_classes, name=f"rexnet-{width}-{resolution}")


BASELINE_FAMILIES = {  # family -> (builder, published top-1 by (multiplier, resolution))
    "mobilenet_v2": (mobilenet_v2, MBV2_TOP1),
    "mobilenet_v1": (mobilenet_v1, MBV1_TOP1),
    "rexnet": (rexnet, REXNET_TOP1),
}
_NAME = re.compile(r"^(mobilenet_v2|mobilenet_v1|rexnet)-(\d+(?:\.\d+)?)-(\d+)$")


def baseline_names() -> list[str]:
    grid = [("mobilenet_v2", a, r) for a in MBV2_ALPHAS for r in MBV2_RESOLUTIONS]
    grid += [("mobilenet_v1", a, r) for a in MBV1_ALPHAS for r in MBV1_RESOLUTIONS]
    grid += [("rexnet", w, 224) for w in REXNET_WIDTHS]
    return [f"{f}-{m}-{r}" for f, m, r in grid]


def get_baseline(name: str, num_classes: int = 1000) -> Baseline:
    """A baseline by name: any listed name, or any `<family>-<multiplier>-<resolution>` that is valid."""
    m = _NAME.match(name)
    if not m:
        examples = "mobilenet_v2-1.0-224, mobilenet_v1-0.5-160, rexnet-1.3-224"
        raise UnknownNameError(
            f"unknown baseline {name!r}; names are <family>-<multiplier>-<resolution>, e.g. {examples}"
        )
    family, mult, res = m.group(1), float(m.group(2)), int(m.group(3))
    if res < 32:
        raise UnknownNameError(f"baseline {name!r}: resolution {res} too small; allowed: >= 32")
    if mult <= 0:
        raise UnknownNameError(f"baseline {name!r}: multiplier must be > 0")
    builder, top1 = BASELINE_FAMILIES[family]
    cfg = builder(mult, res, num_classes)
    return Baseline(name, family, mult, res, cfg, top1.get((mult, res)))


def all_baselines(families: tuple[str, ...] = ("mobilenet_v2", "mobilenet_v1", "rexnet")) -> list[Baseline]:
    return [get_baseline(n) for n in baseline_names() if n.split("-")[0] in families]


def comparison_baselines() -> list[Baseline]:
    """What every search is compared with: the MobileNetV2 alpha x resolution grid and the ReXNet widths
    over the same resolutions (ReXNet was published at 224 only, where even 0.9x is 348M MACs)."""
    rexnet_grid = [get_baseline(f"rexnet-{w}-{r}") for w in REXNET_WIDTHS for r in MBV2_RESOLUTIONS]
    return all_baselines(("mobilenet_v2",)) + rexnet_grid
