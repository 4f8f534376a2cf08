"""`archsearch run`: end to end, reproducibility, crash safety, faults, bad input, Ray and PostgreSQL."""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archsearch.cost import macs_of
from archsearch.search import evaluate, samplers
from archsearch.search.engine import execute, resume, start
from archsearch.search.options import RunOptions
from archsearch.spaces import load_space

REPO = Path(__file__).resolve().parent.parent
# A fast configuration: NAS-Bench-Macro networks are small, synflow is one pass.
FAST = [
    "--space",
    "nasbench-macro",
    "--budget",
    "60M",
    "--hw",
    "pixel",
    "--score",
    "synflow",
    "--no-progress",
]


def rows(path: Path) -> list[dict]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def finished(run: Path) -> list[tuple]:
    """Finished trials in order, without those abandoned by an interruption (which shift the numbers)."""
    done = [r for r in rows(run / "trials.csv") if r["state"] in ("COMPLETE", "FAIL")]
    done.sort(key=lambda r: int(r["number"]))
    return [
        (r["params_json"], r["state"], r["score"], r["latency_ms"])
        for r in done
        if "interrupted" not in r["fail_reason"]
    ]


def real_images(tmp_path: Path) -> str:
    """A small image set the test makes (npz), standing for real data: short training needs --data."""
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.integers(0, 255, (64, 32, 32, 3), dtype=np.uint8)
    y = rng.integers(0, 10, 64)
    np.savez(tmp_path / "images.npz", x_train=x, y_train=y, x_test=x[:16], y_test=y[:16])
    return f"npz:{tmp_path / 'images.npz'}"


def test_card_command_small(cli, tmp_path):
    """The product card's command (small): every finalist within budget and inside the estimator's domain,
    stated against the baselines; the run folder complete; no training without real images."""
    r = cli("run", "--space", "mbv2", "--budget", "300MFLOPs", "--hw", "pixel", "--trials", "30", "--finalists", "2",
            "--out", str(tmp_path), "--name", "card", "--no-progress")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "finalists beat every no-slower baseline" in r.stdout and "were not trained" in r.stdout
    run = tmp_path / "card"
    assert {"run.json", "study.log", "trials.csv", "baselines.csv"} <= {p.name for p in run.iterdir()}
    meta = json.loads((run / "run.json").read_text())
    assert meta["budget_macs"] == 300_000_000 and meta["space"] == "mbv2" and meta["profile"] == "pixel"
    assert meta["seed"] == 0 and meta["space_digest"] and meta["versions"]["torch"].startswith("2.13")
    assert meta["score"] == "imagenet" and meta["score_unit"] == "top1" and meta["score_figures"]
    trials = rows(run / "trials.csv")
    assert len(trials) == 30 and all(t["config_json"] for t in trials if t["state"] == "COMPLETE")
    assert {t["extrapolates"] for t in trials if t["score"]} <= {"true", "false"}
    finalists = [t for t in trials if t["finalist"] == "true"]
    assert finalists and all(
        int(t["macs"]) <= 300_000_000 and t["extrapolates"] == "false" for t in finalists
    )
    assert all(t["baseline"] and t["margin"] for t in finalists) and not any(
        t["trained_top1"] for t in finalists
    )
    base = rows(run / "baselines.csv")
    assert any(b["name"] == "mobilenet_v2-1.0-192" for b in base) and all(int(b["macs"]) <= 3e8 for b in base)
    assert not any(b["name"] == "mobilenet_v2-1.0-224" for b in base)  # 300.8M: just over the budget


def test_ensemble_score_is_fitted_on_a_reference_sample(tmp_path):
    """A population estimator is fitted once on a seeded reference sample, stored and reused on resume."""
    opts = RunOptions(space="nasbench-macro", budget="200M", hw="pixel", score="ensemble", trials=3, finalists=0,
                      reference=6, baselines=False, out=str(tmp_path), name="ens")  # fmt: skip
    result = execute(start(opts, argv=[]), progress=False)
    ref = json.loads((result.run.path / "reference.json").read_text())
    assert (
        ref["name"] == "ensemble"
        and set(ref["reference"]) == set(ref["members"])
        and len(ref["configs"]) == 6
    )
    trials = rows(result.run.trials_csv)
    scored = [t for t in trials if t["score"]]
    assert scored and all(0 <= float(t["score"]) <= 1 and t[f"proxy_{ref['members'][0]}"] for t in scored)


def test_finalists_train_on_real_images(tmp_path):
    opts = RunOptions(space="nasbench-macro", budget="60M", hw="pixel", score="synflow", trials=4, finalists=1,
                      train_steps=2, baselines=False, out=str(tmp_path), name="train", data=real_images(tmp_path))  # fmt: skip
    result = execute(start(opts, argv=[]), progress=False)
    assert result.trained and result.finalists[0].trained_top1 is not None


def test_same_seed_same_trials(cli, tmp_path):
    args = [*FAST, "--trials", "8", "--finalists", "0", "--no-baselines", "--out", str(tmp_path)]
    assert cli("run", *args, "--name", "a").returncode == 0
    assert cli("run", *args, "--name", "b").returncode == 0
    assert finished(tmp_path / "a") == finished(tmp_path / "b") and len(finished(tmp_path / "a")) == 8


def test_sigkill_and_resume_lose_and_duplicate_nothing(cli, tmp_path):
    """SIGKILL at random moments (5 times), resume each time: the finished trials equal those of an
    uninterrupted run with the same seed, none lost, none duplicated."""
    args = [*FAST, "--trials", "80", "--finalists", "0", "--no-baselines", "--out", str(tmp_path)]
    assert cli("run", *args, "--name", "clean").returncode == 0
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    rng, kills = random.Random(1), 0
    start = [sys.executable, "-m", "archsearch", "run", *args, "--name", "killed"]
    again = [sys.executable, "-m", "archsearch", "run", "--resume", str(tmp_path / "killed"), "--no-progress"]
    while kills < 5:
        # a kill before the run folder exists (a slow start on a busy machine) leaves nothing to resume
        cmd = again if (tmp_path / "killed" / "run.json").exists() else start
        p = subprocess.Popen(
            cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        try:
            p.wait(timeout=rng.uniform(3.0, 6.0))
            pytest.fail(
                f"the run ended (exit {p.returncode}) before it was killed 5 times: {p.stderr.read()[-500:]}"
            )
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGKILL)
            p.wait()
            kills += 1
    cmd = again if (tmp_path / "killed" / "run.json").exists() else start
    r = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    got, want = finished(tmp_path / "killed"), finished(tmp_path / "clean")
    assert len(want) == 80 and got == want


def test_faults_are_recorded_and_the_search_goes_on(tmp_path, monkeypatch):
    real = evaluate.evaluate_cheap
    calls = {"n": 0}

    def flaky(ctx, cfg):
        calls["n"] += 1
        kind = calls["n"] % 4
        if kind == 1:
            raise RuntimeError("boom in a trial")
        if kind == 2:
            raise MemoryError
        rec = real(ctx, cfg)
        if kind == 3:
            rec["score"] = float("nan")
            raise ValueError("proxy synflow failed (non-finite score)")
        return rec

    monkeypatch.setattr(evaluate, "evaluate_cheap", flaky)
    opts = RunOptions(space="nasbench-macro", budget="60M", hw="pixel", score="synflow", trials=8, finalists=0,
                      baselines=False, out=str(tmp_path), name="faults")  # fmt: skip
    result = execute(start(opts, argv=[]), progress=False)
    trials = rows(result.run.trials_csv)
    assert len(trials) == 8
    reasons = [t["fail_reason"] for t in trials if t["state"] == "FAIL"]
    assert any("boom in a trial" in r for r in reasons)
    assert any(r.startswith("out of memory") for r in reasons)
    assert any("non-finite" in r for r in reasons)
    assert sum(t["state"] == "COMPLETE" for t in trials) == 2


def test_ctrl_c_stops_cleanly_and_resumes(tmp_path):
    args = [
        *FAST,
        "--trials",
        "30",
        "--finalists",
        "0",
        "--no-baselines",
        "--out",
        str(tmp_path),
        "--name",
        "ctrlc",
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    p = subprocess.Popen([sys.executable, "-m", "archsearch", "run", *args], cwd=REPO, env=env,
                         stderr=subprocess.PIPE, text=True)  # fmt: skip
    table = tmp_path / "ctrlc" / "trials.csv"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and (not table.exists() or len(table.read_text().splitlines()) < 3):
        time.sleep(0.2)  # interrupt a search that is really under way
    p.send_signal(signal.SIGINT)

    err = p.communicate(timeout=60)[1]
    assert p.returncode == 130 and "Traceback" not in err and "--resume" in err, err
    r = subprocess.run([sys.executable, "-m", "archsearch", "run", "--resume", str(tmp_path / "ctrlc"), "--no-progress"],
                       cwd=REPO, env=env, capture_output=True, text=True)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert len(finished(tmp_path / "ctrlc")) == 30


@pytest.mark.parametrize(
    "args, expect",
    [
        (["--budget", "300MFLOP"], "invalid budget '300MFLOP'"),
        (["--budget", "-1"], "invalid budget '-1'"),
        (["--budget", "abc"], "invalid budget 'abc'"),
        (
            ["--budget", "1M"],
            f"below the smallest network of space mbv2: {load_space('mbv2').smallest(macs_of)[1]:,} MACs",
        ),
        (["--space", "nope"], "unknown space 'nope'; available:"),
        (["--hw", "nope"], "unknown"),
        (["--sampler", "cmaes"], "unknown sampler 'cmaes'; available: nsga2, tpe, random"),
        (["--storage", "postgresql://nobody@127.0.0.1:1/none"], "cannot use storage"),
        (["--resume", "no-such-run"], "no run 'no-such-run'"),
        (["--score", "nope"], "unknown accuracy estimator 'nope'"),
        (
            ["--space", "nasbench-macro", "--budget", "60M"],
            "score imagenet cannot score space nasbench-macro",
        ),
        (["--score", "cifar10"], "score cifar10 cannot score space mbv2"),
        (["--also", "nope"], "unknown proxy 'nope'"),
        (["--train-width", "2"], "--train-width 2 must be in (0, 1]"),
    ],
)
def test_bad_input(cli, tmp_path, args, expect):
    r = cli("run", "--out", str(tmp_path), "--trials", "2", "--no-progress", *args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr and expect in r.stderr, r.stderr
    assert not any(tmp_path.iterdir())  # nothing half-made


def test_ray_executor_two_workers(tmp_path):
    opts = RunOptions(space="nasbench-macro", budget="60M", hw="pixel", score="synflow", trials=6, finalists=1,
                      train_steps=2, baselines=False, out=str(tmp_path), name="ray", executor="ray", workers=2,
                      data=real_images(tmp_path))  # fmt: skip
    result = execute(start(opts, argv=[]), progress=False)
    trials = rows(result.run.trials_csv)
    assert len(trials) == 6 and all(t["state"] == "COMPLETE" for t in trials)
    assert result.finalists and result.finalists[0].trained_top1 is not None


def test_postgresql_storage_shared_and_resumable(tmp_path, pg_url):
    name = f"pg-{os.getpid()}-{int(time.time())}"
    opts = RunOptions(space="nasbench-macro", budget="60M", hw="pixel", score="synflow", trials=4, finalists=0,
                      baselines=False, out=str(tmp_path), name=name, storage=pg_url)  # fmt: skip
    execute(start(opts, argv=[]), progress=False)
    import optuna

    study = optuna.load_study(study_name=name, storage=pg_url)
    assert len(study.trials) == 4
    search = resume(name, str(tmp_path))
    search.opts.trials = 6
    execute(search, progress=False)
    assert len(optuna.load_study(study_name=name, storage=pg_url).trials) == 6
    optuna.delete_study(study_name=name, storage=pg_url)


def test_the_samplers():
    assert samplers.SAMPLERS == ("nsga2", "tpe", "random")
