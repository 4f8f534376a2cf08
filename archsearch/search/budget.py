"""Parse compute budgets. "FLOPs" means MACs of conv + linear layers (MobileNetV2 1.0 @224 = 300.8M)."""

from __future__ import annotations

import re

_UNITS = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9}
_BUDGET = re.compile(
    r"^\s*(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+))?\s*([KMG]?)(FLOPS|MACS)?\s*$", re.IGNORECASE
)

HELP = "accepted: 300MFLOPs, 300M, 0.3GFLOPs, 3e8 (FLOPs = multiply-adds of conv and linear layers)"


class BudgetError(ValueError):
    """A budget string that is not a positive amount of MACs."""


def parse_budget(text: str) -> int:
    """'300MFLOPs' / '300M' / '0.3GFLOPs' / '3e8' -> 300_000_000 MACs; anything else is an error."""
    m = _BUDGET.match(text)
    if not m or (m.group(2) and m.group(3)):
        raise BudgetError(f"invalid budget {text!r}; {HELP}")
    mantissa, exponent, unit, _ = m.groups()
    value = float(mantissa) * 10 ** int(exponent or 0) * _UNITS[unit.upper()]
    if value < 1:
        raise BudgetError(f"invalid budget {text!r}: must be positive; {HELP}")
    return int(round(value))


def parse_limit(text: str, what: str) -> float:
    """A positive number (a latency in ms, a parameter count)."""
    try:
        value = float(text)
    except ValueError:
        raise BudgetError(f"invalid {what} {text!r}; expected a positive number") from None
    if not value > 0 or value != value or value == float("inf"):
        raise BudgetError(f"invalid {what} {text!r}; expected a positive number")
    return value


def reference_macs() -> str:
    """The convention's anchor, costed (not restated): 'MobileNetV2 1.0 @224 = 300.8M'."""
    from archsearch.baselines import get_baseline
    from archsearch.cost import cost

    return f"MobileNetV2 1.0 @224 = {cost(get_baseline('mobilenet_v2-1.0-224').config).macs / 1e6:.1f}M"
