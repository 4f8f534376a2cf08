"""Analytic cost of an `ArchConfig`: MACs, parameters and peak activation memory, without torch.

Conventions (the MobileNet/ReXNet papers', fvcore's conv + linear count):
- MACs = multiply-adds of conv and linear layers (what budgets call "FLOPs"); BN, activations,
  pooling, SE gating and residual adds are not counted.
- params = every parameter, BN weight and bias included (torch's count).
- peak activation memory = the largest sum, over the kernels in execution order, of the float32 bytes
  at batch 1 of the kernel's input, its output, and any block input held for a later residual add.
  BN is folded and activations run in place, so they allocate nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from archsearch.arch import ArchConfig, Block, feature_sizes
from archsearch.kernels import Kernel, block_kernels, head_kernels, stem_kernel

BYTES_PER_ELEMENT = 4  # float32


def _conv_macs(k: Kernel) -> int:
    return k.k * k.k * (k.cin // k.groups) * k.cout * k.h_out * k.h_out


def _conv_params(k: Kernel) -> int:
    return k.k * k.k * (k.cin // k.groups) * k.cout + (k.cout if k.bias else 0) + (2 * k.cout if k.bn else 0)


def _se_macs(k: Kernel) -> int:
    return 2 * k.cin * k.se_mid


def _se_params(k: Kernel) -> int:
    return 2 * k.cin * k.se_mid + k.se_mid + k.cin + (2 * k.se_mid if k.se_bn else 0)


def _linear_macs(k: Kernel) -> int:
    return k.cin * k.cout


def _linear_params(k: Kernel) -> int:
    return k.cin * k.cout + (k.cout if k.bias else 0)


def _zero(_: Kernel) -> int:
    return 0


# One table of per-kernel formulas: kind -> (MACs, params).
FORMULAS: dict[str, tuple[Callable[[Kernel], int], Callable[[Kernel], int]]] = {
    "conv": (_conv_macs, _conv_params),
    "pw": (_conv_macs, _conv_params),
    "dw": (_conv_macs, _conv_params),
    "se": (_se_macs, _se_params),
    "linear": (_linear_macs, _linear_params),
    "add": (_zero, _zero),
    "pool": (_zero, _zero),
    "upsample": (_zero, _zero),
    "concat": (_zero, _zero),
}


def kernel_macs(k: Kernel) -> int:
    return FORMULAS[k.kind][0](k)


def kernel_params(k: Kernel) -> int:
    return FORMULAS[k.kind][1](k)


def _tensor(ch: int, side: int) -> int:
    return ch * side * side * BYTES_PER_ELEMENT


@dataclass(frozen=True)
class Cost:
    macs: int
    params: int
    peak_bytes: int

    @property
    def mmacs(self) -> float:
        return self.macs / 1e6


@lru_cache(maxsize=65536)
def block_cost(b: Block, h: int) -> tuple[int, int, int]:
    """(MACs, params, peak live elements) of one block entering at side `h`: the closed form of its kind
    where one is written (the search's hot path: no Kernel objects), else `block_cost_from_kernels`;
    `tests/test_cost.py` holds the two equal for every block of every space."""
    closed = _CLOSED_FORMS.get(b.kind)
    return closed(b, h) if closed is not None else block_cost_from_kernels(b, h)


def block_cost_from_kernels(b: Block, h: int) -> tuple[int, int, int]:
    """`FORMULAS` summed over the block's kernels (`block_kernels`); the peak is the largest kernel input +
    output, plus the block input while a residual add still needs it (the add holds its two operands and
    its output). Any kind described in `archsearch.blocks` is costed by this, with no code of its own."""
    a_in = b.cin * h * h
    residual = b.residual
    held = a_in if residual else 0
    macs = params = 0
    peak = a_in  # an identity holds its input
    for i, k in enumerate(block_kernels(b, h)):
        fm, fp = FORMULAS[k.kind]
        macs += fm(k)
        params += fp(k)
        out = k.cout * k.h_out * k.h_out
        if k.kind == "add":
            live = out + held if residual == "partial" else 2 * out + held
        else:
            live = k.cin * k.h_in * k.h_in + out + (held if i else 0)
        if live > peak:
            peak = live
    return macs, params, peak


def _closed_form(b: Block, h: int) -> tuple[int, int, int]:
    """`block_cost_from_kernels` written out for the kinds ir, rex, ds, proj and skip (speed only)."""
    kind, cin, cout, k, g = b.kind, b.cin, b.cout, b.k, b.groups
    ho = (h - 1) // b.stride + 1
    a_in, a_out = cin * h * h, cout * ho * ho
    if kind == "skip":
        return 0, 0, a_in
    if kind == "proj":
        return cin * cout * ho * ho, cin * cout + 2 * cout, a_in + a_out
    if kind == "ds":
        macs = k * k * cin * ho * ho + cin // g * cout * ho * ho
        params = k * k * cin + 2 * cin + cin // g * cout + 2 * cout
        peak = max(a_in + cin * ho * ho, cin * ho * ho + a_out)
        held = a_in if b.residual else 0
        if held:
            peak = max(peak, cin * ho * ho + a_out + held, 2 * a_out + held)
        return macs, params, peak
    mid, se = b.mid, b.se
    m_in, m_out = mid * h * h, mid * ho * ho
    residual = b.residual
    held = a_in if residual else 0
    macs = k * k * mid * ho * ho + mid // g * cout * ho * ho
    params = k * k * mid + 2 * mid + mid // g * cout + 2 * cout
    peak = 0
    if b.expands:
        macs += cin // g * mid * h * h
        params += cin // g * mid + 2 * mid
        peak = max(peak, a_in + m_in, m_in + m_out + held)
    else:
        peak = max(peak, m_in + m_out)
    if se:
        macs += 2 * mid * se
        params += 2 * mid * se + se + mid + (2 * se if b.se_bn else 0)
        peak = max(peak, 2 * m_out + held)
    peak = max(peak, m_out + a_out + held)
    if residual == "full":
        peak = max(peak, 2 * a_out + held)
    elif residual == "partial":
        peak = max(peak, a_out + held)
    return macs, params, peak


_CLOSED_FORMS: dict[str, Callable[[Block, int], tuple[int, int, int]]] = dict.fromkeys(
    ("ir", "rex", "ds", "proj", "skip"), _closed_form
)


def cost(cfg: ArchConfig) -> Cost:
    """MACs, params and peak activation bytes at batch 1, from the config alone."""
    return cost_by_block(cfg)[0]


def macs_of(cfg: ArchConfig) -> int:
    """MACs alone (the measure `SearchSpace.smallest` minimises)."""
    return cost_by_block(cfg)[0].macs


def cost_by_block(cfg: ArchConfig) -> tuple[Cost, list[tuple[int, int, int]]]:
    """The network's cost and each block's (MACs, params, peak elements), in one pass."""
    sides = feature_sizes(cfg)
    stem = stem_kernel(cfg, sides[0])
    macs, params = _conv_macs(stem), _conv_params(stem)
    peak = _tensor(cfg.in_chans, cfg.resolution) + _tensor(stem.cout, sides[0])
    blocks = [block_cost(b, h) for b, h in zip(cfg.blocks, sides, strict=False)]
    for m, p, pk in blocks:
        macs += m
        params += p
        peak = max(peak, pk * BYTES_PER_ELEMENT)
    for k in head_kernels(cfg, sides[-1]):
        macs += kernel_macs(k)
        params += kernel_params(k)
        peak = max(peak, _tensor(k.cin, k.h_in) + _tensor(k.cout, k.h_out))
    return Cost(macs, params, peak), blocks
