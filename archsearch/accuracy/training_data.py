"""The rows the shipped estimators are fitted on, each labelled with its source.

- `full`: full-training ImageNet top-1 of the MobileNetV1/V2 grids and the ReXNet widths (REFERENCE.md
  §1-3, as held in `archsearch.baselines`);
- `anb`: Accel-NASBench `calibration` rows (ImageNet, the authors' cheaper training recipe); its
  `holdout` rows are never fitted on, only reported;
- `nbm`: NAS-Bench-Macro (CIFAR-10), one seeded half of the distinct networks (the other half reports).
"""

from __future__ import annotations

from dataclasses import dataclass

from archsearch.arch import ArchConfig
from archsearch.baselines import BASELINE_FAMILIES, get_baseline

FULL_FAMILIES = ("mobilenet_v1", "mobilenet_v2", "rexnet")


@dataclass(frozen=True)
class Rows:
    configs: list[ArchConfig]
    targets: list[float]
    sources: list[str]
    groups: list[str]  # family (full), split (anb) or half (nbm): what validation holds out

    def __add__(self, other: Rows) -> Rows:
        return Rows(
            self.configs + other.configs,
            self.targets + other.targets,
            self.sources + other.sources,
            self.groups + other.groups,
        )

    def where(self, keep: list[bool]) -> Rows:
        pick = [i for i, k in enumerate(keep) if k]
        return Rows(
            *([col[i] for i in pick] for col in (self.configs, self.targets, self.sources, self.groups))
        )


def full_training_rows(families: tuple[str, ...] = FULL_FAMILIES) -> Rows:
    """Published full-training top-1 of the baseline grids (REFERENCE.md §1-3)."""
    configs, targets, groups = [], [], []
    for family in families:
        for (mult, res), top1 in sorted(BASELINE_FAMILIES[family][1].items()):
            configs.append(get_baseline(f"{family}-{mult}-{res}").config)
            targets.append(top1)
            groups.append(family)
    return Rows(configs, targets, ["full"] * len(configs), groups)


def anb_rows(split: str = "calibration", path: str | None = None) -> Rows:
    """Accel-NASBench rows of one split (any CSV in the shared file's format)."""
    from archsearch.accuracy.anb import load_anb

    rows = load_anb(path, split=split)
    return Rows(
        [r.config() for r in rows], [r.val_top1 for r in rows], ["anb"] * len(rows), [split] * len(rows)
    )


def imagenet_rows() -> Rows:
    """What `imagenet` is fitted on: the full-training grids and the Accel-NASBench calibration rows."""
    return full_training_rows() + anb_rows("calibration")


def nbm_rows(half: str, seed: int = 0) -> Rows:
    """One seeded half ('fit' or 'report') of the 3969 distinct NAS-Bench-Macro networks."""
    from archsearch.proxies.ensemble import split_halves
    from archsearch.proxies.evaluation import nasbench_macro_truth
    from archsearch.spaces import nasbench_macro_config

    truth = nasbench_macro_truth()
    keys = sorted(truth)
    fit, report = split_halves(len(keys), seed)
    chosen = [keys[i] for i in (fit if half == "fit" else report)]
    return Rows(
        [nasbench_macro_config(k) for k in chosen],
        [truth[k] for k in chosen],
        ["nbm"] * len(chosen),
        [half] * len(chosen),
    )
