"""A synthetic device with known per-kernel costs, shared by the hardware tests."""

from __future__ import annotations

import numpy as np

from archsearch.hardware.features import COLUMNS, kernel_features, network_parts

_RNG = np.random.default_rng(7)
TRUE = {c: float(_RNG.uniform(0.01, 0.2)) for c in COLUMNS}
TRUE["network"] = 0.5
TRUE_VEC = np.array([TRUE[c] for c in COLUMNS])


def kernels_ms(kernels) -> float:
    return sum(float(kernel_features(k) @ TRUE_VEC) for k in kernels)


def device_ms(cfg) -> float:
    """Ground truth: known per-kernel costs summed, plus the per-network term."""
    return TRUE["network"] + sum(kernels_ms(p.kernels) for p in network_parts(cfg))
