"""Proxy scoring: zero-cost proxies, their rank ensemble, short proxy training and datasets.

The public interface the search engine calls: `list_proxies`, `get_proxy`, `score_config`,
`train_config`, `load_dataset`. Names load lazily, so importing the package's errors (as the CLI does
for every command) does not import torch."""

from __future__ import annotations

import importlib
from typing import Any

from archsearch.proxies.errors import DatasetError, ProxyError, ScoreFailed, UnknownProxyError

BENCHES = ("nasbench-macro", "accel-nasbench")  # benchmarks with trained accuracies to evaluate against

_LAZY = {
    "ZeroCostProxy": "base",
    "get_proxy": "base",
    "list_proxies": "base",
    "Dataset": "datasets",
    "load_dataset": "datasets",
    "score_config": "scoring",
    "TrainResult": "training",
    "train_config": "training",
    "train_budgets": "training",
    "RankEnsemble": "ensemble",
}

__all__ = ["BENCHES", "DatasetError", "ProxyError", "ScoreFailed", "UnknownProxyError", *_LAZY]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'archsearch.proxies' has no attribute {name!r}")
    return getattr(importlib.import_module(f"archsearch.proxies.{_LAZY[name]}"), name)
