"""The run's journal storage holds exactly what Optuna's own in-memory study holds, read back through Optuna,
and survives a kill in the middle of an append."""

from __future__ import annotations

import math
from pathlib import Path

import optuna
import pytest
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState, create_trial

from archsearch.runs import RunError
from archsearch.search.study_storage import open_study, storage
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


def test_journal_holds_what_was_written(tmp_path: Path) -> None:
    trials = _finished_trials()
    memory = optuna.create_study(directions=DIRECTIONS)
    journal = open_study(str(tmp_path / "study.log"), "run", DIRECTIONS)
    for t in trials:
        memory.add_trial(t)
        journal.add_trial(t)
    fresh = optuna.load_study(
        study_name="run", storage=storage(str(tmp_path / "study.log"))
    )  # another reader
    expected = [_view(t) for t in memory.get_trials()]
    assert [_view(t) for t in fresh.get_trials()] == expected
    assert [_view(t) for t in journal.get_trials()] == expected


def test_a_torn_last_entry_is_dropped_on_open(tmp_path: Path) -> None:
    """A kill mid-append leaves half an entry: reopening cuts it, so the next trial is stored intact."""
    path = tmp_path / "study.log"
    study = open_study(str(path), "run", DIRECTIONS)
    one = {"x": FloatDistribution(0, 1)}
    study.add_trial(create_trial(params={"x": 0.5}, distributions=one, values=[1.0, 2.0]))
    with path.open("ab") as f:
        f.write(b'{"op_code": 4, "study_id": 0, "datetime_st')
    reopened = open_study(str(path), "run", DIRECTIONS)
    reopened.add_trial(create_trial(params={"x": 0.25}, distributions=one, values=[3.0, 4.0]))
    fresh = optuna.load_study(study_name="run", storage=storage(str(path)))
    assert [t.params["x"] for t in fresh.get_trials()] == [0.5, 0.25]


def test_unusable_storage_is_a_run_error(tmp_path: Path) -> None:
    with pytest.raises(RunError, match="cannot use storage"):
        open_study("postgresql+psycopg://nobody@127.0.0.1:1/none", "run", DIRECTIONS)
