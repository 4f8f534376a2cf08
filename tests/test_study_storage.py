"""BulkTrialStorage writes exactly what Optuna's own `add_trial` writes, read back through Optuna."""

from __future__ import annotations

import math
from pathlib import Path

import optuna
import pytest
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState, create_trial

from archsearch.search.storage import RunError
from archsearch.search.study_storage import open_study
from archsearch.spaces import load_space

DIRECTIONS = ["maximize", "minimize"]


def _finished_trials() -> list[optuna.trial.FrozenTrial]:
    """mbv2 trials as the engine writes them: many parameters, a record, constraints, a failure."""
    space, memory, out = load_space("mbv2"), optuna.create_study(directions=DIRECTIONS), []
    for k in range(6):
        trial = memory.ask()
        space.sample(trial)
        trial.set_user_attr("record", {"macs": 1000 + k, "score": 0.5, "config_json": '{"a": [1, 2]}'})
        trial.set_constraint("macs", -1.0 + k)
        if k == 4:
            trial.set_user_attr("fail_reason", "MemoryError: out of memory")
            memory.tell(trial, state=TrialState.FAIL)
        else:
            memory.tell(trial, [float(k) if k != 2 else math.inf, -0.5 * k])
        out.append(memory.get_trials(deepcopy=False)[-1])
    dist = {"lr": FloatDistribution(1e-4, 1.0, log=True)}
    out.append(
        create_trial(
            params={"lr": 0.01}, distributions=dist, values=[1.0, 2.0], intermediate_values={3: 0.25}
        )
    )
    return out


def _view(t: optuna.trial.FrozenTrial) -> tuple:
    return (t.number, t.state, t.values, t.params, t.distributions, t.user_attrs, t.system_attrs,
            t.intermediate_values, t.datetime_start, t.datetime_complete)  # fmt: skip


def test_bulk_writes_equal_optunas_own(tmp_path: Path) -> None:
    trials = _finished_trials()
    plain = optuna.create_study(storage=f"sqlite:///{tmp_path / 'plain.db'}", directions=DIRECTIONS)
    bulk = open_study(f"sqlite:///{tmp_path / 'bulk.db'}", "run", DIRECTIONS)
    for t in trials:
        plain.add_trial(t)
        bulk.add_trial(t)
    fresh = optuna.load_study(study_name="run", storage=f"sqlite:///{tmp_path / 'bulk.db'}")  # another reader
    expected = [_view(t) for t in plain.get_trials()]
    assert [_view(t) for t in fresh.get_trials()] == expected
    assert [_view(t) for t in bulk.get_trials()] == expected


def test_incompatible_distribution_is_refused(tmp_path: Path) -> None:
    study = open_study(f"sqlite:///{tmp_path / 's.db'}", "run", DIRECTIONS)
    one = {"x": FloatDistribution(0, 1)}
    study.add_trial(create_trial(params={"x": 0.5}, distributions=one, values=[1.0, 2.0]))
    reopened = open_study(f"sqlite:///{tmp_path / 's.db'}", "run", DIRECTIONS)  # checks against the file
    bad = create_trial(params={"x": 1}, distributions={"x": optuna.distributions.IntDistribution(0, 3)},
                       values=[1.0, 2.0])  # fmt: skip
    with pytest.raises(ValueError, match="different distribution"):
        reopened.add_trial(bad)
    assert len(reopened.get_trials()) == 1


def test_unusable_storage_is_a_run_error(tmp_path: Path) -> None:
    with pytest.raises(RunError, match="cannot use storage"):
        open_study("postgresql+psycopg://nobody@127.0.0.1:1/none", "run", DIRECTIONS)
