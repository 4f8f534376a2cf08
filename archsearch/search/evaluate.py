"""What one evaluation does, at each fidelity. Runs in the driver or in a Ray worker, so everything it
needs travels in a small picklable `EvalContext` and heavy objects are cached per process.

Cheap stage (every trial): analytic cost, predicted latency, feasibility against the limits (before any
torch module is built), then zero-cost proxies for feasible configs. Finalist stage: short training."""

from __future__ import annotations

import bisect
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
    proxy_resolution: int | None = None
    proxy_batch: int = 64
    budget_macs: int | None = None
    latency_ms: float | None = None
    params_limit: int | None = None
    train_seconds: float = 60.0
    train_steps: int | None = None
    train_width: float = 1.0
    train_threads: int | None = None
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
    rec["violation"] = max([0.0, *rec["constraints"].values()])
    rec["feasible"] = rec["violation"] == 0.0
    return rec


# Proxies that count the network rather than run it: taken from the network as searched (its own
# resolution and classes), not from the proxy-sized copy, so that resolution still matters to the score.
COST_PROXIES = {"macs": "macs", "params": "params"}


def auto_proxy_resolution(cfg: ArchConfig) -> int:
    """A quarter of the network's input side (multiple of 8, at least 32): small enough to be cheap, and
    resolution still reaches the proxies (224 -> 56, 160 -> 40, 128 -> 32; NAS-Bench-Macro stays at 32)."""
    return max(32, round(cfg.resolution / 32) * 8)


def proxy_scores(ctx: EvalContext, cfg: ArchConfig, names: list[str]) -> dict[str, float | None]:
    """Zero-cost proxies of `cfg` at the run's proxy resolution (raised to the network's minimum)."""
    from archsearch.proxies import score_config
    from archsearch.proxies.scoring import min_resolution

    res = max(ctx.proxy_resolution or auto_proxy_resolution(cfg), min_resolution(cfg))
    scores = score_config(
        cfg, names, _dataset(ctx.data), resolution=res, batch=ctx.proxy_batch, seed=ctx.seed
    )
    c = cost(cfg)
    for name, attr in COST_PROXIES.items():
        if name in scores:
            scores[name] = float(getattr(c, attr))
    return scores


def evaluate_cheap(ctx: EvalContext, cfg: ArchConfig) -> dict[str, Any]:
    """The cheap stage of one trial: screen, then zero-cost proxies if feasible."""
    t0 = time.perf_counter()
    rec = screen(ctx, cfg)
    rec["score"] = None
    if rec["feasible"]:
        scores = proxy_scores(ctx, cfg, list(ctx.proxies))
        rec.update({f"proxy_{k}": v for k, v in scores.items()})
        reference = ctx.extra.get("reference")
        if reference:
            scores[ctx.proxy] = percentile_score(scores, reference)
            rec[f"proxy_{ctx.proxy}"] = scores[ctx.proxy]
        if scores.get(ctx.proxy) is None:
            raise ValueError(f"proxy {ctx.proxy} failed (non-finite score)")
        rec["score"] = float(scores[ctx.proxy])
    rec["seconds_cheap"] = round(time.perf_counter() - t0, 4)
    return rec


def percentile_score(scores: dict[str, float | None], reference: dict[str, list[float]]) -> float | None:
    """A population-based proxy (the rank ensemble) as a per-network score: the mean over its members of
    the network's percentile (mid-rank) among a fixed reference sample of the space. Stationary, so
    every trial and every baseline of a run is scored on the same scale."""
    out = []
    for member, ref in reference.items():
        v = scores.get(member)
        if v is None or not ref:
            return None
        out.append((bisect.bisect_left(ref, v) + bisect.bisect_right(ref, v)) / (2 * len(ref)))
    return sum(out) / len(out)


def score_task(args: tuple[EvalContext, str]) -> dict[str, float | None]:
    """Member scores of one reference network (no screening: the reference spans the space)."""
    ctx, cfg_json = args
    return proxy_scores(ctx, ArchConfig.from_json(cfg_json), list(ctx.extra["members"]))


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
        _dataset(ctx.data),
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
        save_weights(ctx.weights_dir, cfg, _dataset(ctx.data), state)
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
