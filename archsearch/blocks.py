"""Block kinds: the one description of what each kind of block is made of.

A `BlockKind` says, for any `Block` of that kind, which operations (`Op`s) it runs in order and which
residual its shapes allow. Everything that needs a block's parts derives them from here: the kernel
lowering (`archsearch.kernels`, and through it the cost model and the latency features), the torch
builder (`archsearch.models`) and the export rows (`archsearch.export.rows`). Adding a block kind is one
`BLOCK_KINDS.add(...)` below. No torch and no `archsearch.arch` import here (arch validates against this).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

from archsearch.registry import Registry

if TYPE_CHECKING:
    from archsearch.arch import Block

KERNEL_KINDS = ("conv", "pw", "dw", "se", "add", "pool", "linear", "upsample", "concat")
"""What a runtime executes (the latency predictor fits one model per kind): conv = dense kxk conv,
pw = 1x1 conv, dw = depthwise kxk conv, se = squeeze-excite (pool + two 1x1 convs + gate multiply),
add = residual add, pool = global average pool, linear = classifier / post-pool 1x1 conv; the task heads
(`archsearch.tasks`) add upsample = bilinear resize and concat = channel concatenation, which only move
data (no MACs, no parameters)."""
OP_KINDS = (*KERNEL_KINDS, "act")
"""An op is a kernel, or `act`: an activation on its own, run in place, which lowers to no kernel."""
RESIDUALS = ("", "full", "partial", "identity")


@dataclass(frozen=True, kw_only=True, slots=True)
class Op:
    """One operation of a block, without spatial sizes: the kernel it lowers to and the torch module
    built for it, named `role` (`blocks.<i>.<role>` in a state_dict). Convolutions (conv/pw/dw) are
    conv + BN + `act`, at atrous rate `dilation` (DeepLab's output stride: neither MACs nor parameters
    change); `se` is squeeze-excite of width `se_mid` with gate `act`; `act` is an activation."""

    role: str
    kind: str  # one of OP_KINDS
    cin: int
    cout: int
    k: int = 1
    stride: int = 1
    groups: int = 1
    act: str = "none"
    bn: bool = True
    bias: bool = False
    se_mid: int = 0
    se_bn: bool = False
    dilation: int = 1


class BlockKindError(ValueError):
    """An unknown block kind."""


@dataclass(frozen=True, kw_only=True)
class BlockKind:
    """What a block of this kind is made of.

    `ops(block)` lists its operations in execution order (only the first with stride != 1 changes the
    spatial size). `residual`: '' none; 'full' out + x when stride 1, cin == cout and `block.skip`;
    'partial' out[:, :cin] += x when stride 1, cin <= cout and `block.skip`; 'identity' the block is
    the identity (no ops). `mid`: '' the kind has no expanded width; 'cin' its width is cin; 'expand'
    an optional 1x1 expansion to `mid` (default cin). `reads`: the `Block` fields besides kind, cin,
    cout and stride that shape it (what an exported config row must spell out)."""

    name: str
    ops: Callable[[Block], tuple[Op, ...]]
    residual: str = ""
    mid: str = ""
    reads: frozenset[str] = frozenset()
    doc: str = ""


BLOCK_KINDS: Registry[BlockKind] = Registry("block kind", BlockKindError)


@lru_cache(maxsize=256)
def block_kind(name: str) -> BlockKind:
    """The description of kind `name` (cached: `Block` reads it on every residual/expansion question;
    register kinds at import, before the first lookup)."""
    return BLOCK_KINDS.get(name)


@lru_cache(maxsize=65536)
def block_ops(b: Block, dilation: int = 1) -> tuple[Op, ...]:
    """The ops of `b` (cached: spaces reuse the same blocks everywhere), its spatial (k > 1) convs at
    atrous rate `dilation` (a segmenter's blocks past output stride 16)."""
    ops = block_kind(b.kind).ops(b)
    if dilation == 1:
        return ops
    return tuple(replace(op, dilation=dilation) if op.k > 1 else op for op in ops)


def allowed_residual(b: Block) -> str:
    """The residual ('full', 'partial' or '') the kind and shapes of `b` allow when `b.skip` is set;
    '' for the identity kind, which has no choice."""
    rule = block_kind(b.kind).residual
    if b.stride != 1 or rule in ("", "identity"):
        return ""
    if rule == "partial":
        return "partial" if b.cin <= b.cout else ""
    return "full" if b.cin == b.cout else ""


# ---------------------------------------------------------------------------------------------------
# The kinds. Each is its ops plus its rules; nothing else in the package names a kind's parts.

_BOTTLENECK_READS = frozenset({"k", "mid", "se", "act", "se_gate", "se_bn", "groups"})


def _bottleneck(b: Block, dw_act: str, post_se: tuple[Op, ...]) -> tuple[Op, ...]:
    """Optional 1x1 expansion, k x k depthwise, optional SE, `post_se`, linear 1x1 projection."""
    ops = []
    if b.mid != b.cin:
        ops.append(Op(role="expand", kind="pw", cin=b.cin, cout=b.mid, groups=b.groups, act=b.act))
    ops.append(
        Op(role="dw", kind="dw", cin=b.mid, cout=b.mid, k=b.k, stride=b.stride, groups=b.mid, act=dw_act)
    )
    if b.se:
        ops.append(Op(role="se", kind="se", cin=b.mid, cout=b.mid, act=b.se_gate, bn=False, bias=True,
                      se_mid=b.se, se_bn=b.se_bn))  # fmt: skip
    ops.extend(post_se)
    ops.append(Op(role="project", kind="pw", cin=b.mid, cout=b.cout, groups=b.groups))
    return tuple(ops)


BLOCK_KINDS.add("ir", BlockKind(
    name="ir",
    ops=lambda b: _bottleneck(b, b.act, ()),
    residual="full",
    mid="expand",
    reads=_BOTTLENECK_READS,
    doc="inverted residual (MobileNetV2/V3): expansion + act, depthwise + act, SE, linear projection",
))  # fmt: skip
BLOCK_KINDS.add("ds", BlockKind(
    name="ds",
    ops=lambda b: (
        Op(role="dw", kind="dw", cin=b.cin, cout=b.cin, k=b.k, stride=b.stride, groups=b.cin, act=b.act),
        Op(role="pw", kind="pw", cin=b.cin, cout=b.cout, groups=b.groups, act=b.act),
    ),
    residual="full",
    mid="cin",
    reads=frozenset({"k", "act", "groups"}),
    doc="depthwise separable (MobileNetV1): depthwise + act, pointwise + act",
))  # fmt: skip
BLOCK_KINDS.add("rex", BlockKind(
    name="rex",
    ops=lambda b: _bottleneck(b, "none", (Op(role="post_se", kind="act", cin=b.mid, cout=b.mid, act="relu6"),)),
    residual="partial",
    mid="expand",
    reads=_BOTTLENECK_READS,
    doc="ReXNet linear bottleneck: expansion + act, linear depthwise, SE (BN + ReLU), ReLU6, projection",
))  # fmt: skip
BLOCK_KINDS.add("skip", BlockKind(
    name="skip",
    ops=lambda b: (),
    residual="identity",
    doc="identity (cin == cout, stride 1)",
))  # fmt: skip
BLOCK_KINDS.add("proj", BlockKind(
    name="proj",
    ops=lambda b: (Op(role="proj", kind="pw", cin=b.cin, cout=b.cout, stride=b.stride),),
    doc="1x1 strided conv + BN: the 'identity' NAS-Bench-Macro uses where channels change",
))  # fmt: skip
