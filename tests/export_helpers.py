"""Helpers shared by the export tests: load an exported file as a module, randomise weights so that
output comparisons mean something, count the MACs of any torch network on a real forward pass."""

from __future__ import annotations

import types

import pytest
import torch
from torch import nn


def load_source(source: str, name: str = "exported") -> types.ModuleType:
    """Execute exported Python source as a fresh module (no file, no sys.modules entry)."""
    module = types.ModuleType(name)
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module


def randomize_(model: nn.Module, seed: int = 0) -> nn.Module:
    """Random BN statistics and affine terms and a unit-scale classifier: archsearch's init leaves BN as an
    identity and logits near zero, which would hide a mis-wired BN or a wrong module mapping."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.weight.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.num_features, generator=g) * 0.1)
            elif isinstance(m, nn.Linear):
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) / m.in_features**0.5)
    return model.eval()


def count_macs(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, int]:
    """(model(x), conv + linear multiply-adds per sample) measured with forward hooks on a real pass."""
    macs = 0

    def conv_hook(m: nn.Conv2d, _inp, out: torch.Tensor) -> None:
        nonlocal macs
        macs += out[0].numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def linear_hook(m: nn.Linear, _inp, out: torch.Tensor) -> None:
        nonlocal macs
        macs += out[0].numel() * m.in_features

    hooks = [
        m.register_forward_hook(conv_hook if isinstance(m, nn.Conv2d) else linear_hook)
        for m in model.modules()
        if isinstance(m, nn.Conv2d | nn.Linear)
    ]
    with torch.no_grad():
        y = model(x)
    for h in hooks:
        h.remove()
    return y, macs


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """One torch thread: these tests run many small networks, and on a shared, busy machine torch's
    thread pool makes them several times slower, not faster."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
