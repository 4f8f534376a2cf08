"""Score a config with named proxies on a dataset: the entry point the search engine calls.

The config is adapted to the dataset (classes, channels) and to the proxy resolution; images are
resized once, normalised with the training split's per-channel statistics, and drawn by a seeded
permutation so a (dataset, batch, seed) triple always gives the same minibatch."""

from __future__ import annotations

import math
import time

import numpy as np
import torch
from torch.nn import functional as F

from archsearch.arch import ArchConfig
from archsearch.proxies.base import Probe, ProxyError, ScoreFailed, get_proxy
from archsearch.proxies.datasets import Dataset, load_dataset
from archsearch.proxies.ensemble import RankEnsemble

MIN_RESOLUTION = 32  # ArchConfig's own floor


def min_resolution(cfg: ArchConfig) -> int:
    """Smallest input side at which every stride-2 layer still halves a map of at least 2 pixels."""
    strides = [cfg.stem.stride] + [b.stride for b in cfg.blocks]
    return max(MIN_RESOLUTION, math.prod(strides))


def adapt(cfg: ArchConfig, data: Dataset, resolution: int) -> ArchConfig:
    """`cfg` for `data`'s classes and channels at `resolution`; a one-line error below the minimum."""
    if resolution < min_resolution(cfg):
        raise ProxyError(
            f"resolution {resolution} too small for {cfg.name or cfg.id}: minimum {min_resolution(cfg)}"
        )
    return cfg.with_(num_classes=data.num_classes, in_chans=data.x_train.shape[-1], resolution=resolution)


def as_tensor(x: np.ndarray, resolution: int, mean: np.ndarray, std: np.ndarray) -> torch.Tensor:
    """uint8 NHWC -> normalised float NCHW at `resolution` (bilinear resize when the side differs)."""
    t = torch.from_numpy(np.ascontiguousarray(x)).permute(0, 3, 1, 2).float().div_(255)
    t = (t - torch.from_numpy(mean)[None, :, None, None]) / torch.from_numpy(std)[None, :, None, None]
    if t.shape[-1] != resolution:
        t = F.interpolate(
            t, size=(resolution, resolution), mode="bilinear", align_corners=False, antialias=True
        )
    return t.contiguous()


def channel_stats(data: Dataset) -> tuple[np.ndarray, np.ndarray]:
    x = data.x_train.reshape(-1, data.x_train.shape[-1]).astype(np.float32) / 255
    return x.mean(0), np.maximum(x.std(0), 1e-3)


def make_batch(
    data: Dataset, resolution: int = 32, batch: int = 64, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """A seeded minibatch of training images (normalised, at `resolution`) and their labels."""
    if batch < 2:
        raise ProxyError(f"proxy batch {batch} too small; allowed: >= 2")
    idx = np.random.default_rng(seed).permutation(len(data.x_train))[:batch]
    mean, std = channel_stats(data)
    return as_tensor(data.x_train[idx], resolution, mean, std), torch.from_numpy(data.y_train[idx])


def resolve(data: Dataset | str | None) -> Dataset:
    return data if isinstance(data, Dataset) else load_dataset(data)


def expand(proxy_names: list[str]) -> list[str]:
    """The per-network proxies to compute: `ensemble` stands for its members (unknown names fail here)."""
    out: list[str] = []
    for n in proxy_names:
        p = get_proxy(n)
        for m in p.members if isinstance(p, RankEnsemble) else (n,):
            if m not in out:
                out.append(m)
    return out


def score_batch(cfg: ArchConfig, proxy_names: list[str], images: torch.Tensor, labels: torch.Tensor, seed: int = 0,
                timings: dict[str, float] | None = None) -> dict[str, float | None]:  # fmt: skip
    """Scores of an already adapted `cfg` on a prepared batch, sharing passes between proxies. `timings`,
    when given, receives each proxy's seconds (a shared pass is charged to the first proxy needing it)."""
    probe = Probe(cfg, images, labels, seed)
    out: dict[str, float | None] = {}
    for name in expand(proxy_names):
        t = time.perf_counter()
        try:
            out[name] = get_proxy(name).score(probe)
        except ScoreFailed:
            out[name] = None
        if timings is not None:
            timings[name] = time.perf_counter() - t
    return out


def score_config(cfg: ArchConfig, proxy_names: list[str], data: Dataset | str | None = None, resolution: int = 32,
                 batch: int = 64, seed: int = 0) -> dict[str, float | None]:  # fmt: skip
    """{proxy: score} of `cfg` (None where the proxy produced NaN/inf) on a seeded minibatch of `data`.

    `ensemble` gives its members' scores; rank them over the population with `RankEnsemble.combine`."""
    expand(proxy_names)  # unknown names fail before any work
    data = resolve(data)
    cfg = adapt(cfg, data, resolution)
    images, labels = make_batch(data, resolution, batch, seed)
    return score_batch(cfg, proxy_names, images, labels, seed)
