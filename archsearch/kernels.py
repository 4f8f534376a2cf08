"""Lowering of an `ArchConfig` into the kernels a runtime executes, with their shapes.

One lowering serves the analytic cost model (MACs, params, memory) and the latency predictor (one
fitted term per kernel kind), so both see exactly the same network. A block's kernels are its ops from
`archsearch.blocks` placed at their spatial sizes, plus the residual add. No torch here.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache

from archsearch.arch import ArchConfig, Block, Head, Stem, feature_sizes
from archsearch.blocks import KERNEL_KINDS, Op, block_ops

KINDS = KERNEL_KINDS


@dataclass(frozen=True, kw_only=True, slots=True)
class Kernel(Op):
    """One executed kernel: an op (`role` stem, expand, dw, se, project, pw, proj, add, head, pool,
    post_pool, classifier; `kind` one of KINDS) at input side `h_in` and output side `h_out`, in block
    `block` (-1: stem/head)."""

    h_in: int
    h_out: int
    block: int = -1


_OP_FIELDS = tuple(f.name for f in fields(Op))


def place(op: Op, h_in: int, h_out: int, block: int = -1) -> Kernel:
    """The kernel that runs `op` from side `h_in` to side `h_out`."""
    return Kernel(**{f: getattr(op, f) for f in _OP_FIELDS}, h_in=h_in, h_out=h_out, block=block)


@lru_cache(maxsize=65536)
def block_kernels(b: Block, h: int, index: int = -1, dilation: int = 1) -> tuple[Kernel, ...]:
    """Kernels of one block entering at side `h` (cached: spaces reuse the same blocks everywhere): its
    ops in order (at atrous rate `dilation`), sides changing at the strided one, activation-only ops
    folded away, then the residual add."""
    ops = block_ops(b, dilation)
    if not ops:  # the identity runs nothing
        return ()
    ks: list[Kernel] = []
    side = h
    for op in ops:
        out = (side - 1) // op.stride + 1
        if op.kind != "act":
            ks.append(place(op, side, out, index))
        side = out
    if b.residual:
        ch = b.cin if b.residual == "partial" else b.cout
        ks.append(
            Kernel(role="add", kind="add", cin=ch, cout=ch, h_in=side, h_out=side, bn=False, block=index)
        )
    return tuple(ks)


def stem_kernel(cfg: ArchConfig, side: int) -> Kernel:
    return _stem_kernel(cfg.in_chans, cfg.stem, cfg.resolution, side)


@lru_cache(maxsize=4096)
def _stem_kernel(in_chans: int, s: Stem, resolution: int, side: int) -> Kernel:
    return Kernel(role="stem", kind="conv", cin=in_chans, cout=s.channels, k=s.k, stride=s.stride,
                  h_in=resolution, h_out=side, act=s.act)  # fmt: skip


def decompose(cfg: ArchConfig) -> list[Kernel]:
    """All kernels of the network in execution order."""
    sides = feature_sizes(cfg)
    out: list[Kernel] = [stem_kernel(cfg, sides[0])]
    for i, (b, h) in enumerate(zip(cfg.blocks, sides, strict=False)):
        out.extend(block_kernels(b, h, i))
    out.extend(head_kernels(cfg, sides[-1]))
    return out


def head_kernels(cfg: ArchConfig, h: int) -> tuple[Kernel, ...]:
    """The head's kernels at side `h` (cached: they depend only on the head, the last width and classes)."""
    return _head_kernels(cfg.head, cfg.last_channels, h, cfg.num_classes)


@lru_cache(maxsize=4096)
def _head_kernels(hd: Head, ch: int, h: int, num_classes: int) -> tuple[Kernel, ...]:
    ks = []
    if hd.channels:
        ks.append(Kernel(role="head", kind="pw", cin=ch, cout=hd.channels, h_in=h, h_out=h, act=hd.act))
        ch = hd.channels
    ks.append(Kernel(role="pool", kind="pool", cin=ch, cout=ch, k=h, h_in=h, h_out=1, bn=False))
    if hd.post_pool:
        ks.append(Kernel(role="post_pool", kind="linear", cin=ch, cout=hd.post_pool, h_in=1, h_out=1,
                         act=hd.act, bn=False))  # fmt: skip
        ch = hd.post_pool
    ks.append(Kernel(role="classifier", kind="linear", cin=ch, cout=num_classes, h_in=1, h_out=1,
                     bn=False, bias=True))  # fmt: skip
    return tuple(ks)
