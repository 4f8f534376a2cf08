"""The run's Optuna study in real Optuna storage (the run folder's SQLite file, or any RDB URL).

Optuna's `RDBStorage.add_trial` writes a finished trial with two queries per parameter (a lookup of the
trial and a distribution-compatibility query over the whole study); with the 39 parameters of `mbv2`
that was ~30 ms per trial, most of the harness's cost. `BulkTrialStorage` writes the same rows with one
bulk insert per table instead, and checks each parameter's distribution against the study once per
process. The rows are Optuna's own models, so any Optuna reader (the dashboard, `optuna-dashboard`,
`load_study`) sees the same trials; `tests/test_study_storage.py` checks that against `add_trial`."""

from __future__ import annotations

import functools
import json
import sqlite3
from typing import Any

import optuna
from optuna import distributions
from optuna.storages._rdb import models
from optuna.trial import FrozenTrial, TrialState
from sqlalchemy import orm

from archsearch.search.storage import RunError


class BulkTrialStorage(optuna.storages.RDBStorage):
    """RDBStorage that writes a finished (template) trial with one insert per table."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._checked: dict[tuple[int, str], distributions.BaseDistribution] = {}

    def _get_prepared_new_trial(
        self, study_id: int, template_trial: FrozenTrial | None, session: orm.Session
    ) -> models.TrialModel:
        if template_trial is None:  # a trial asked on this storage: Optuna's own path
            return super()._get_prepared_new_trial(study_id, template_trial, session)
        t = template_trial
        trial = models.TrialModel(
            study_id=study_id,
            number=None,
            state=TrialState.RUNNING,
            datetime_start=t.datetime_start,
            datetime_complete=t.datetime_complete,
        )
        session.add(trial)
        session.flush()
        tid = trial.trial_id
        self._check_distributions(session, study_id, t.distributions)
        value_repr = models.TrialValueModel.value_to_stored_repr
        step_repr = models.TrialIntermediateValueModel.intermediate_value_to_stored_repr
        tables: list[tuple[type, list[dict[str, Any]]]] = [
            (
                models.TrialValueModel,
                [
                    _row(tid, objective=i, **_stored("value", value_repr(v)))
                    for i, v in enumerate(t.values or [])
                ],
            ),
            (
                models.TrialParamModel,
                [
                    _row(
                        tid,
                        param_name=name,
                        param_value=t.distributions[name].to_internal_repr(value),
                        distribution_json=distributions.distribution_to_json(t.distributions[name]),
                    )  # fmt: skip
                    for name, value in t.params.items()
                ],
            ),
            (
                models.TrialUserAttributeModel,
                [_row(tid, key=k, value_json=json.dumps(v)) for k, v in t.user_attrs.items()],
            ),
            (
                models.TrialSystemAttributeModel,
                [_row(tid, key=k, value_json=json.dumps(v)) for k, v in t.system_attrs.items()],
            ),
            (
                models.TrialIntermediateValueModel,
                [
                    _row(tid, step=step, **_stored("intermediate_value", step_repr(v)))
                    for step, v in t.intermediate_values.items()
                ],
            ),
        ]
        conn = session.connection()  # Core inserts: the ORM's bulk path costs more than the rows
        for model, rows in tables:
            if rows:
                conn.execute(model.__table__.insert(), rows)
        trial.state = t.state
        trial.number = trial.count_past_trials(session)
        session.add(trial)
        return trial

    def _check_distributions(
        self, session: orm.Session, study_id: int, dists: dict[str, distributions.BaseDistribution]
    ) -> None:
        """Optuna's rule (a parameter keeps a compatible distribution across a study's trials), asked of the
        storage once per parameter name and then checked in memory."""
        for name, dist in dists.items():
            known = self._checked.get((study_id, name))
            if known is None:
                first = (
                    session.query(models.TrialParamModel)
                    .join(models.TrialModel)
                    .filter(models.TrialModel.study_id == study_id)
                    .filter(models.TrialParamModel.param_name == name)
                    .first()
                )
                known = distributions.json_to_distribution(first.distribution_json) if first else dist
                self._checked[(study_id, name)] = known
            distributions.check_distribution_compatibility(known, dist)


def _row(trial_id: int, **columns: Any) -> dict[str, Any]:
    return {"trial_id": trial_id, **columns}


def _stored(column: str, value_and_type: tuple[Any, Any]) -> dict[str, Any]:
    """Optuna's stored form of a float (inf and nan as a type tag): `column` and `column_type`."""
    value, kind = value_and_type
    return {column: value, f"{column}_type": kind}


def open_study(url: str, study_name: str, directions: list[str]) -> optuna.Study:
    """The study named `study_name` in `url` (created if new); a storage that cannot be used is a RunError."""
    try:
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        if url.startswith("sqlite:///"):
            kwargs["creator"] = functools.partial(_sqlite_connect, url.removeprefix("sqlite:///"))
        storage = BulkTrialStorage(url, engine_kwargs=kwargs)
        return optuna.create_study(
            storage=storage, study_name=study_name, directions=directions, load_if_exists=True
        )
    except Exception as e:  # sqlalchemy/driver errors: unreachable host, bad URL, missing driver
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise RunError(f"cannot use storage {url!r}: {first}") from None


def _sqlite_connect(path: str) -> sqlite3.Connection:
    """SQLite in WAL mode with synchronous=NORMAL: a commit survives the process being killed (all that
    crash safety here promises) without an fsync per transaction, which made storage dominate a trial."""
    conn = sqlite3.connect(path, timeout=60, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn
