"""Run directories in exactly the format `archsearch run` writes (through the run model, `archsearch.runs`), with real
sampled configs and analytic costs but made-up latency and scores, so the reports can be tested and
benchmarked without the hardware and proxy stages (and in milliseconds).

By default a run of the accuracy-estimator era: run.json names the score's estimator, label, unit and
validation figures; every in-limit network has a predicted top-1 with its uncertainty, about 1 in 8
lies outside the estimator's domain (scored, infeasible); finalists carry their best no-slower baseline
and margin from `search.compare`. `legacy=True` writes a run from before: a proxy score, run.json with
`proxies` and no `score_label`, and the tables without the estimator's columns."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

from archsearch.baselines import all_baselines
from archsearch.cost import cost
from archsearch.pareto import pareto_mask
from archsearch.runs import RunDir, TrialRecord, columns, write_rows
from archsearch.search.compare import compare
from archsearch.spaces import load_space

PROXIES = ("ensemble", "synflow")
LABEL = "predicted ImageNet top-1 (%)"
# the estimator's validation figures as run.json records them (made up: the page must show these)
FIGURES = {
    "anb_holdout": {"n": 822, "kendall": 0.8765, "spearman": 0.97, "mae": 0.432, "top10_regret": 0.0},
    "anb_holdout_full_scale_kendall": 0.7654,
    "leave_one_family_out": {
        "mobilenet_v1": {"n": 16, "kendall": 0.9012, "spearman": 0.98, "mae": 3.987, "top10_regret": 0.0},
        "rexnet": {"n": 6, "kendall": 0.8667, "spearman": 0.94, "mae": 2.345, "top10_regret": 0.0},
    },
    "full_training_fit": {"n": 44, "kendall": 0.95, "spearman": 0.99, "mae": 1.234, "top10_regret": 0.0},
    "published": {},
}  # fmt: skip
# storage columns a run written before the accuracy estimators lacks
NEW_COLUMNS = ("score_uncertainty", "extrapolates", "extrapolation", "baseline", "margin")
WHY = "kernel16=5.8>5,first_kernel16=7>5,act_hswish=0.25>0"


def _record(
    cfg, rng: random.Random, budget: int, latency_limit: float, scale: float, legacy: bool
) -> dict[str, Any]:
    c = cost(cfg)
    latency = scale * c.macs / 1e6 * 0.22 * (1 + 0.15 * rng.random()) + 2.0
    cons = [c.macs / budget - 1.0, latency / latency_limit - 1.0]
    rec = {"config_id": cfg.id, "config_json": cfg.to_json(), "macs": c.macs, "params": c.params,
           "peak_bytes": c.peak_bytes, "latency_ms": round(latency, 4), "violation": max([0.0, *cons])}  # fmt: skip
    if rec["violation"] == 0.0 and legacy:
        score = math.log(c.params) + 0.8 * math.log(c.macs) + rng.gauss(0, 0.3)
        rec.update(score=round(score, 5), proxy_ensemble=round(score, 5), proxy_synflow=round(score * 3.1, 4))
    elif rec["violation"] == 0.0:  # roughly MobileNetV2's published top-1 against its MACs, plus noise
        score = 45 + 16 * math.log10(c.macs / 6e6) + 2 * math.log10(c.params / 2e6) + rng.gauss(0, 1.0)
        out = rng.random() < 1 / 8
        rec.update(score=round(score, 4), score_uncertainty=round(2.9 + 0.2 * rng.random(), 3), extrapolates=out,
                   extrapolation=WHY if out else "", violation=0.3 if out else 0.0)  # fmt: skip
    rec["feasible"] = rec["violation"] == 0.0
    return rec


def write_fake_run(
    out: Path, name: str, trials: int = 40, space: str = "mbv2", profile: str = "pixel", seed: int = 0,
    budget: int = 300_000_000, latency_limit: float = 60.0, finalists: int = 2, scale: float = 1.0,
    config_patch: dict[str, Any] | None = None, study: bool = False, legacy: bool = False,
) -> RunDir:  # fmt: skip
    """A finished run of `trials` trials (about 1 in 15 failed) plus its scored baselines."""
    rng = random.Random(seed)
    sp = load_space(space)
    run_id = RunDir.new_id(name, sp.name, profile)
    meta = {
        "id": run_id, "name": name, "command": f"archsearch run --space {space} --hw {profile} --trials {trials}",
        "created": f"2026-11-23T05:{seed % 60:02d}:00+0000", "seed": seed, "space": sp.name, "space_digest": "0" * 16,
        "profile": profile, "profile_digest": None, "budget_macs": budget, "latency_limit_ms": latency_limit,
        "params_limit": None, "objectives": ["score", "latency"], "proxies": list(PROXIES) if legacy else [],
        "storage": None, "options": {"trials": trials, "baselines": True},
        "versions": {"archsearch": "0.1.0"},
    }  # fmt: skip
    if not legacy:
        meta.update(score="imagenet", score_label=LABEL, score_unit="top1", score_figures=FIGURES)
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
        rec = _record(cfg, rng, budget, latency_limit, scale, legacy)
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
    chosen = sorted(front, key=lambda r: r["latency_ms"])[:: max(1, len(front) // max(finalists, 1))][
        :finalists
    ]
    for r in chosen:
        r.update(finalist=True, trained_top1=round(30 + 10 * rng.random(), 2), seconds_train=12.5)
    proxies = PROXIES if legacy else ()
    base = []
    for b in all_baselines():
        if cost(b.config).macs > budget:
            continue
        rec = _record(b.config, rng, budget, latency_limit, scale, legacy)
        if rec.get("extrapolates"):  # the engine scores baselines whatever their domain
            rec.update(feasible=True, violation=0.0)
        base.append({"name": b.name, "family": b.family, "published_top1": b.top1, "state": "COMPLETE",
                     "stage": "done", **rec})  # fmt: skip
    for r in [r for r in base if r.get("feasible")][:2]:
        r.update(finalist=True, trained_top1=round(35 + 10 * rng.random(), 2))
    if not legacy:  # each finalist against its best no-slower baseline, as the engine writes it
        for r, c in zip(
            chosen, compare([r | {"name": f"trial {r['number']}"} for r in chosen], base), strict=True
        ):
            r.update(baseline=c.baseline, margin=None if c.margin is None else round(c.margin, 4))
    if legacy:  # the tables as written before: no estimator columns, `name` repeated in baselines.csv
        cols = [c for c in columns(proxies) if c not in NEW_COLUMNS]
        write_rows(run.trials_csv, [TrialRecord.of(r) for r in rows], cols)
        write_rows(
            run.baselines_csv,
            [TrialRecord.of(r) for r in base],
            ["name", "family", "published_top1", "stage", *cols],
        )
    else:
        run.write_trials([TrialRecord.of(r) for r in rows], proxies)
        run.write_baselines([TrialRecord.of(r) for r in base], proxies)
    if study:
        _write_study(run, rows, {p.name: list(p.choices) for p in sp.params})
    return run


def _write_study(run: RunDir, rows: list[dict[str, Any]], choices: dict[str, list]) -> None:
    """The Optuna storage the engine would have written (study named after the run id)."""
    from optuna.distributions import CategoricalDistribution
    from optuna.trial import TrialState, create_trial

    from archsearch.search.study_storage import open_study

    study = open_study(run.storage_url(None), run.id, ["maximize", "minimize"])
    for r in rows:
        params = json.loads(r["params_json"])
        dists = {k: CategoricalDistribution(choices[k]) for k in params}
        done = r["state"] == "COMPLETE"
        values = [r.get("score") if r.get("score") is not None else -1e12, r["latency_ms"]] if done else None
        study.add_trial(create_trial(state=TrialState.COMPLETE if done else TrialState.FAIL, values=values,
                                     params=params, distributions=dists))  # fmt: skip
