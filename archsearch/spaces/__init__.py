"""Search spaces, defined in YAML (`search_spaces/<name>.yaml`) and validated on load.

`base` holds what every family shares (`SearchSpace`, `Param`, the reader's checks, `load_space`); each
family is one module that registers itself in `SPACE_FAMILIES` under the name a file's `family:` gives:
`stages` (MobileNet stage tables), `rexnet`, `nasbench-macro`, `ofa`, `fbnet`, `anb` (Accel-NASBench).
"""

from archsearch.spaces.anb import ANB_KEYS, ANB_STAGES, AnbSpace, anb_config
from archsearch.spaces.base import (
    CHECKS,
    MIN_RESOLUTION,
    SPACE_FAMILIES,
    Param,
    SearchSpace,
    SpaceError,
    list_spaces,
    load_space,
    parse_space,
    register_family,
)
from archsearch.spaces.fbnet import FBNET_OPS, FbnetSpace, fbnet_config
from archsearch.spaces.nasbench_macro import NBM_STAGES, NasBenchMacroSpace, nasbench_macro_config
from archsearch.spaces.ofa import OfaSpace, ofa_config
from archsearch.spaces.rexnet import RexNetSpace, rexnet_config
from archsearch.spaces.stages import StagesSpace, scale_channels, stages_config

__all__ = [
    "ANB_KEYS",
    "ANB_STAGES",
    "CHECKS",
    "FBNET_OPS",
    "MIN_RESOLUTION",
    "NBM_STAGES",
    "SPACE_FAMILIES",
    "AnbSpace",
    "FbnetSpace",
    "NasBenchMacroSpace",
    "OfaSpace",
    "Param",
    "RexNetSpace",
    "SearchSpace",
    "SpaceError",
    "StagesSpace",
    "anb_config",
    "fbnet_config",
    "list_spaces",
    "load_space",
    "nasbench_macro_config",
    "ofa_config",
    "parse_space",
    "register_family",
    "rexnet_config",
    "scale_channels",
    "stages_config",
]
