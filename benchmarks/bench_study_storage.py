"""What writing one finished trial to the run's Optuna storage costs (ms per trial), per storage.

The engine samples on an in-memory study and writes every finished trial (39 parameters of `mbv2`, its
values and its evaluation record) to the run's storage in `add_trial`; this times that write alone for
a run folder's journal file and for an RDB URL (SQLite in WAL mode), both opened the way a run opens
them (`archsearch.search.study_storage.open_study`).

Usage: python benchmarks/bench_study_storage.py [--trials 200]"""

from __future__ import annotations

import argparse
import platform
import random
import tempfile
import time
from pathlib import Path

import optuna

from archsearch.search.study_storage import open_study
from archsearch.spaces import load_space


def finished_trials(n: int) -> list[optuna.trial.FrozenTrial]:
    """n finished mbv2 trials as the engine's in-memory study holds them (params, two values, a record)."""
    space, memory, rng = (
        load_space("mbv2"),
        optuna.create_study(directions=["maximize", "minimize"]),
        random.Random(0),
    )
    for _ in range(n):
        trial = memory.ask()
        cfg = space.sample(trial)
        trial.set_user_attr(
            "record", {"config_id": cfg.id, "config_json": cfg.to_json(), "macs": 1, "score": 1.0}
        )
        memory.tell(trial, [rng.random(), rng.random()])
    return memory.get_trials(deepcopy=False)


def per_trial_ms(study: optuna.Study, trials: list[optuna.trial.FrozenTrial]) -> float:
    t0 = time.perf_counter()
    for t in trials:
        study.add_trial(t)
    return (time.perf_counter() - t0) / len(trials) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--trials", type=int, default=200)
    args = ap.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    trials = finished_trials(args.trials)
    directions = ["maximize", "minimize"]
    print(f"machine: {platform.machine()}, python {platform.python_version()}, optuna {optuna.__version__}; "
          f"{args.trials} mbv2 trials ({len(trials[0].params)} parameters)")  # fmt: skip
    with tempfile.TemporaryDirectory() as d:
        journal = open_study(str(Path(d) / "study.log"), "run", directions)
        print(f"run folder (JournalStorage file): {per_trial_ms(journal, trials):6.2f} ms/trial")
        rdb = open_study(f"sqlite:///{Path(d) / 'study.db'}", "run", directions)
        print(f"--storage URL (RDBStorage, SQLite WAL): {per_trial_ms(rdb, trials):6.2f} ms/trial")


if __name__ == "__main__":
    main()
