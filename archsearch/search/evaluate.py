"""What one evaluation does, at each fidelity. Runs in the driver or in a Ray worker, so everything it
needs travels in a small picklable `EvalContext` and heavy objects are cached per process.

Cheap stage (every trial): analytic cost, predicted latency, feasibility against the limits (before any
torch module is built), then zero-cost proxies for feasible configs. Finalist stage: short training."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from archsearch.arch import ArchConfig
from archsearch.cost import cost

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
    proxy: str
    proxies: tuple[str, ...]
    data: str | None
    seed: int
    proxy_resolution: int = 32
    proxy_batch: int = 64
    budget_macs: int | None = None
    latency_ms: float | None = None
    params_limit: int | None = None
    train_seconds: float = 60.0
    train_resolution: int = 32
    objectives: tuple[str, ...] = ("score", "latency")
    weights_dir: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@lru_cache(maxsize=8)
def _profile(name: str) -> Any:
    from archsearch.hardware import load_profile

    return load_profile(name)


@lru_cache(maxsize=4)
def _dataset(spec: str | None) -> Any:
    from archsearch.proxies import load_dataset

    return load_dataset(spec)


def violations(ctx: EvalContext, rec: dict[str, Any]) -> list[float]:
    """Optuna constraint values (<= 0 is feasible), relative to each limit so they are comparable."""
    out = []
    if ctx.budget_macs:
        out.append(rec["macs"] / ctx.budget_macs - 1.0)
    if ctx.latency_ms:
        out.append(rec["latency_ms"] / ctx.latency_ms - 1.0)
    if ctx.params_limit:
        out.append(rec["params"] / ctx.params_limit - 1.0)
    return out


def screen(ctx: EvalContext, cfg: ArchConfig) -> dict[str, Any]:
    """Cost, latency and feasibility: no torch module is built."""
    c = cost(cfg)
    rec: dict[str, Any] = {
        "config_id": cfg.id,
        "config_json": cfg.to_json(),
        "macs": c.macs,
        "params": c.params,
        "peak_bytes": c.peak_bytes,
        "latency_ms": float(_profile(ctx.hw).predict(cfg)),
    }
    rec["constraints"] = violations(ctx, rec)
    rec["violation"] = max([0.0, *rec["constraints"]])
    rec["feasible"] = rec["violation"] == 0.0
    return rec


def evaluate_cheap(ctx: EvalContext, cfg: ArchConfig) -> dict[str, Any]:
    """The cheap stage of one trial: screen, then zero-cost proxies if feasible."""
    from archsearch.proxies import score_config

    t0 = time.perf_counter()
    rec = screen(ctx, cfg)
    rec["score"] = None
    if rec["feasible"]:
        scores = score_config(
            cfg,
            list(ctx.proxies),
            _dataset(ctx.data),
            resolution=ctx.proxy_resolution,
            batch=ctx.proxy_batch,
            seed=ctx.seed,
        )
        rec.update({f"proxy_{k}": v for k, v in scores.items()})
        if scores.get(ctx.proxy) is None:
            raise ValueError(f"proxy {ctx.proxy} failed (non-finite score)")
        rec["score"] = float(scores[ctx.proxy])
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
    res = train_config(
        cfg,
        _dataset(ctx.data),
        seconds=ctx.train_seconds,
        resolution=ctx.train_resolution,
        seed=ctx.seed,
        progress=False,
    )
    rec = {
        "trained_top1": float(res.top1),
        "train_curve": [list(p) for p in res.curve],
        "seconds_train": round(time.perf_counter() - t0, 2),
    }
    state = getattr(res, "state_dict", None)
    if ctx.weights_dir and state is not None:
        import os

        import torch

        os.makedirs(ctx.weights_dir, exist_ok=True)
        path = os.path.join(ctx.weights_dir, f"{cfg.id}.pt")
        torch.save(state, path + ".tmp")
        os.replace(path + ".tmp", path)
        rec["weights"] = path
    return rec


def cheap_task(args: tuple[EvalContext, str]) -> dict[str, Any]:
    ctx, cfg_json = args
    return evaluate_cheap(ctx, ArchConfig.from_json(cfg_json))


def train_task(args: tuple[EvalContext, str]) -> dict[str, Any]:
    ctx, cfg_json = args
    return evaluate_training(ctx, ArchConfig.from_json(cfg_json))
