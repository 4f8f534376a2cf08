"""Tiny networks and batches shared by the proxy tests (kept small: the suite runs on 2 cores)."""

from __future__ import annotations

import torch

from archsearch.arch import ArchConfig, Block, Head, Stem


def tiny_config(num_classes: int = 6) -> ArchConfig:
    blocks = (
        Block("ir", 8, 16, k=3, stride=2, mid=24, act="relu"),
        Block("ir", 16, 16, k=3, stride=1, mid=32, act="relu"),
        Block("skip", 16, 16),
        Block("proj", 16, 24, k=1, stride=2),
    )
    return ArchConfig(blocks, 32, Stem(8, 3, 1, "relu"), Head(32, "relu", 0, 0.0), num_classes, name="tiny")


def tiny_batch(n: int = 8, classes: int = 6, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, 32, 32, generator=g), torch.randint(0, classes, (n,), generator=g)
