"""Run directories in exactly the format `archsearch run` writes (storage.py, engine.py), with real
sampled configs and analytic costs but made-up latency and scores, so the reports can be tested and
benchmarked without the hardware and proxy stages (and in milliseconds)."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

from archsearch.baselines import all_baselines
from archsearch.cost import cost
from archsearch.pareto import pareto_mask
from archsearch.search.storage import RunDir, columns
from archsearch.spaces import load_space

PROXIES = ("ensemble", "synflow")


def _record(cfg, rng: random.Random, budget: int, latency_limit: float, scale: float) -> dict[str, Any]:
    c = cost(cfg)
    latency = scale * c.macs / 1e6 * 0.22 * (1 + 0.15 * rng.random()) + 2.0
    cons = [c.macs / budget - 1.0, latency / latency_limit - 1.0]
    rec = {"config_id": cfg.id, "config_json": cfg.to_json(), "macs": c.macs, "params": c.params,
           "peak_bytes": c.peak_bytes, "latency_ms": round(latency, 4), "violation": max([0.0, *cons])}  # fmt: skip
    rec["feasible"] = rec["violation"] == 0.0
    if rec["feasible"]:
        score = math.log(c.params) + 0.8 * math.log(c.macs) + rng.gauss(0, 0.3)
        rec.update(score=round(score, 5), proxy_ensemble=round(score, 5), proxy_synflow=round(score * 3.1, 4))
    return rec


def write_fake_run(
    out: Path, name: str, trials: int = 40, space: str = "mbv2", profile: str = "pixel", seed: int = 0,
    budget: int = 300_000_000, latency_limit: float = 60.0, finalists: int = 2, scale: float = 1.0,
    config_patch: dict[str, Any] | None = None, study: bool = False,
) -> RunDir:  # fmt: skip
    """A finished run of `trials` trials (about 1 in 15 failed) plus its scored baselines."""
    rng = random.Random(seed)
    sp = load_space(space)
    run_id = RunDir.new_id(name, sp.name, profile)
    meta = {
        "id": run_id, "name": name, "command": f"archsearch run --space {space} --hw {profile} --trials {trials}",
        "created": f"2026-11-23T05:{seed % 60:02d}:00+0000", "seed": seed, "space": sp.name, "space_digest": "0" * 16,
        "profile": profile, "profile_digest": None, "budget_macs": budget, "latency_limit_ms": latency_limit,
        "params_limit": None, "objectives": ["score", "latency"], "proxies": list(PROXIES),
        "storage": None, "options": {"trials": trials, "baselines": True},
        "versions": {"archsearch": "0.1.0"},
    }  # fmt: skip
    run = RunDir.create(out, run_id, meta)
    rows = []
    for k in range(trials):
        params = sp.random_params(rng)
        if rng.random() < 1 / 15:
            rows.append(
                {
                    "number": k,
                    "state": "FAIL",
                    "params_json": json.dumps(params),
                    "fail_reason": "proxy failed",
                }
            )
            continue
        cfg = sp.decode(params)
        rec = _record(cfg, rng, budget, latency_limit, scale)
        if config_patch and k == 0:
            rec["config_json"] = json.dumps({**json.loads(rec["config_json"]), **config_patch})
        rows.append(
            {"number": k, "state": "COMPLETE", "params_json": json.dumps(params, sort_keys=True), **rec}
        )
    ok = [r for r in rows if r.get("feasible")]
    mask = pareto_mask([[r["score"], r["latency_ms"]] for r in ok], ["maximize", "minimize"]) if ok else []
    front = [r for r, m in zip(ok, mask, strict=True) if m]
    for r in rows:
        r["pareto"] = r in front if r["state"] == "COMPLETE" else False
        r["finalist"] = False
    for r in sorted(front, key=lambda r: r["latency_ms"])[:: max(1, len(front) // max(finalists, 1))][
        :finalists
    ]:
        r.update(finalist=True, trained_top1=round(30 + 10 * rng.random(), 2), seconds_train=12.5)
    cols = columns(PROXIES)
    run.rewrite(run.trials_csv, rows, cols)
    base = []
    for b in all_baselines():
        if cost(b.config).macs > budget:
            continue
        rec = _record(b.config, rng, budget, latency_limit, scale)
        base.append({"name": b.name, "family": b.family, "published_top1": b.top1, "state": "COMPLETE",
                     "stage": "done", **rec})  # fmt: skip
    for r in [r for r in base if r.get("feasible")][:2]:
        r.update(finalist=True, trained_top1=round(35 + 10 * rng.random(), 2))
    run.rewrite(run.baselines_csv, base, ["name", "family", "published_top1", "stage", *cols])
    if study:
        _write_study(run, rows, {p.name: list(p.choices) for p in sp.params})
    return run


def _write_study(run: RunDir, rows: list[dict[str, Any]], choices: dict[str, list]) -> None:
    """The Optuna storage the engine would have written (study named after the run id)."""
    import optuna
    from optuna.distributions import CategoricalDistribution
    from optuna.trial import TrialState, create_trial

    study = optuna.create_study(
        storage=run.storage_url(None), study_name=run.id, directions=["maximize", "minimize"]
    )
    for r in rows:
        params = json.loads(r["params_json"])
        dists = {k: CategoricalDistribution(choices[k]) for k in params}
        done = r["state"] == "COMPLETE"
        values = [r.get("score") if r.get("score") is not None else -1e12, r["latency_ms"]] if done else None
        study.add_trial(create_trial(state=TrialState.COMPLETE if done else TrialState.FAIL, values=values,
                                     params=params, distributions=dists))  # fmt: skip
