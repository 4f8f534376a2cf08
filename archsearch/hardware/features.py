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
from types import SimpleNamespace
from typing import NamedTuple

import numpy as np

from archsearch.arch import ArchConfig, Block, Head, Stem, feature_sizes
from archsearch.cost import BYTES_PER_ELEMENT, kernel_macs
from archsearch.hardware.errors import UncoveredError
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
    block: Block | None = None  # the block itself (None for the stem and head), for micro-benchmarks


def kernel_group(k: Kernel) -> str:
    """The feature group of a kernel. The task heads' kernels borrow groups a profile was fitted on: a
    dense conv other than the stem (DeepLab's ASPP) the 1x1 conv's (the `conv` group is fitted on stems,
    where compute is a small part of the time), upsampling and concatenation the residual add's (they
    only move data), a dilated depthwise conv the depthwise group of its kernel size."""
    if k.kind in ("upsample", "concat"):
        return "add"
    if k.kind == "conv" and k.role != "stem":
        return "pw"
    if k.kind == "dw":
        if k.k not in (3, 5, 7):
            raise UncoveredError(f"no latency model for a {k.k}x{k.k} depthwise conv (kernels 3, 5, 7 only)")
        return f"dw{k.k}"
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
    elif k.kind in ("upsample", "concat"):
        elems = a_in + a_out
    else:
        elems = a_in + a_out + k.k * k.k * (k.cin // k.groups) * k.cout
    return elems * BYTES_PER_ELEMENT


_GROUP_COLUMNS = {g: tuple(INDEX[f"{g}.{t}"] for t in TERMS) for g in GROUPS}
_ACT_INDEX = {a: INDEX[c] for a, c in ACT_COLUMNS.items()}


def add_kernel(v: np.ndarray | list[float], k: Kernel) -> None:
    """Add the features of kernel `k` into the vector `v` (in place: this is the predictor's hot path)."""
    i_macs, i_bytes, i_count = _GROUP_COLUMNS[kernel_group(k)]
    v[i_macs] += kernel_macs(k) / UNITS["macs"]
    v[i_bytes] += kernel_bytes(k) / UNITS["bytes"]
    v[i_count] += 1.0
    act = _ACT_INDEX.get(k.act)
    if act is not None and k.kind != "se":
        v[act] += k.cout * k.h_out * k.h_out / UNITS["macs"]


def kernel_features(k: Kernel) -> np.ndarray:
    v = np.zeros(len(COLUMNS))
    add_kernel(v, k)
    return v


def _conv(
    v: list[float], group: str, cin: int, cout: int, k: int, groups: int, h: int, ho: int, act: str
) -> None:
    w = k * k * (cin // groups) * cout
    i_macs, i_bytes, i_count = _GROUP_COLUMNS[group]
    v[i_macs] += w * ho * ho / UNITS["macs"]
    v[i_bytes] += (cin * h * h + cout * ho * ho + w) * BYTES_PER_ELEMENT / UNITS["bytes"]
    v[i_count] += 1.0
    if act in _ACT_INDEX:
        v[_ACT_INDEX[act]] += cout * ho * ho / UNITS["macs"]


def _dw_group(k: int) -> str:
    if k not in (3, 5, 7):
        raise UncoveredError(f"no latency model for a {k}x{k} depthwise conv (kernels 3, 5, 7 only)")
    return f"dw{k}"


@lru_cache(maxsize=65536)
def block_features(b: Block, h: int) -> np.ndarray:
    """Features of one block entering at side `h`: `add_kernel` summed over `block_kernels(b, h)`, written
    out for the kinds ir, rex, ds, proj and skip because this is the search's hot path (no Kernel objects;
    `tests/test_hardware_features.py` holds the two equal); any other kind described in
    `archsearch.blocks` takes the kernel walk, with no code of its own."""
    if b.kind not in _CLOSED_FORM_KINDS:
        v = [0.0] * len(COLUMNS)
        for k in block_kernels(b, h):
            add_kernel(v, k)
    else:
        v = _closed_form(b, h)
    out = np.array(v)
    out.flags.writeable = False
    return out


_CLOSED_FORM_KINDS = ("ir", "rex", "ds", "proj", "skip")


def _closed_form(b: Block, h: int) -> list[float]:
    v = [0.0] * len(COLUMNS)
    ho = (h - 1) // b.stride + 1
    pw = "pwg" if b.groups > 1 else "pw"
    if b.kind == "skip":  # an identity runs no kernel
        pass
    elif b.kind == "proj":
        _conv(v, "pw", b.cin, b.cout, 1, 1, h, ho, "none")
    elif b.kind == "ds":
        _conv(v, _dw_group(b.k), b.cin, b.cin, b.k, b.cin, h, ho, b.act)
        _conv(v, pw, b.cin, b.cout, 1, b.groups, ho, ho, b.act)
    elif b.kind in ("ir", "rex"):
        if b.expands:
            _conv(v, pw, b.cin, b.mid, 1, b.groups, h, h, b.act)
        _conv(v, _dw_group(b.k), b.mid, b.mid, b.k, b.mid, h, ho, "none" if b.kind == "rex" else b.act)
        if b.se:
            i_macs, i_bytes, i_count = _GROUP_COLUMNS["se"]
            v[i_macs] += 2 * b.mid * b.se / UNITS["macs"]
            v[i_bytes] += (3 * b.mid * ho * ho + 2 * b.mid * b.se) * BYTES_PER_ELEMENT / UNITS["bytes"]
            v[i_count] += 1.0
        _conv(v, pw, b.mid, b.cout, 1, b.groups, ho, ho, "none")
    if b.residual and b.kind != "skip":
        ch = b.cin if b.residual == "partial" else b.cout
        i_macs, i_bytes, i_count = _GROUP_COLUMNS["add"]
        v[i_bytes] += 3 * ch * ho * ho * BYTES_PER_ELEMENT / UNITS["bytes"]
        v[i_count] += 1.0
    return v


_CACHE: dict[str, np.ndarray] = {}
_CACHE_LIMIT = 200_000


def part_features(part: Part) -> np.ndarray:
    """Feature vector of one part, cached by its key (spaces reuse the same blocks at the same sides)."""
    if part.block is not None:
        return block_features(part.block, part.kernels[0].h_in if part.kernels else 1)
    v = _CACHE.get(part.key)
    if v is None:
        v = np.zeros(len(COLUMNS))
        for k in part.kernels:
            add_kernel(v, k)
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
    return Part(f"{key}:{'skip' if b.residual else 'noskip'}@{h}", kernels, label, b)


_KEY_FIELDS = (
    "kind",
    "cin",
    "cout",
    "k",
    "stride",
    "groups",
    "h_in",
    "h_out",
    "act",
    "bn",
    "bias",
    "se_mid",
    "se_bn",
)


def kernels_key(role: str, kernels: tuple[Kernel, ...]) -> str:
    """Text key of a stem/head part; the field order is fixed (keys are stored in lookup tables)."""
    return role + "|" + "|".join(":".join(str(getattr(k, f)) for f in _KEY_FIELDS) for k in kernels)


def stem_head_parts(cfg: ArchConfig, sides: list[int]) -> tuple[Part, Part]:
    return (
        _stem_part(cfg.in_chans, cfg.stem, cfg.resolution, sides[0]),
        _head_part(cfg.head, cfg.last_channels, sides[-1], cfg.num_classes),
    )


def network_parts(cfg: ArchConfig) -> tuple[Part, ...]:
    """Stem, blocks and head of a network as parts (kernels identical to `kernels.decompose`)."""
    sides = feature_sizes(cfg)
    return (
        _stem_part(cfg.in_chans, cfg.stem, cfg.resolution, sides[0]),
        *[block_part(b, h) for b, h in zip(cfg.blocks, sides, strict=False)],
        _head_part(cfg.head, cfg.last_channels, sides[-1], cfg.num_classes),
    )


@lru_cache(maxsize=4096)
def _stem_part(in_chans: int, s: Stem, resolution: int, side: int) -> Part:
    stem = Kernel(role="stem", kind="conv", cin=in_chans, cout=s.channels, k=s.k, stride=s.stride,
                  h_in=resolution, h_out=side, act=s.act)  # fmt: skip
    return Part(kernels_key("stem", (stem,)), (stem,), f"stem conv at {resolution}x{resolution}")


@lru_cache(maxsize=4096)
def _head_part(head: Head, channels: int, side: int, num_classes: int) -> Part:
    # head_kernels reads only these fields of the config
    cfg = SimpleNamespace(head=head, last_channels=channels, num_classes=num_classes)
    kernels = tuple(head_kernels(cfg, side))  # type: ignore[arg-type]
    return Part(kernels_key("head", kernels), kernels, f"head at {side}x{side}")
