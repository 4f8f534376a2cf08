"""Shape features of kernels, the common input of every latency predictor.

A workload (a whole network, or one block timed alone in a lookup table) is a tuple of `Part`s: the
stem, each block, the head. A part keeps its kernels (from `archsearch.kernels`, the lowering the cost
model uses) and a hashable key, so a per-kernel model and a per-block table read the same data.

Per kernel the features are its compute (MACs), its memory traffic (float32 bytes of input, output and
weights) and a count (per-kernel overhead), each in the column of its group (dense conv, 1x1 conv,
grouped 1x1, depthwise 3/5/7, SE, add, pool, linear), plus the elements that pass through a separate
activation. Both compute and memory terms scale soundly with width and resolution, which a table keyed
on shapes cannot do.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from archsearch.arch import ArchConfig, Block, feature_sizes
from archsearch.cost import BYTES_PER_ELEMENT, kernel_macs
from archsearch.kernels import Kernel, block_kernels, head_kernels

GROUPS = ("conv", "pw", "pwg", "dw3", "dw5", "dw7", "se", "add", "pool", "linear")
TERMS = ("macs", "bytes", "count")
ACT_COLUMNS = {"relu": "act_relu", "relu6": "act_relu", "hswish": "act_hswish", "silu": "act_silu"}
COLUMNS: tuple[str, ...] = (
    *(f"{g}.{t}" for g in GROUPS for t in TERMS),
    "act_relu",
    "act_hswish",
    "act_silu",
    "network",
)
INDEX = {c: i for i, c in enumerate(COLUMNS)}
# Features are stored in these units so coefficients read as ms per MMAC, ms per MB, ms per kernel.
UNITS = {"macs": 1e6, "bytes": 1e6, "count": 1.0}


class Part(NamedTuple):
    """One block (or the stem, or the head) of a workload: a text key (its exact shapes, used by table
    predictors and as the feature cache key), the kernels it runs and a label for messages."""

    key: str
    kernels: tuple[Kernel, ...]
    label: str


def kernel_group(k: Kernel) -> str:
    if k.kind == "dw":
        return f"dw{k.k}" if k.k in (3, 5, 7) else "dw3"
    if k.kind == "pw":
        return "pwg" if k.groups > 1 else "pw"
    return k.kind


def kernel_bytes(k: Kernel) -> int:
    """float32 bytes a kernel reads and writes (activations and weights), its memory traffic."""
    a_in, a_out = k.cin * k.h_in * k.h_in, k.cout * k.h_out * k.h_out
    if k.kind == "se":  # pool reads x, the gate multiply reads x and writes the result
        elems = 3 * a_in + 2 * k.cin * k.se_mid
    elif k.kind == "add":
        elems = 3 * a_out
    elif k.kind == "pool":
        elems = a_in + k.cout
    else:
        elems = a_in + a_out + k.k * k.k * (k.cin // k.groups) * k.cout
    return elems * BYTES_PER_ELEMENT


def kernel_features(k: Kernel) -> np.ndarray:
    v = np.zeros(len(COLUMNS))
    g = kernel_group(k)
    v[INDEX[f"{g}.macs"]] = kernel_macs(k) / UNITS["macs"]
    v[INDEX[f"{g}.bytes"]] = kernel_bytes(k) / UNITS["bytes"]
    v[INDEX[f"{g}.count"]] = 1.0
    act = ACT_COLUMNS.get(k.act)
    if act and k.kind != "se":
        v[INDEX[act]] += k.cout * k.h_out * k.h_out / UNITS["macs"]
    return v


_CACHE: dict[str, np.ndarray] = {}
_CACHE_LIMIT = 200_000


def part_features(part: Part) -> np.ndarray:
    """Feature vector of one part, cached by its key (spaces reuse the same blocks at the same sides)."""
    v = _CACHE.get(part.key)
    if v is None:
        v = np.zeros(len(COLUMNS))
        for k in part.kernels:
            v += kernel_features(k)
        v.flags.writeable = False
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        _CACHE[part.key] = v
    return v


@lru_cache(maxsize=65536)
def block_part(b: Block, h: int) -> Part:
    kernels = block_kernels(b, h)
    label = (
        f"{b.kind}({b.cin}->{b.cout}, k{b.k}, s{b.stride}, mid {b.mid}, se {b.se}, g{b.groups}) at {h}x{h}"
    )
    key = f"{b.kind}:{b.cin}:{b.cout}:k{b.k}:s{b.stride}:m{b.mid}:se{b.se}:{b.act}:{b.se_gate}:{b.se_bn:d}:g{b.groups}"
    return Part(f"{key}:{'skip' if b.residual else 'noskip'}@{h}", kernels, label)


def kernels_key(role: str, kernels: tuple[Kernel, ...]) -> str:
    return role + "|" + "|".join(":".join(map(str, k[1:14])) for k in kernels)


def network_parts(cfg: ArchConfig) -> tuple[Part, ...]:
    """Stem, blocks and head of a network as parts (kernels identical to `kernels.decompose`)."""
    sides = feature_sizes(cfg)
    s = cfg.stem
    stem = Kernel("stem", "conv", cfg.in_chans, s.channels, s.k, s.stride, 1, cfg.resolution, sides[0], s.act)
    parts = [Part(kernels_key("stem", (stem,)), (stem,), f"stem conv at {cfg.resolution}x{cfg.resolution}")]
    parts += [block_part(b, h) for b, h in zip(cfg.blocks, sides, strict=False)]
    head = tuple(head_kernels(cfg, sides[-1]))
    parts.append(Part(kernels_key("head", head), head, f"head at {sides[-1]}x{sides[-1]}"))
    return tuple(parts)


def network_features(cfg: ArchConfig) -> np.ndarray:
    """Sum of the part features plus the one per-network term."""
    v = np.zeros(len(COLUMNS))
    for p in network_parts(cfg):
        v += part_features(p)
    v[INDEX["network"]] = 1.0
    return v
