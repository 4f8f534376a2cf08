"""Proxy scoring: zero-cost proxies, their rank ensemble, short proxy training and datasets.

The public interface the search engine calls: `list_proxies`, `get_proxy`, `score_config`,
`train_config`, `load_dataset`."""

from archsearch.proxies import activation, cost_proxies, gradient  # noqa: F401  (register the proxies)
from archsearch.proxies.base import ProxyError, ScoreFailed, UnknownProxyError, ZeroCostProxy, get_proxy, list_proxies
from archsearch.proxies.datasets import Dataset, DatasetError, load_dataset
from archsearch.proxies.scoring import score_config

__all__ = [
    "Dataset",
    "DatasetError",
    "ProxyError",
    "ScoreFailed",
    "UnknownProxyError",
    "ZeroCostProxy",
    "get_proxy",
    "list_proxies",
    "load_dataset",
    "score_config",
]
