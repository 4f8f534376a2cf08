"""A config's model converted for another runtime and checked against torch before anything is written:
one rule for ONNX, TF-Lite and the task networks (two seeded inputs, refused above TOLERANCE)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from archsearch.arch import ArchConfig
from archsearch.export import ExportError

if TYPE_CHECKING:
    import torch

TOLERANCE = 1e-4  # max |runtime - torch| over the outputs; float32 kernels agree to ~1e-6


def refuse_above_tolerance(diff: float, runtime: str) -> float:
    """`diff` if it is within TOLERANCE, else the one-line refusal (NaN refuses too)."""
    if not diff <= TOLERANCE:
        raise ExportError(
            f"{runtime} output differs from torch by {diff:.2e} (> {TOLERANCE:g}); nothing written"
        )
    return diff


def checked_export(
    cfg: ArchConfig,
    state_dict: Mapping[str, Any] | None,
    convert: Callable[[torch.nn.Module, int, int], bytes],
    difference: Callable[[bytes, torch.nn.Module, torch.Tensor], float],
    runtime: str,
) -> tuple[bytes, float]:
    """(bytes, checked max difference) of `cfg` with the given weights (random init if None)."""
    import torch

    from archsearch.models import build_model

    model = build_model(cfg)
    if state_dict is not None:
        model.load_state_dict(state_dict)
    data = convert(model, cfg.in_chans, cfg.resolution)
    side = cfg.resolution
    xs = torch.randn(2, cfg.in_chans, side, side, generator=torch.Generator().manual_seed(0))
    return data, refuse_above_tolerance(difference(data, model, xs), runtime)
