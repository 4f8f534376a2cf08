"""What one evaluation does, at each fidelity. Runs in the driver or in a Ray worker, so everything it
needs travels in a small picklable `EvalContext` and heavy objects are cached per process.

Cheap stage (every trial): analytic cost, predicted latency, feasibility against the limits (before any
torch module is built), then zero-cost proxies for feasible configs. Finalist stage: short training.
With a task (detection, segmentation) the searched config is the backbone: cost, latency and the limits
apply to the whole network (`whole`), the score to the backbone (its predicted ImageNet top-1)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from archsearch.accuracy.base import AccuracyEstimator, ProxySettings
from archsearch.accuracy.members import dataset
from archsearch.arch import ArchConfig
from archsearch.cost import Cost
from archsearch.tasks import TaskNet, network
from archsearch.tasks.lowering import network_cost, network_ms

# objective name -> (direction, how to read it from a record)
OBJECTIVES = {
    "score": "maximize",
    "latency": "minimize",
    "macs": "minimize",
    "params": "minimize",
    "memory": "minimize",
}
RECORD_KEY = {
    "score": "score",
    "latency": "latency_ms",
    "macs": "macs",
    "params": "params",
    "memory": "peak_bytes",
}
INFEASIBLE_SCORE = -1e12  # told to Optuna for configs that fail a limit (they are never scored or shown)


@dataclass(frozen=True)
class EvalContext:
    space: str
    hw: str
    score: str  # the accuracy estimator behind the score objective
    proxies: tuple[str, ...]  # per-network proxy values recorded beside the score
    data: str | None
    seed: int
    proxy_resolution: int | None = None
    proxy_batch: int = 32
    budget_macs: int | None = None
    latency_ms: float | None = None
    params_limit: int | None = None
    train_seconds: float = 60.0
    train_steps: int | None = None
    train_width: float = 0.25
    train_threads: int | None = None
    train_resolution: int = 32
    objectives: tuple[str, ...] = ("score", "latency")
    weights_dir: str | None = None
    allow_extrapolation: bool = False
    task: str = "classification"  # the whole network costed and timed: the backbone plus this task's head
    score_state: str = field(default="", compare=False, hash=False)  # a fitted population estimator (JSON)

    @property
    def settings(self) -> ProxySettings:
        return ProxySettings(self.data, self.proxy_resolution, self.proxy_batch, self.seed)


@lru_cache(maxsize=8)
def _profile(name: str) -> Any:
    from archsearch.hardware import load_profile

    return load_profile(name)


@lru_cache(maxsize=4)
def _estimator(name: str, settings: ProxySettings, state: str) -> AccuracyEstimator:
    from archsearch.accuracy.base import get_estimator
    from archsearch.accuracy.members import estimator_from_state

    return estimator_from_state(state, settings) if state else get_estimator(name, settings)


def estimator(ctx: EvalContext) -> AccuracyEstimator:
    """The run's score estimator, built once per process (workers rebuild it from the context)."""
    return _estimator(ctx.score, ctx.settings, ctx.score_state)


def whole(ctx: EvalContext, cfg: ArchConfig) -> ArchConfig | TaskNet:
    """The network the run's limits and latency apply to: `cfg` itself, or its task form."""
    return network(cfg, ctx.task)


def violations(ctx: EvalContext, rec: dict[str, Any]) -> dict[str, float]:
    """Optuna constraint values (<= 0 is feasible), relative to each limit so they are comparable."""
    out = {}
    if ctx.budget_macs:
        out["macs"] = rec["macs"] / ctx.budget_macs - 1.0
    if ctx.latency_ms:
        out["latency"] = rec["latency_ms"] / ctx.latency_ms - 1.0
    if ctx.params_limit:
        out["params"] = rec["params"] / ctx.params_limit - 1.0
    return out


def screen(ctx: EvalContext, cfg: ArchConfig, c: Cost) -> dict[str, Any]:
    """Cost `c` and latency of the whole network, feasibility against the limits: no torch module is built."""
    rec: dict[str, Any] = {
        "config_id": cfg.id,
        "config_json": cfg.to_json(),
        "macs": c.macs,
        "params": c.params,
        "peak_bytes": c.peak_bytes,
        "latency_ms": network_ms(_profile(ctx.hw), whole(ctx, cfg)),
    }
    rec["constraints"] = {**violations(ctx, rec), "domain": 0.0}
    return rec


def evaluate_cheap(ctx: EvalContext, cfg: ArchConfig) -> dict[str, Any]:
    """The cheap stage of one trial: screen; within the limits, the score (and its domain: by default a
    config outside the estimator's fitted ranges is infeasible, like one over budget) and extra proxies."""
    t0 = time.perf_counter()
    c = network_cost(whole(ctx, cfg))
    rec = screen(ctx, cfg, c)
    rec["score"] = None
    if max(rec["constraints"].values()) == 0.0:
        pred = estimator(ctx).predict([cfg])
        score = pred.value[0]
        rec["score"] = None if math.isnan(score) else float(score)
        rec["score_uncertainty"] = None if math.isnan(pred.uncertainty[0]) else float(pred.uncertainty[0])
        rec["extrapolates"] = bool(pred.extrapolates[0])
        rec["extrapolation"] = pred.why[0]
        if rec["extrapolates"] and not ctx.allow_extrapolation:
            rec["constraints"]["domain"] = float(pred.distance[0])
        values = dict(pred.details[0]) if pred.details else {}
        extra = [p for p in ctx.proxies if p not in values]
        if extra and rec["score"] is not None:
            from archsearch.accuracy.members import proxy_values

            values.update(proxy_values(cfg, extra, ctx.settings))
        rec.update({f"proxy_{k}": v for k, v in values.items()})
        if rec["score"] is None:
            raise ValueError(f"score {ctx.score} failed (non-finite value)")
    rec["violation"] = max([0.0, *rec["constraints"].values()])
    rec["feasible"] = rec["violation"] == 0.0
    rec["seconds_cheap"] = round(time.perf_counter() - t0, 4)
    return rec


def objective_values(ctx: EvalContext, rec: dict[str, Any]) -> list[float]:
    """The values told to Optuna, in the order of `ctx.objectives`."""
    vals = []
    for name in ctx.objectives:
        v = rec.get(RECORD_KEY[name])
        if name == "score" and v is None:
            v = INFEASIBLE_SCORE
        vals.append(float(v))
    return vals


def evaluate_training(ctx: EvalContext, cfg: ArchConfig) -> dict[str, Any]:
    """The finalist stage: short proxy training with the run's recipe; weights saved for export."""
    from archsearch.proxies import train_config

    t0 = time.perf_counter()
    budget = {"steps": ctx.train_steps} if ctx.train_steps else {"seconds": ctx.train_seconds}
    res = train_config(
        cfg,
        dataset(ctx.data),
        resolution=ctx.train_resolution,
        seed=ctx.seed,
        progress=False,
        threads=ctx.train_threads,
        width=ctx.train_width,
        **budget,
    )

    rec = {
        "trained_top1": float(res.top1),
        "train_curve": [list(p) for p in res.curve],
        "seconds_train": round(time.perf_counter() - t0, 2),
    }
    state = getattr(res, "state_dict", None)
    if ctx.weights_dir and state is not None:
        save_weights(ctx.weights_dir, cfg, dataset(ctx.data), state)
    return rec


def save_weights(folder: str, cfg: ArchConfig, data: Any, state: dict[str, Any]) -> None:
    """`<config id>.pt` and, beside it, `<config id>.json`: the network as trained (the dataset's classes and
    channels), which is what the weights load into; exports read it from there."""
    import os

    import torch

    trained = cfg.with_(num_classes=data.num_classes, in_chans=data.x_train.shape[-1])
    os.makedirs(folder, exist_ok=True)
    base = os.path.join(folder, cfg.id)
    torch.save(state, base + ".pt.tmp")
    with open(base + ".json.tmp", "w") as f:
        f.write(trained.to_json(indent=2))
    os.replace(base + ".json.tmp", base + ".json")
    os.replace(base + ".pt.tmp", base + ".pt")


def cheap_task(args: tuple[EvalContext, str]) -> dict[str, Any]:
    ctx, cfg_json = args
    return evaluate_cheap(ctx, ArchConfig.from_json(cfg_json))


def train_task(args: tuple[EvalContext, str]) -> dict[str, Any]:
    ctx, cfg_json = args
    return evaluate_training(ctx, ArchConfig.from_json(cfg_json))
