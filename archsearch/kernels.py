"""Lowering of an `ArchConfig` into the kernels a runtime executes, with their shapes.

One lowering serves the analytic cost model (MACs, params, memory) and the latency predictor (one
fitted term per kernel kind), so both see exactly the same network. No torch here.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from archsearch.arch import ArchConfig, Block, feature_sizes

# Kernel kinds (the predictor fits one model per kind): conv = dense kxk conv, pw = 1x1 conv,
# dw = depthwise kxk conv, se = squeeze-excite (pool + two 1x1 convs + gate multiply),
# add = residual add, pool = global average pool, linear = classifier / post-pool 1x1 conv.
KINDS = ("conv", "pw", "dw", "se", "add", "pool", "linear")


class Kernel(NamedTuple):
    """One executed kernel. `h_in`/`h_out` are spatial sides; `se_mid` is the SE bottleneck width."""

    role: str  # stem, expand, dw, se, project, pw, proj, add, head, pool, post_pool, classifier
    kind: str  # one of KINDS
    cin: int
    cout: int
    k: int
    stride: int
    groups: int
    h_in: int
    h_out: int
    act: str = "none"
    bn: bool = True
    bias: bool = False
    se_mid: int = 0
    se_bn: bool = False
    block: int = -1  # index of the block the kernel belongs to (-1: stem/head)


@lru_cache(maxsize=65536)
def block_kernels(b: Block, h: int, index: int = -1) -> tuple[Kernel, ...]:
    """Kernels of one block entering at side `h` (cached: spaces reuse the same blocks everywhere)."""
    ho = (h - 1) // b.stride + 1
    ks: list[Kernel] = []
    if b.kind == "skip":
        return ()
    if b.kind == "proj":
        return (Kernel("proj", "pw", b.cin, b.cout, 1, b.stride, 1, h, ho, block=index),)
    if b.kind == "ds":
        ks.append(Kernel("dw", "dw", b.cin, b.cin, b.k, b.stride, b.cin, h, ho, b.act, block=index))
        ks.append(Kernel("pw", "pw", b.cin, b.cout, 1, 1, b.groups, ho, ho, b.act, block=index))
    else:
        rex = b.kind == "rex"
        if b.expands:
            ks.append(Kernel("expand", "pw", b.cin, b.mid, 1, 1, b.groups, h, h, b.act, block=index))
        dw_act = "none" if rex else b.act
        ks.append(Kernel("dw", "dw", b.mid, b.mid, b.k, b.stride, b.mid, h, ho, dw_act, block=index))
        if b.se:
            ks.append(
                Kernel(
                    "se", "se", b.mid, b.mid, 1, 1, 1, ho, ho, b.se_gate, False, True, b.se, b.se_bn, index
                )
            )
        ks.append(Kernel("project", "pw", b.mid, b.cout, 1, 1, b.groups, ho, ho, block=index))
    if b.residual:
        ch = b.cin if b.residual == "partial" else b.cout
        ks.append(Kernel("add", "add", ch, ch, 1, 1, 1, ho, ho, bn=False, block=index))
    return tuple(ks)


def decompose(cfg: ArchConfig) -> list[Kernel]:
    """All kernels of the network in execution order."""
    sides = feature_sizes(cfg)
    s = cfg.stem
    r = cfg.resolution
    out: list[Kernel] = [
        Kernel("stem", "conv", cfg.in_chans, s.channels, s.k, s.stride, 1, r, sides[0], s.act)
    ]
    for i, (b, h) in enumerate(zip(cfg.blocks, sides, strict=False)):
        out.extend(block_kernels(b, h, i))
    out.extend(head_kernels(cfg, sides[-1]))
    return out


def head_kernels(cfg: ArchConfig, h: int) -> list[Kernel]:
    hd = cfg.head
    ch = cfg.last_channels
    ks = []
    if hd.channels:
        ks.append(Kernel("head", "pw", ch, hd.channels, 1, 1, 1, h, h, hd.act))
        ch = hd.channels
    ks.append(Kernel("pool", "pool", ch, ch, h, 1, 1, h, 1, bn=False))
    if hd.post_pool:
        ks.append(
            Kernel("post_pool", "linear", ch, hd.post_pool, 1, 1, 1, 1, 1, hd.act, bn=False, bias=False)
        )
        ch = hd.post_pool
    ks.append(Kernel("classifier", "linear", ch, cfg.num_classes, 1, 1, 1, 1, 1, bn=False, bias=True))
    return ks
