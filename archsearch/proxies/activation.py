"""Activation-based proxies: jacob_cov (NASWOT), rank (after ReXNet's expressiveness study) and zen."""

from __future__ import annotations

import torch
from torch import nn

from archsearch.proxies.base import WEIGHTED, Probe, ZeroCostProxy, register


@register
class JacobCov(ZeroCostProxy):
    name = "jacob_cov"
    description = "NASWOT (Mellor et al. 2021): log|K|, K = Hamming-similarity kernel of binary ReLU codes"

    def compute(self, probe: Probe) -> float:
        sign, logdet = torch.linalg.slogdet(probe.forward_pass.kernel)
        return float(logdet) if sign > 0 else float("nan")


def effective_rank(matrix: torch.Tensor) -> float:
    """exp(entropy of the normalised singular values) (Roy & Vetterli 2007): between 1 and min(shape).

    Unlike the numerical rank it does not saturate at min(shape) as soon as noise fills the spectrum."""
    m = matrix.to(torch.float64)
    gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    s = torch.linalg.eigvalsh(gram).clamp(min=0).sqrt()
    total = s.sum()
    if total <= 0:
        return 0.0
    p = s / total
    p = p[p > 0]
    return float(torch.exp(-(p * p.log()).sum()))


@register
class Rank(ZeroCostProxy):
    name = "rank"
    description = "mean over non-identity blocks of effective rank / min(rows, channels) of the block output"

    def compute(self, probe: Probe) -> float:
        outs = probe.forward_pass.block_outputs
        if not outs:
            return float("nan")
        ratios = []
        for out in outs:
            m = out.permute(0, 2, 3, 1).reshape(-1, out.shape[1])  # (batch * H * W, channels)
            ratios.append(effective_rank(m) / min(m.shape))
        return sum(ratios) / len(ratios)


@register
class Zen(ZeroCostProxy):
    name = "zen"
    description = (
        "Zen-score (Lin et al. 2021): log E|f(x) - f(x + 0.01 e)| of pre-pool features + sum log BN std"
    )

    def compute(self, probe: Probe) -> float:
        model = probe.model().train()
        gen = probe.generator()
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, WEIGHTED):
                    m.weight.copy_(torch.randn(m.weight.shape, generator=gen))
        stds: list[torch.Tensor] = []
        hooks = [m.register_forward_hook(lambda _m, inp, _o: stds.append(inp[0].var((0, 2, 3)).mean().sqrt()))
                 for m in model.modules() if isinstance(m, nn.BatchNorm2d)]  # fmt: skip
        x = torch.randn(probe.images.shape, generator=gen)
        e = torch.randn(probe.images.shape, generator=gen)
        with torch.no_grad():
            f1 = model.features(x)
            for h in hooks:
                h.remove()
            f2 = model.features(x + 0.01 * e)
        return float(torch.log((f1 - f2).abs().mean()) + sum(torch.log(s) for s in stds))
