"""Short proxy training: a config trained for a budget of steps or seconds, with held-out accuracy.

SGD with Nesterov momentum, a cosine learning-rate schedule over the budget (over elapsed training time
when the budget is in seconds, so the schedule ends when the time does), random crop (zero padding of
1/8 of the side) and horizontal flip. Evaluation time is not counted in the budget. Intermediate
held-out accuracies form the curve that multi-fidelity search needs."""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F
from tqdm import tqdm

from archsearch.arch import ArchConfig
from archsearch.models import build_model
from archsearch.proxies.base import ProxyError
from archsearch.proxies.datasets import Dataset
from archsearch.proxies.scoring import adapt, as_tensor, channel_stats, resolve


@dataclass(frozen=True)
class TrainResult:
    top1: float  # held-out top-1 (%) at the end of the budget
    curve: list[tuple[int, float, float]] = field(default_factory=list)  # (step, training seconds, top1 %)
    steps: int = 0
    seconds: float = 0.0


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random crop after zero padding by side/8, and random horizontal flip, per image."""
    n, _, h, w = x.shape
    pad = max(1, h // 8)
    padded = F.pad(x, (pad, pad, pad, pad))
    dy, dx = torch.randint(0, 2 * pad + 1, (2, n), generator=gen).tolist()
    flip = torch.rand(n, generator=gen) < 0.5
    out = torch.stack([padded[i, :, dy[i] : dy[i] + h, dx[i] : dx[i] + w] for i in range(n)])
    out[flip] = out[flip].flip(-1)
    return out


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int = 500) -> float:
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += int((model(x[i : i + batch]).argmax(1) == y[i : i + batch]).sum())
    model.train()
    return 100.0 * correct / len(x)


def train_config(cfg: ArchConfig, data: Dataset | str | None = None, seconds: float | None = None,
                 steps: int | None = None, resolution: int = 32, batch: int = 128, seed: int = 0,
                 progress: bool = True, lr: float = 0.1, weight_decay: float = 5e-4, evals: int = 4,
                 threads: int | None = None) -> TrainResult:  # fmt: skip
    """Train `cfg` (adapted to `data` and `resolution`) for `steps` or `seconds`, evaluating `evals` times."""
    if (seconds is None) == (steps is None):
        raise ProxyError("give a training budget of either steps or seconds")
    if (steps is not None and steps < 1) or (seconds is not None and seconds <= 0) or evals < 1 or batch < 2:
        raise ProxyError("training budget, evals and batch must be positive (batch >= 2)")
    data = resolve(data)
    cfg = adapt(cfg, data, resolution)
    torch.set_num_threads(threads or os.cpu_count() or 1)
    mean, std = channel_stats(data)
    xtr, ytr = as_tensor(data.x_train, resolution, mean, std), torch.from_numpy(data.y_train)
    xte, yte = as_tensor(data.x_test, resolution, mean, std), torch.from_numpy(data.y_test)
    torch.manual_seed(seed)
    model = build_model(cfg).train()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True, weight_decay=weight_decay)
    gen = torch.Generator().manual_seed(seed)
    budget = float(steps if steps is not None else seconds)
    marks = [budget * (i + 1) / evals for i in range(evals)]
    curve: list[tuple[int, float, float]] = []
    order, pos, step, elapsed = torch.randperm(len(xtr), generator=gen), 0, 0, 0.0
    bar = tqdm(
        total=int(budget),
        disable=not progress,
        unit="step" if steps else "s",
        desc=cfg.name or cfg.id,
        leave=False,
    )
    while marks:
        done = step if steps is not None else elapsed
        for g in opt.param_groups:
            g["lr"] = 0.5 * lr * (1 + math.cos(math.pi * min(done / budget, 1.0)))
        if pos + batch > len(order):
            order, pos = torch.randperm(len(xtr), generator=gen), 0
        idx = order[pos : pos + batch]
        pos += batch
        t = time.perf_counter()
        loss = F.cross_entropy(model(augment(xtr[idx], gen)), ytr[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        dt = time.perf_counter() - t
        step, elapsed = step + 1, elapsed + dt
        bar.update(1 if steps is not None else dt)
        loss_value = loss.item()
        bar.set_postfix(loss=f"{loss_value:.3f}", refresh=False)
        done = step if steps is not None else elapsed
        while marks and done >= marks[0] - 1e-9:
            marks.pop(0)
            curve.append((step, elapsed, accuracy(model, xte, yte)))
        if not math.isfinite(loss_value):
            raise ProxyError(
                f"training {cfg.name or cfg.id} diverged (loss {loss_value}); try a lower learning rate"
            )
    bar.close()
    return TrainResult(curve[-1][2], curve, step, elapsed)
