"""Short proxy training: a config trained for a budget of steps or seconds, with held-out accuracy.

SGD with Nesterov momentum and a warmup-free "warmup-stable-decay" schedule: the full rate for the
first 80% of the budget, then a linear decay to zero (over elapsed training time when the budget is in
seconds, so the decay ends when the time does). It trains as well as a cosine schedule (Hagele et al.
2024, "Scaling Laws and Compute-Optimal Training Beyond Fixed Training Durations") and, unlike cosine,
runs of different budgets share their constant-rate start, so `train_budgets` measures several budgets
for the price of the longest plus the decays. Random crop (zero padding of 1/8 of the side) and
horizontal flip. Evaluation time is not counted in the budget. Intermediate held-out accuracies form
the curve that multi-fidelity search needs.

`width` < 1 trains a narrower stand-in (`ArchConfig.with_width`): at 0.25 a network takes 5-10x more
steps per second, and a few epochs of a narrow network rank the full networks far better than a
fraction of an epoch of the full ones (benchmarks/RESULTS.md, short-training curve). Its weights are
the stand-in's, so a width below 1 returns no state_dict. Tensors are channels-last: ~1.5x faster
convolutions on CPU."""

from __future__ import annotations

import copy
import math
import os
import time
from collections.abc import Sequence
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
    state_dict: dict[str, torch.Tensor] | None = None  # the trained weights (the search exports finalists)
    cpu_seconds: float = 0.0  # process CPU seconds spent in training steps (contention-free cost)


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
            xb = x[i : i + batch].contiguous(memory_format=torch.channels_last)
            correct += int((model(xb).argmax(1) == y[i : i + batch]).sum())
    model.train()
    return 100.0 * correct / len(x)


DECAY = 0.2  # the share of the budget over which the rate decays to zero


def wsd_rate(lr: float, done: float, budget: float) -> float:
    """Warmup-stable-decay: `lr` until (1 - DECAY) of the budget, then linear to zero at its end."""
    return lr * max(0.0, min(1.0, (budget - done) / (DECAY * budget)))


class _Trainer:
    """One training run's whole state (model, optimiser, data order, counters), so that a run can fork:
    two forks given the same rates take bit-identical steps."""

    def __init__(self, cfg: ArchConfig, data: Dataset, resolution: int, batch: int, seed: int,
                 lr: float, weight_decay: float):  # fmt: skip
        mean, std = channel_stats(data)
        self.xtr, self.ytr = as_tensor(data.x_train, resolution, mean, std), torch.from_numpy(data.y_train)
        self.xte, self.yte = as_tensor(data.x_test, resolution, mean, std), torch.from_numpy(data.y_test)
        torch.manual_seed(seed)
        self.model = build_model(cfg).train().to(memory_format=torch.channels_last)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=lr, momentum=0.9, nesterov=True,
                                   weight_decay=weight_decay)  # fmt: skip
        self.gen = torch.Generator().manual_seed(seed)
        self.order, self.pos, self.batch = torch.randperm(len(self.xtr), generator=self.gen), 0, batch
        self.steps, self.elapsed, self.cpu = 0, 0.0, 0.0

    def fork(self) -> _Trainer:
        twin = copy.copy(self)
        twin.model, twin.opt = copy.deepcopy((self.model, self.opt))  # one deepcopy keeps params shared
        twin.gen = torch.Generator()
        twin.gen.set_state(self.gen.get_state())
        return twin

    def step(self, lr: float) -> float:
        """One SGD step at rate `lr`; returns the loss."""
        for g in self.opt.param_groups:
            g["lr"] = lr
        if self.pos + self.batch > len(self.order):
            self.order, self.pos = torch.randperm(len(self.xtr), generator=self.gen), 0
        idx = self.order[self.pos : self.pos + self.batch]
        self.pos += self.batch
        t, c = time.perf_counter(), time.process_time()
        x = augment(self.xtr[idx], self.gen).contiguous(memory_format=torch.channels_last)
        loss = F.cross_entropy(self.model(x), self.ytr[idx])
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.steps, self.elapsed = self.steps + 1, self.elapsed + time.perf_counter() - t
        self.cpu += time.process_time() - c
        value = loss.item()
        if not math.isfinite(value):
            raise ProxyError(
                f"training diverged (loss {value}) at step {self.steps}; try a lower learning rate"
            )
        return value

    def top1(self) -> float:
        return accuracy(self.model, self.xte, self.yte)


def _check(batch: int, evals: int, budgets: Sequence[float]) -> None:
    if any(b <= 0 for b in budgets) or evals < 1 or batch < 2:
        raise ProxyError("training budget, evals and batch must be positive (batch >= 2)")


def _stand_in(cfg: ArchConfig, data: Dataset, resolution: int, width: float) -> ArchConfig:
    """The network that short training trains: `cfg` for the data and resolution, at `width`."""
    if not 0 < width <= 1:
        raise ProxyError(f"training width {width:g} must be in (0, 1]")
    return adapt(cfg, data, resolution).with_width(width)


def train_config(cfg: ArchConfig, data: Dataset | str | None = None, seconds: float | None = None,
                 steps: int | None = None, resolution: int = 32, batch: int = 128, seed: int = 0,
                 progress: bool = True, lr: float = 0.1, weight_decay: float = 5e-4, evals: int = 4,
                 threads: int | None = None, width: float = 1.0) -> TrainResult:  # fmt: skip
    """Train `cfg` (adapted to `data` and `resolution`, narrowed to `width`) for `steps` or `seconds`,
    evaluating `evals` times."""
    if (seconds is None) == (steps is None):
        raise ProxyError("give a training budget of either steps or seconds")
    budget = float(steps if steps is not None else seconds)
    _check(batch, evals, [budget])
    data = resolve(data)
    cfg = _stand_in(cfg, data, resolution, width)
    torch.set_num_threads(threads or os.cpu_count() or 1)
    run = _Trainer(cfg, data, resolution, batch, seed, lr, weight_decay)
    marks = [budget * (i + 1) / evals for i in range(evals)]
    curve: list[tuple[int, float, float]] = []
    unit = "step" if steps is not None else "s"
    bar = tqdm(total=int(budget), disable=not progress, unit=unit, desc=cfg.name or cfg.id, leave=False)
    clock = (lambda: run.steps) if steps is not None else (lambda: run.elapsed)
    while marks:
        before = clock()
        loss = run.step(wsd_rate(lr, before, budget))
        bar.update(clock() - before)
        bar.set_postfix(loss=f"{loss:.3f}", refresh=False)
        while marks and clock() >= marks[0] - 1e-9:
            marks.pop(0)
            curve.append((run.steps, run.elapsed, run.top1()))
    bar.close()
    state = run.model.state_dict() if width == 1 else None
    return TrainResult(curve[-1][2], curve, run.steps, run.elapsed, state, run.cpu)


def train_budgets(cfg: ArchConfig, data: Dataset | str | None, steps: Sequence[int], resolution: int = 32,
                  batch: int = 128, seed: int = 0, lr: float = 0.1, weight_decay: float = 5e-4,
                  threads: int | None = None, width: float = 1.0) -> list[TrainResult]:  # fmt: skip
    """`train_config(cfg, steps=b, evals=1)` for every budget b, sharing the constant-rate start: one trunk
    runs at the full rate and each budget forks off it where its decay begins. Each result equals the
    separate run's; its seconds are what that run would have taken (trunk + its own decay)."""
    _check(batch, 1, steps)
    data = resolve(data)
    cfg = _stand_in(cfg, data, resolution, width)
    torch.set_num_threads(threads or os.cpu_count() or 1)
    trunk, results = _Trainer(cfg, data, resolution, batch, seed, lr, weight_decay), []
    for budget in sorted(steps):
        while wsd_rate(lr, trunk.steps, budget) == lr:
            trunk.step(lr)
        branch = trunk.fork()
        while branch.steps < budget:
            branch.step(wsd_rate(lr, branch.steps, budget))
        top1 = branch.top1()
        results.append(TrainResult(top1, [(branch.steps, branch.elapsed, top1)], branch.steps, branch.elapsed,
                                   None, branch.cpu))  # fmt: skip
    return results


def measured_curve() -> str:
    """The measured curve (shipped beside the estimators) in one sentence, for trust notes."""
    import yaml

    from archsearch.resources import find

    c = yaml.safe_load(find("accuracy_estimators", "short_training_curve").read_text())
    points = ", ".join(f"{p['budget']} (~{p['seconds']:g} s) Kendall {p['kendall']:.2f}" for p in c["points"])
    return (f"{c['width']:g}-width stand-ins of {c['networks']} networks rank at {points} "
            f"(MACs alone {c['macs_kendall']:.2f}, seed-to-seed ceiling {c['seed_ceiling_kendall']:.2f}).")  # fmt: skip
