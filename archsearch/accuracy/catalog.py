"""The built-in estimators, registered by name: the learned files in accuracy_estimators/, every proxy,
the rank ensemble and short training. The estimator registry imports this module on its first lookup
(not `members` itself, so that importing `members` for its helpers does not import every proxy and torch)."""

from archsearch.accuracy.base import register_estimator
from archsearch.accuracy.members import (
    FOLDER,
    ProxyEstimator,
    RankEnsembleEstimator,
    TrainingEstimator,
    load_learned,
)
from archsearch.proxies import list_proxies
from archsearch.resources import available

for _name in available(FOLDER, ".json"):
    register_estimator(_name, lambda _s, n=_name: load_learned(n))
for _proxy in list_proxies():
    if _proxy != RankEnsembleEstimator.name:  # the ensemble is its own member below, not a single proxy
        register_estimator(_proxy, lambda s, p=_proxy: ProxyEstimator(p, s))
register_estimator(RankEnsembleEstimator.name, RankEnsembleEstimator)
register_estimator(TrainingEstimator.name, TrainingEstimator)
