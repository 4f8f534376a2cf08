"""A tiny learned estimator and a small Accel-NASBench CSV, so the accuracy tests need neither the shipped
estimator files nor ../shared (fitted in well under a second; its figures mean nothing)."""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from archsearch.accuracy.features import feature_matrix
from archsearch.accuracy.learned import LearnedEstimator
from archsearch.accuracy.training_data import full_training_rows
from archsearch.arch import ArchConfig
from archsearch.cost import cost
from archsearch.spaces import ANB_STAGES, anb_config

ANB_COLUMNS = (
    "arch_id",
    "split",
    "expand",
    "kernel",
    "layers",
    "se",
    "val_top1",
    "val_top5",
    "macs_m",
    "params_m",
)
ANB_CHOICES = {"expand": (1, 4, 6), "kernel": (3, 5), "layers": (1, 2, 3), "se": (0, 1)}


def anb_choices(rng: random.Random) -> dict[str, tuple[int, ...]]:
    return {k: tuple(rng.choice(v) for _ in ANB_STAGES) for k, v in ANB_CHOICES.items()}


def fake_top1(cfg: ArchConfig) -> float:
    """A made-up 'proxy-trained' top-1 that grows with size and kernel, ~10 points below full training."""
    c = cost(cfg)
    return 10 + 3.0 * np.log(c.macs / 1e6) + 0.3 * sum(b.k for b in cfg.blocks) / len(cfg.blocks)


def anb_sample(n: int, seed: int = 0) -> list[tuple[dict[str, tuple[int, ...]], ArchConfig]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        ch = anb_choices(rng)
        out.append((ch, anb_config(**ch, name=f"anb-{i}")))
    return out


def tiny_learned(name: str = "tiny", anb_rows: int = 60) -> LearnedEstimator:
    """Fitted like `imagenet` (full-training grids + 'anb' rows), with 2 members of 20 rounds."""
    full = full_training_rows()
    anb = [cfg for _, cfg in anb_sample(anb_rows)]
    configs = full.configs + anb
    y = np.array(full.targets + [fake_top1(c) for c in anb])
    src = np.array(full.sources + ["anb"] * len(anb))
    est = LearnedEstimator(name, "a tiny test estimator", members=2, rounds=20, target="test top-1 (%)")
    est.fit_matrix(feature_matrix(configs), y, src)
    est.noise = 1.0
    est.meta = {
        "provenance": {
            "data": "tests/accuracy_helpers.py",
            "rows": {"full": len(full.configs), "anb": len(anb)},
        },
        "validation": {
            "anb_holdout": {"n": 10, "kendall": 0.5, "mae": 1.5, "top10_regret": 0.1},
            "full_training_fit": {"n": 46, "kendall": 0.9, "mae": 0.5},
        },
    }
    return est


def write_anb_csv(path: Path, n: int = 12, seed: int = 1, split: str = "holdout") -> Path:
    """`n` rows in the shared file's format (its required columns and val_top5)."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(ANB_COLUMNS)
        for i, (ch, cfg) in enumerate(anb_sample(n, seed)):
            c = cost(cfg)
            top1 = fake_top1(cfg)
            stages = [" ".join(map(str, ch[k])) for k in ("expand", "kernel", "layers", "se")]
            w.writerow([i, split, *stages, f"{top1:.3f}", f"{top1 + 20:.3f}", c.macs / 1e6, c.params / 1e6])
    return path


def small_configs() -> list[ArchConfig]:
    """Five tiny CIFAR-size networks that differ in width, kernel and activation (cheap for every proxy)."""
    from dataclasses import replace

    from tests.proxies_helpers import tiny_config

    base = tiny_config()
    wide = base.with_width(1.5).with_(name="tiny-wide")
    k5 = base.with_(
        blocks=tuple(replace(b, k=5) if b.kind == "ir" else b for b in base.blocks), name="tiny-k5"
    )
    silu = base.with_(
        blocks=tuple(replace(b, act="silu") if b.kind == "ir" else b for b in base.blocks), name="tiny-silu"
    )
    deep = base.with_(
        blocks=(*base.blocks[:2], replace(base.blocks[1], k=5), *base.blocks[2:]), name="tiny-deep"
    )
    return [base, wide, k5, silu, deep]


@pytest.fixture(scope="module")
def fast_proxies() -> Iterator[None]:
    """One torch thread (tiny networks run 10x slower on 2 threads of a busy 2-core machine), and the
    dataset's channel statistics, which every proxy call recomputes (0.5 s on synthetic data), computed
    once per dataset. The scores are the same."""
    import torch

    from archsearch.proxies import scoring

    original, memo, threads = scoring.channel_stats, {}, torch.get_num_threads()

    def cached(data: object) -> tuple:
        if id(data) not in memo:
            memo[id(data)] = original(data)
        return memo[id(data)]

    torch.set_num_threads(1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(scoring, "channel_stats", cached)
        yield
    torch.set_num_threads(threads)
