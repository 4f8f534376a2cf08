"""Hardware profiles and calibrated latency predictors.

The search engine's interface: `load_profile(name)` -> `Profile` with `.predict(cfg)` (ms), `.name`,
`.device`, `.predict_many(cfgs)`; `list_profiles()`. Imports are lazy so the CLI starts fast.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Profile", "load_profile", "list_profiles"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from archsearch.hardware import profile

        return getattr(profile, name)
    raise AttributeError(f"module 'archsearch.hardware' has no attribute {name!r}")
