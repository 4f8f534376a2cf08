"""Config rows: a network's blocks grouped into stages, each block one `[in, k, out, exp, stride, SE]` row.

Stages are what a person reads in a paper table: a new stage opens at every strided block, and where a
run of equal widths (MobileNet's piecewise-constant stages) changes width. Channels that grow every block
(ReXNet) stay in one stage until the next stride (`arch.group_stages`, which the timm exporter and the
dashboard's stage tables use too)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from archsearch.arch import ArchConfig, Block, group_stages, make_divisible
from archsearch.blocks import allowed_residual, block_kind, block_ops

# Block fields a row does not spell out; the file states their most common value once (DEFAULTS) and a
# row overrides them in a trailing dict. The activation overrides as a plain trailing string.
ROW_DEFAULTS = ("block", "act", "se_gate", "se_bn", "groups", "residual")
SE_RULES = [
    (r, d) for d in (8, 1) for r in (4, 12, 8, 16, 2, 3, 6, 24)
]  # (reduction, divisor) tried in order


def block_options(b: Block) -> dict[str, Any]:
    """The row-level options of a block (None where the option does not apply to it: its kind does not
    read the field, or its shapes allow no residual)."""
    reads = block_kind(b.kind).reads
    return {
        "block": b.kind,
        "act": b.act if "act" in reads else None,
        "se_gate": b.se_gate if b.se else None,
        "se_bn": b.se_bn if b.se else None,
        "groups": b.groups if "groups" in reads else None,
        "residual": b.skip if allowed_residual(b) else None,
    }


def row_defaults(blocks: Sequence[Block]) -> dict[str, Any]:
    """Most common value of each row option over the blocks it applies to (ties: first seen)."""
    fallback = {
        "block": "ir",
        "act": "relu6",
        "se_gate": "sigmoid",
        "se_bn": False,
        "groups": 1,
        "residual": True,
    }
    out = {}
    for key in ROW_DEFAULTS:
        seen = [v for b in blocks if (v := block_options(b)[key]) is not None]
        out[key] = Counter(seen).most_common(1)[0][0] if seen else fallback[key]
    return out


def se_width(mid: int, rule: tuple[int, int]) -> int:
    reduction, divisor = rule
    return mid // reduction if divisor == 1 else make_divisible(mid / reduction, divisor)


def se_rule(blocks: Sequence[Block]) -> tuple[int, int] | None:
    """The (reduction, divisor) rule that gives the SE width of the most SE blocks (None: no SE)."""
    se_blocks = [b for b in blocks if b.se]
    if not se_blocks:
        return None
    return max(SE_RULES, key=lambda rule: sum(se_width(b.mid, rule) == b.se for b in se_blocks))


def expansion(b: Block) -> int | float:
    """The exp column: mid / cin as an int when exact, else a short float (the exact mid goes in the dict)."""
    if block_kind(b.kind).mid != "expand":
        return 1
    if b.mid % b.cin == 0:
        return b.mid // b.cin
    return round(b.mid / b.cin, 3)


def block_row(b: Block, defaults: dict[str, Any], rule: tuple[int, int] | None) -> list[Any]:
    """`[in, k, out, exp, stride, SE]`, then the activation if not the default, then a dict of the rest."""
    k = max((op.k for op in block_ops(b)), default=b.k)  # the kernel the block runs (a proj: 1)
    row: list[Any] = [b.cin, k, b.cout, expansion(b), b.stride, bool(b.se)]
    opts = block_options(b)
    if opts["act"] is not None and opts["act"] != defaults["act"]:
        row.append(opts["act"])
    extra = {key: v for key, v in opts.items() if key != "act" and v is not None and v != defaults[key]}
    exp = row[3]
    if block_kind(b.kind).mid == "expand" and round(b.cin * exp) != b.mid:
        extra["mid"] = b.mid
    if b.se and (rule is None or se_width(b.mid, rule) != b.se):
        extra["se"] = b.se
    if extra:
        row.append(extra)
    return row


def config_rows(cfg: ArchConfig) -> tuple[dict[str, Any], tuple[int, int] | None, list[list[list[Any]]]]:
    """(row defaults, SE width rule, stages of rows) for `cfg`."""
    defaults = row_defaults(cfg.blocks)
    rule = se_rule(cfg.blocks)
    return defaults, rule, [[block_row(b, defaults, rule) for b in st] for st in group_stages(cfg.blocks)]
