"""Optuna's samplers, told the search space up front, and seeded per trial.

The engine makes a fresh sampler for every trial, seeded with (seed, trial number), so a resumed run
samples exactly what an uninterrupted one would. A fresh Optuna TPE or NSGA-II sampler re-derives the
relative search space on every ask by intersecting the distributions of every finished trial (an
`IntersectionSearchSpace` whose cache lives in the sampler): ~80% of their time per trial at 200 trials
of `mbv2`'s 39 parameters. Every archsearch trial suggests the same parameters, so the intersection is
simply the space once a trial has completed; `KnownSpace` returns that, the same dict Optuna would
compute (`tests/test_search_units.py` checks the draws are identical)."""

from __future__ import annotations

from typing import Any

import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution
from optuna.study import Study
from optuna.trial import FrozenTrial, TrialState

from archsearch.spaces import SearchSpace

SAMPLERS = ("nsga2", "tpe", "random")


class KnownSpace:
    """Mixin for a sampler: the relative search space is the given space (after the first completed
    trial, as Optuna's intersection would be), not recomputed from the study's history."""

    def __init__(self, space: dict[str, BaseDistribution], **kwargs: Any):
        super().__init__(**kwargs)
        self._known = {n: d for n, d in sorted(space.items()) if not d.single()}

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        return dict(self._known) if complete else {}


class KnownSpaceTPESampler(KnownSpace, optuna.samplers.TPESampler):
    pass


class KnownSpaceNSGAIISampler(KnownSpace, optuna.samplers.NSGAIISampler):
    pass


def distributions(space: SearchSpace) -> dict[str, BaseDistribution]:
    """The Optuna distribution of every parameter the space suggests."""
    return {p.name: CategoricalDistribution(list(p.choices)) for p in space.free_params}


def make_sampler(name: str, seed: int, population: int, space: SearchSpace) -> optuna.samplers.BaseSampler:
    """Optuna's samplers; limits reach them through `Trial.set_constraint` (constrained NSGA-II / TPE)."""
    if name == "nsga2":
        return KnownSpaceNSGAIISampler(distributions(space), population_size=population, seed=seed)
    if name == "tpe":
        return KnownSpaceTPESampler(distributions(space), seed=seed, multivariate=True)
    return optuna.samplers.RandomSampler(seed=seed)


def trial_seed(seed: int, k: int) -> int:
    return (seed * 1_000_003 + k * 7_919) % (2**31 - 1)
