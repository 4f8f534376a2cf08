"""The one small interface every zero-cost proxy implements, its registry, and the shared `Probe`.

A proxy scores an untrained network (an `ArchConfig` or an `nn.Module`) on one minibatch. Several
proxies need the same forward/backward pass (snip, grad_norm and fisher one gradient pass; jacob_cov
and rank one forward pass), so a `Probe` holds the network and the batch and computes each pass once:
scoring many proxies on one network costs little more than the most expensive one.
"""

from __future__ import annotations

import copy
import math
from abc import ABC, abstractmethod
from functools import cached_property
from typing import TYPE_CHECKING

import torch
from torch import nn

from archsearch.arch import ArchConfig
from archsearch.models import build_model
from archsearch.proxies.errors import ProxyError, ScoreFailed, UnknownProxyError
from archsearch.registry import Registry

if TYPE_CHECKING:
    from archsearch.proxies.ensemble import RankEnsemble


ACTIVATIONS = (nn.ReLU, nn.ReLU6, nn.SiLU, nn.Hardswish)
WEIGHTED = (nn.Conv2d, nn.Linear)


class Probe:
    """One network and one minibatch, with the passes that several proxies share computed at most once.

    With an `ArchConfig`, networks are built under `torch.manual_seed(seed)`, so scores are reproducible;
    with a module, proxies that change weights work on deep copies and the caller's module is untouched.
    """

    def __init__(
        self, target: ArchConfig | nn.Module, images: torch.Tensor, labels: torch.Tensor, seed: int = 0
    ):
        if not isinstance(target, ArchConfig | nn.Module):
            raise ProxyError(f"a proxy scores an ArchConfig or an nn.Module, not {type(target).__name__}")
        if images.ndim != 4 or len(images) != len(labels) or len(images) < 2:
            raise ProxyError("a proxy batch needs images (N, C, H, W) and N >= 2 labels")
        self.cfg = target if isinstance(target, ArchConfig) else None
        self.module = target if isinstance(target, nn.Module) else None
        self.images, self.labels, self.seed = images, labels, seed

    @cached_property
    def _base(self) -> nn.Module:
        if self.module is not None:
            return self.module
        with torch.random.fork_rng():
            torch.manual_seed(self.seed)
            return build_model(self.cfg)

    def model(self) -> nn.Module:
        """A private copy of the network, free to be modified by one proxy."""
        return copy.deepcopy(self._base)

    def generator(self) -> torch.Generator:
        return torch.Generator().manual_seed(self.seed)

    @cached_property
    def gradient_pass(self) -> GradientPass:
        return GradientPass(self.model(), self.images, self.labels, self.seed)

    @cached_property
    def forward_pass(self) -> ForwardPass:
        return ForwardPass(self.model(), self.images, self.seed)


class GradientPass:
    """Cross-entropy forward/backward on the batch (train mode): weights, their gradients, and the
    per-layer Fisher information of conv/linear outputs (Theis et al. 2018, as in Abdelfattah et al.)."""

    def __init__(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor, seed: int):
        self.fisher: list[torch.Tensor] = []
        hooks = [
            m.register_forward_hook(self._keep_output) for m in model.modules() if isinstance(m, WEIGHTED)
        ]
        model.train()
        with torch.random.fork_rng():
            torch.manual_seed(seed)  # dropout
            loss = nn.functional.cross_entropy(model(images), labels)
        loss.backward()
        for h in hooks:
            h.remove()
        layers = [m for m in model.modules() if isinstance(m, WEIGHTED)]
        self.weights = [m.weight.detach() for m in layers]
        self.grads = [
            m.weight.grad if m.weight.grad is not None else torch.zeros_like(m.weight) for m in layers
        ]

    def _keep_output(self, _m: nn.Module, _inp: tuple, out: torch.Tensor) -> None:
        if out.requires_grad:
            act = out.detach()
            out.register_hook(lambda g: self._add_fisher(act, g))

    def _add_fisher(self, act: torch.Tensor, grad: torch.Tensor) -> None:
        prod = act * grad
        per_channel = prod.sum((2, 3)) if prod.ndim == 4 else prod
        self.fisher.append(0.5 * per_channel.pow(2).mean(0).sum())


class ForwardPass:
    """One forward pass without gradients (train-mode BN, as NASWOT): the kernel of binary activation
    codes and the output of every non-identity block."""

    def __init__(self, model: nn.Module, images: torch.Tensor, seed: int):
        n = len(images)
        self.kernel = torch.zeros(n, n, dtype=torch.float64)
        self.block_outputs: list[torch.Tensor] = []
        hooks = [
            m.register_forward_hook(self._add_codes) for m in model.modules() if isinstance(m, ACTIVATIONS)
        ]
        for block in getattr(model, "blocks", []):
            if not isinstance(block, nn.Identity):
                hooks.append(block.register_forward_hook(self._keep_block))
        model.train()
        with torch.no_grad(), torch.random.fork_rng():
            torch.manual_seed(seed)
            model(images)
        for h in hooks:
            h.remove()

    def _add_codes(self, _m: nn.Module, _inp: tuple, out: torch.Tensor) -> None:
        # c c^T + (1-c)(1-c)^T = units - |c_i| - |c_j| + 2 c c^T; float32 counts are exact below 2^24.
        c = (out.flatten(1) > 0).to(torch.float32)
        ones = c.sum(1, dtype=torch.float64)
        self.kernel += c.shape[1] - ones[:, None] - ones[None, :] + 2 * (c @ c.T).to(torch.float64)

    def _keep_block(self, _m: nn.Module, _inp: tuple, out: torch.Tensor) -> None:
        self.block_outputs.append(out.detach().clone())


class ZeroCostProxy(ABC):
    """A zero-cost proxy: higher score = predicted better network. Subclasses implement `compute`."""

    name: str = ""
    description: str = ""

    def score(self, target: ArchConfig | nn.Module | Probe, batch: tuple[torch.Tensor, torch.Tensor] | None = None,
              seed: int = 0) -> float:  # fmt: skip
        """The proxy's score of `target` on `batch` (images, labels); raises `ScoreFailed` on NaN/inf."""
        if not isinstance(target, Probe):
            if batch is None:
                raise ProxyError(f"proxy {self.name} needs a batch (images, labels)")
            target = Probe(target, batch[0], batch[1], seed)
        value = float(self.compute(target))
        if not math.isfinite(value):
            raise ScoreFailed(f"proxy {self.name} produced {value}")
        return value

    @abstractmethod
    def compute(self, probe: Probe) -> float:
        """The raw score (may be NaN or inf; `score` turns those into a failure)."""


REGISTRY: Registry[type[ZeroCostProxy]] = Registry(
    "proxy",
    UnknownProxyError,
    tuple(f"archsearch.proxies.{m}" for m in ("gradient", "activation", "cost_proxies")),
)


def register(cls: type[ZeroCostProxy]) -> type[ZeroCostProxy]:
    """Class decorator: adding a proxy is one module and this one line."""
    return REGISTRY.add(cls.name, cls)


def get_proxy(name: str) -> ZeroCostProxy | RankEnsemble:
    """A registered proxy by name, or the rank `ensemble` (which scores populations, not one network)."""
    if name == "ensemble":
        from archsearch.proxies.ensemble import RankEnsemble

        return RankEnsemble()
    return REGISTRY.get(name)()


def list_proxies() -> list[str]:
    return sorted([*REGISTRY.names(), "ensemble"])
