"""The baselines every proxy must beat: parameters, MACs and depth (non-identity blocks).

From an `ArchConfig` they come from the analytic cost model; from a module, by counting."""

from __future__ import annotations

import torch
from torch import nn

from archsearch.cost import cost
from archsearch.proxies.base import Probe, ZeroCostProxy, register


@register
class Params(ZeroCostProxy):
    name = "params"
    description = "number of parameters (BN included)"

    def compute(self, probe: Probe) -> float:
        if probe.cfg is not None:
            return cost(probe.cfg).params
        return sum(p.numel() for p in probe._module.parameters())


@register
class Macs(ZeroCostProxy):
    name = "macs"
    description = "conv + linear multiply-adds at the batch's resolution"

    def compute(self, probe: Probe) -> float:
        if probe.cfg is not None:
            return cost(probe.cfg).macs
        return module_macs(probe.model(), probe.images[:1])


@register
class Depth(ZeroCostProxy):
    name = "depth"
    description = "number of non-identity blocks"

    def compute(self, probe: Probe) -> float:
        if probe.cfg is not None:
            return probe.cfg.depth
        return sum(not isinstance(b, nn.Identity) for b in probe._module.blocks)


def module_macs(model: nn.Module, x: torch.Tensor) -> int:
    """Conv + linear multiply-adds of one forward pass of `x` (batch 1), counted by hooks."""
    total = 0

    def count(m: nn.Module, _inp: tuple, out: torch.Tensor) -> None:
        nonlocal total
        if isinstance(m, nn.Conv2d):
            total += out[0].numel() * m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]
        else:
            total += m.in_features * m.out_features

    hooks = [m.register_forward_hook(count) for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    with torch.no_grad():
        model.eval()(x)
    for h in hooks:
        h.remove()
    return total
