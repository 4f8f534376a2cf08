"""Gradient-based proxies (Abdelfattah et al., "Zero-Cost Proxies for Lightweight NAS", ICLR 2021).

snip, grad_norm and fisher share one cross-entropy gradient pass on the real batch; synflow uses its
own data-free pass (absolute weights, no BN, an all-ones input, float64)."""

from __future__ import annotations

import torch
from torch import nn

from archsearch.proxies.base import WEIGHTED, Probe, ZeroCostProxy, register


@register
class Snip(ZeroCostProxy):
    name = "snip"
    description = "sum |w * dL/dw| over conv/linear weights (connection sensitivity, Lee et al. 2019)"

    def compute(self, probe: Probe) -> float:
        p = probe.gradient_pass
        return sum(float((w * g).abs().sum()) for w, g in zip(p.weights, p.grads, strict=True))


@register
class GradNorm(ZeroCostProxy):
    name = "grad_norm"
    description = "sum over conv/linear layers of the L2 norm of dL/dw"

    def compute(self, probe: Probe) -> float:
        return sum(float(g.norm()) for g in probe.gradient_pass.grads)


@register
class Fisher(ZeroCostProxy):
    name = "fisher"
    description = "sum over conv/linear outputs of 0.5 * mean_batch (sum_spatial act * dL/dact)^2"

    def compute(self, probe: Probe) -> float:
        return float(sum(probe.gradient_pass.fisher))


@register
class Synflow(ZeroCostProxy):
    name = "synflow"
    description = (
        "data-free synaptic flow: sum |w * dR/dw|, R = sum of outputs of |w| net on ones (Tanaka 2020)"
    )

    def compute(self, probe: Probe) -> float:
        model = _without_bn(probe.model()).double().eval()
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, WEIGHTED):
                    m.weight.abs_()
        x = torch.ones((1, *probe.images.shape[1:]), dtype=torch.float64)
        model(x).sum().backward()
        layers = [m for m in model.modules() if isinstance(m, WEIGHTED) and m.weight.grad is not None]
        return sum(float((m.weight.detach() * m.weight.grad).abs().sum()) for m in layers)


def _without_bn(model: nn.Module) -> nn.Module:
    """Replace every BatchNorm by identity (synflow is defined on the network without BN)."""
    for name, child in model.named_children():
        if isinstance(child, nn.modules.batchnorm._BatchNorm):
            setattr(model, name, nn.Identity())
        else:
            _without_bn(child)
    return model
