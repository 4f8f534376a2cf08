"""Search spaces, defined in YAML (`search_spaces/<name>.yaml`) and validated on load.

A space is a flat list of categorical parameters plus a decoder that turns one assignment into an
`ArchConfig`. `sample(trial)` asks Optuna (define-by-run) for each parameter, `random(rng)` draws them,
and `decode(params)` rebuilds the exact config from a stored trial's parameters. Families:

- `stages`: a MobileNet stage table (t, c, n, s, k, se, act per stage) under width alpha and resolution;
- `rexnet`: ReXNet's linear channel schedule c_i = b + i * final/N;
- `nasbench-macro`: the 3^8 NAS-Bench-Macro space (keys such as `12121212`);
- `ofa` and `fbnet`: adapters for the architectures of the latency data sets;
- `anb`: the Accel-NASBench MnasNet space (EfficientNet-B0 skeleton, ImageNet accuracies).
"""

from __future__ import annotations

import math
import random as _random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import yaml

from archsearch.arch import ACTIVATIONS, ArchConfig, Block, ConfigError, Head, Stem, make_divisible
from archsearch.resources import available, find

MIN_RESOLUTION = 32


class SpaceError(ValueError):
    """A malformed space file or an invalid choice; the message names the file, key and allowed values."""


@dataclass(frozen=True)
class Param:
    name: str
    choices: tuple[Any, ...]


# ---------------------------------------------------------------------------------------------------
# Validation helpers: every check names the file, the key path and what is allowed.


class _Reader:
    def __init__(self, path: str):
        self.path = path

    def fail(self, where: str, msg: str) -> SpaceError:
        return SpaceError(f"{self.path}: {where}: {msg}")

    def keys(self, spec: Any, where: str, required: Iterable[str], optional: Iterable[str] = ()) -> None:
        if not isinstance(spec, Mapping):
            raise self.fail(where or "top level", f"expected a mapping, got {type(spec).__name__}")
        allowed = [*required, *optional]
        for k in spec:
            if k not in allowed:
                raise self.fail(f"{where}{k}" if where else k, f"unknown key; allowed: {', '.join(allowed)}")
        for k in required:
            if k not in spec:
                raise self.fail(f"{where}{k}", "missing required key")

    def choices(self, value: Any, where: str, ok: Callable[[Any], bool], allowed: str) -> tuple[Any, ...]:
        """A scalar (fixed) or a non-empty list of choices, each checked by `ok`."""
        vals = tuple(value) if isinstance(value, list) else (value,)
        if not vals:
            raise self.fail(where, f"empty list of choices; allowed: {allowed}")
        for v in vals:
            if not ok(v):
                raise self.fail(where, f"invalid choice {v!r}; allowed: {allowed}")
        return vals


def _int_at_least(lo: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= lo


def _positive_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and v > 0


_ACTS = ", ".join(a for a in ACTIVATIONS if a != "none")
CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "t": (_int_at_least(1), "integers >= 1"),
    "c": (_int_at_least(1), "integers >= 1 (channels)"),
    "n": (_int_at_least(1), "integers >= 1 (repeats)"),
    "s": (lambda v: v in (1, 2) and not isinstance(v, bool), "1, 2"),
    "k": (lambda v: v in (3, 5, 7) and not isinstance(v, bool), "3, 5, 7"),
    "se": (lambda v: isinstance(v, bool), "true, false"),
    "act": (lambda v: v in ACTIVATIONS and v != "none", _ACTS),
    "resolution": (_int_at_least(MIN_RESOLUTION), f"integers >= {MIN_RESOLUTION}"),
    "width_mult": (_positive_number, "numbers > 0"),
    "expansion": (lambda v: _int_at_least(1)(v) and v <= 6, "integers 1..6"),
    "se_reduction": (_int_at_least(0), "integers >= 0 (0 = no SE, r = SE at 1/r of the expanded width)"),
}


# ---------------------------------------------------------------------------------------------------


class SearchSpace:
    """Base of every family: named categorical parameters and a decoder."""

    family = ""

    def __init__(self, name: str, description: str, params: list[Param], path: str = ""):
        self.name = name
        self.description = description
        self.params = params
        self.path = path

    # -- the API every family shares
    def sample(self, trial: Any) -> ArchConfig:
        """Sample with an Optuna trial (define-by-run); the trial's params decode to the same config.
        Fixed (single-choice) parameters are not suggested: `decode` fills them in."""
        return self.decode(
            {p.name: trial.suggest_categorical(p.name, list(p.choices)) for p in self.free_params}
        )

    def random(self, rng: _random.Random) -> ArchConfig:
        return self.decode(self.random_params(rng))

    def random_params(self, rng: _random.Random) -> dict[str, Any]:
        return {p.name: rng.choice(p.choices) for p in self.params}

    def decode(self, params: Mapping[str, Any]) -> ArchConfig:
        full = {}
        for p in self.params:
            if p.name not in params:
                if len(p.choices) > 1:
                    raise SpaceError(f"space {self.name}: missing parameter {p.name!r}")
                full[p.name] = p.choices[0]
            else:
                v = params[p.name]
                if v not in p.choices:
                    allowed = ", ".join(map(str, p.choices))
                    raise SpaceError(f"space {self.name}: {p.name}={v!r} is not a choice; allowed: {allowed}")
                full[p.name] = v
        return self._decode(full)

    def _decode(self, params: dict[str, Any]) -> ArchConfig:
        raise NotImplementedError

    @cached_property
    def size(self) -> int:
        """Number of parameter assignments (an upper bound on distinct networks)."""
        return math.prod(len(p.choices) for p in self.params)

    @property
    def free_params(self) -> list[Param]:
        return [p for p in self.params if len(p.choices) > 1]

    def smallest(self) -> ArchConfig:
        """The network of the space with the fewest MACs, by coordinate descent over the parameters
        (exact for these spaces, whose cost is monotone in each parameter)."""
        from archsearch.cost import cost

        params = {p.name: p.choices[0] for p in self.params}
        best = cost(self.decode(params)).macs
        improved = True
        while improved:
            improved = False
            for p in self.free_params:
                for c in p.choices:
                    trial = {**params, p.name: c}
                    m = cost(self.decode(trial)).macs
                    if m < best:
                        best, params, improved = m, trial, True
        return self.decode(params)


# ---------------------------------------------------------------------------------------------------
# stages family: MobileNetV1 / V2 stage tables under width alpha and resolution rho


def scale_channels(c: float, alpha: float, rule: str) -> int:
    """Width-multiplier rule: `divisible8` (MobileNetV2, torchvision) or `truncate` (MobileNetV1, TF-slim)."""
    if rule == "truncate":
        return max(int(c * alpha), 8)
    return make_divisible(c * alpha, 8)


def stage_blocks(
    stages: list[dict[str, Any]], cin: int, alpha: float, rule: str, kind: str, se_ratio: float
) -> list[Block]:
    """Expand stage rows (t, c, n, s, k, se, act) into blocks; only the first repeat carries the stride."""
    blocks = []
    for st in stages:
        cout = scale_channels(st["c"], alpha, rule)
        for i in range(st["n"]):
            stride = st["s"] if i == 0 else 1
            if kind == "ds":
                blocks.append(Block("ds", cin, cout, st["k"], stride, act=st["act"], skip=False))
            else:
                mid = cin * st["t"]
                se = make_divisible(mid * se_ratio, 8) if st["se"] else 0
                gate = "hsigmoid" if st["act"] == "hswish" else "sigmoid"
                blocks.append(Block("ir", cin, cout, st["k"], stride, mid, se, st["act"], gate))
            cin = cout
    return blocks


STAGE_KEYS = ("t", "c", "n", "s", "k", "se", "act")


class StagesSpace(SearchSpace):
    family = "stages"

    def __init__(self, spec: dict[str, Any], r: _Reader):
        r.keys(
            spec,
            "",
            ["name", "family", "block", "stages", "resolution", "width_mult"],
            ["description", "stem", "head", "num_classes", "width_rule", "se_ratio"],
        )
        self.block = spec["block"]
        if self.block not in ("ir", "ds"):
            raise r.fail("block", f"invalid choice {self.block!r}; allowed: ir, ds")
        self.rule = spec.get("width_rule", "divisible8")
        if self.rule not in ("divisible8", "truncate"):
            raise r.fail("width_rule", f"invalid choice {self.rule!r}; allowed: divisible8, truncate")
        self.se_ratio = float(spec.get("se_ratio", 0.25))
        self.num_classes = _num_classes(spec, r)
        stem = spec.get("stem", {})
        r.keys(stem, "stem.", [], ["channels", "kernel", "stride", "act"])
        self.stem = Stem(
            stem.get("channels", 32), stem.get("kernel", 3), stem.get("stride", 2), stem.get("act", "relu6")
        )
        head = spec.get("head", {})
        r.keys(head, "head.", [], ["channels", "act", "dropout", "scale_down"])
        self.head = (
            head.get("channels", 1280),
            head.get("act", "relu6"),
            head.get("dropout", 0.2),
            head.get("scale_down", False),
        )
        params = [
            Param("resolution", r.choices(spec["resolution"], "resolution", *CHECKS["resolution"])),
            Param("alpha", r.choices(spec["width_mult"], "width_mult", *CHECKS["width_mult"])),
        ]
        stages = spec["stages"]
        if not isinstance(stages, list) or not stages:
            raise r.fail("stages", "expected a non-empty list of stage rows")
        for i, st in enumerate(stages):
            where = f"stages[{i}]."
            r.keys(st, where, ["c", "n", "s"], ["t", "k", "se", "act"])
            for key in STAGE_KEYS:
                default = {"t": 1, "k": 3, "se": False, "act": self.stem.act}.get(key)
                val = st.get(key, default)
                params.append(Param(f"s{i}.{key}", r.choices(val, where + key, *CHECKS[key])))
        self.n_stages = len(stages)
        super().__init__(spec["name"], spec.get("description", ""), params)

    def _decode(self, p: dict[str, Any]) -> ArchConfig:
        alpha = p["alpha"]
        rows = [{k: p[f"s{i}.{k}"] for k in STAGE_KEYS} for i in range(self.n_stages)]
        return stages_config(
            rows,
            alpha,
            p["resolution"],
            self.stem,
            self.head,
            self.rule,
            self.block,
            self.se_ratio,
            self.num_classes,
        )


def stages_config(
    rows: list[dict[str, Any]],
    alpha: float,
    resolution: int,
    stem: Stem,
    head: tuple[int, str, float, bool],
    rule: str,
    kind: str,
    se_ratio: float = 0.25,
    num_classes: int = 1000,
    name: str = "",
) -> ArchConfig:
    """A MobileNet from stage rows; the head scales up with alpha > 1 but (by default) never down."""
    stem_ch = scale_channels(stem.channels, alpha, rule)
    blocks = stage_blocks(rows, stem_ch, alpha, rule, kind, se_ratio)
    head_ch, head_act, dropout, scale_down = head
    if head_ch:
        head_ch = scale_channels(head_ch, alpha if scale_down else max(1.0, alpha), rule)
    return ArchConfig(
        blocks=tuple(blocks),
        resolution=resolution,
        stem=Stem(stem_ch, stem.k, stem.stride, stem.act),
        head=Head(head_ch, head_act, 0, dropout),
        num_classes=num_classes,
        name=name,
    )


def _num_classes(spec: dict[str, Any], r: _Reader) -> int:
    n = spec.get("num_classes", 1000)
    if not _int_at_least(1)(n):
        raise r.fail("num_classes", f"invalid value {n!r}; allowed: integers >= 1")
    return n


# ---------------------------------------------------------------------------------------------------
# rexnet family: linear channel growth


def rexnet_config(
    width: float = 1.0,
    resolution: int = 224,
    depths: tuple[int, ...] = (1, 2, 2, 3, 3, 5),
    strides: tuple[int, ...] = (1, 2, 2, 2, 1, 2),
    se_stages: tuple[bool, ...] = (False, False, True, True, True, True),
    first_channels: int = 16,
    final_channels: float = 180,
    expansion: int = 6,
    se_reduction: int = 12,
    act: str = "silu",
    stem_channels: int = 32,
    num_classes: int = 1000,
    name: str = "",
) -> ArchConfig:
    """ReXNet (clovaai/rexnet `ReXNetV1`): channels grow by `final_channels / N` per block, Python round."""
    n = sum(depths)
    stem = stem_channels / width if width < 1.0 else stem_channels
    inplanes = first_channels / width if width < 1.0 else first_channels
    stem_out = int(round(stem * width))
    blocks: list[Block] = []
    i = 0
    for stage, (depth, stride, use_se) in enumerate(zip(depths, strides, se_stages, strict=True)):
        for j in range(depth):
            if i == 0:
                cin, cout = stem_out, int(round(inplanes * width))
            else:
                cin = int(round(inplanes * width))
                inplanes += final_channels / n
                cout = int(round(inplanes * width))
            t = 1 if stage == 0 else expansion
            mid = cin * t
            se = mid // se_reduction if (use_se and se_reduction) else 0
            blocks.append(Block("rex", cin, cout, 3, stride if j == 0 else 1, mid, se, act, "sigmoid", True))
            i += 1
    return ArchConfig(
        blocks=tuple(blocks),
        resolution=resolution,
        stem=Stem(stem_out, 3, 2, "silu"),
        head=Head(int(1280 * width), "silu", 0, 0.2),
        num_classes=num_classes,
        name=name,
    )


class RexNetSpace(SearchSpace):
    family = "rexnet"

    def __init__(self, spec: dict[str, Any], r: _Reader):
        keys = [
            "resolution",
            "width_mult",
            "first_channels",
            "final_channels",
            "depths",
            "expansion",
            "se_reduction",
            "act",
        ]
        r.keys(spec, "", ["name", "family", *keys], ["description", "strides", "se_stages", "num_classes"])
        self.strides = tuple(spec.get("strides", (1, 2, 2, 2, 1, 2)))
        self.se_stages = tuple(spec.get("se_stages", (False, False, True, True, True, True)))
        depths = spec["depths"]
        if (
            not isinstance(depths, list)
            or len(depths) != len(self.strides)
            or len(self.se_stages) != len(self.strides)
        ):
            raise r.fail(
                "depths",
                f"expected a list of {len(self.strides)} stages (one per stride and se_stages entry)",
            )
        for i, s in enumerate(self.strides):
            r.choices(s, f"strides[{i}]", *CHECKS["s"])
        self.num_classes = _num_classes(spec, r)
        params = [
            Param("resolution", r.choices(spec["resolution"], "resolution", *CHECKS["resolution"])),
            Param("width", r.choices(spec["width_mult"], "width_mult", *CHECKS["width_mult"])),
            Param("first_channels", r.choices(spec["first_channels"], "first_channels", *CHECKS["c"])),
            Param("final_channels", r.choices(spec["final_channels"], "final_channels", *CHECKS["c"])),
            *[Param(f"depth{i}", r.choices(d, f"depths[{i}]", *CHECKS["n"])) for i, d in enumerate(depths)],
            Param("expansion", r.choices(spec["expansion"], "expansion", *CHECKS["expansion"])),
            Param("se_reduction", r.choices(spec["se_reduction"], "se_reduction", *CHECKS["se_reduction"])),
            Param("act", r.choices(spec["act"], "act", *CHECKS["act"])),
        ]
        self.n_stages = len(depths)
        super().__init__(spec["name"], spec.get("description", ""), params)

    def _decode(self, p: dict[str, Any]) -> ArchConfig:
        return rexnet_config(
            width=p["width"],
            resolution=p["resolution"],
            depths=tuple(p[f"depth{i}"] for i in range(self.n_stages)),
            strides=self.strides,
            se_stages=self.se_stages,
            first_channels=p["first_channels"],
            final_channels=p["final_channels"],
            expansion=p["expansion"],
            se_reduction=p["se_reduction"],
            act=p["act"],
            num_classes=self.num_classes,
        )


# ---------------------------------------------------------------------------------------------------
# nasbench-macro: 8 layers over {0: identity, 1: ir e3 k3, 2: ir e6 k5}; stages [2, 3, 3]


NBM_STAGES = (2, 3, 3)
NBM_OPS = {"1": (3, 3), "2": (6, 5)}  # op -> (expansion, kernel)


def nasbench_macro_config(key: str) -> ArchConfig:
    """The NAS-Bench-Macro network of `key` (8 characters over 0/1/2) on 32x32 CIFAR-10."""
    if len(key) != 8 or set(key) - set("012"):
        raise SpaceError(f"invalid NAS-Bench-Macro key {key!r}; allowed: 8 characters over 0, 1, 2")
    blocks, cin, i = [], 32, 0
    for depth in NBM_STAGES:
        for j in range(depth):
            op = key[i]
            stride, cout = (2, cin * 2) if j == 0 else (1, cin)
            if op == "0":
                blocks.append(Block("proj", cin, cout, 1, stride) if j == 0 else Block("skip", cin, cout))
            else:
                t, k = NBM_OPS[op]
                blocks.append(Block("ir", cin, cout, k, stride, cin * t, act="relu"))
            cin, i = cout, i + 1
    return ArchConfig(
        blocks=tuple(blocks),
        resolution=32,
        stem=Stem(32, 3, 1, "relu"),
        head=Head(1280, "relu", 0, 0.0),
        num_classes=10,
        name=f"nbm-{key}",
    )


class NasBenchMacroSpace(SearchSpace):
    family = "nasbench-macro"

    def __init__(self, spec: dict[str, Any], r: _Reader):
        r.keys(spec, "", ["name", "family"], ["description"])
        params = [Param(f"l{i}", ("0", "1", "2")) for i in range(8)]
        super().__init__(spec["name"], spec.get("description", ""), params)

    def _decode(self, p: dict[str, Any]) -> ArchConfig:
        return nasbench_macro_config(self.key(p))

    @staticmethod
    def key(params: Mapping[str, Any]) -> str:
        return "".join(str(params[f"l{i}"]) for i in range(8))

    @staticmethod
    def params_of(key: str) -> dict[str, str]:
        return {f"l{i}": c for i, c in enumerate(key)}

    @staticmethod
    def canonical_key(key: str) -> str:
        """Identity layers inside a stage are interchangeable: move them to the end of the stage."""
        out, i = [], 0
        for depth in NBM_STAGES:
            first, rest = key[i], key[i + 1 : i + depth]
            ops = [c for c in rest if c != "0"]
            out.append(first + "".join(ops) + "0" * (len(rest) - len(ops)))
            i += depth
        return "".join(out)


# ---------------------------------------------------------------------------------------------------
# ofa: MobileNetV3-style space of once-for-all (used by the GPU latency data)

OFA_WIDTHS = (24, 40, 80, 112, 160)
OFA_STRIDES = (2, 2, 2, 1, 2)
OFA_ACTS = ("relu", "relu", "hswish", "hswish", "hswish")
OFA_SE = (False, True, False, True, True)


def ofa_config(
    resolution: int,
    depths: Iterable[int],
    kernels: Iterable[int],
    expands: Iterable[int],
    num_classes: int = 1000,
) -> ArchConfig:
    """A once-for-all MobileNetV3 network (`ofa_mbv3.py`): 4 slots per stage, slots past the depth unused."""
    depths, kernels, expands = list(depths), list(kernels), list(expands)
    blocks = [Block("ir", 16, 16, 3, 1, 16, 0, "relu")]
    cin = 16
    for st, (d, width, stride, act, se) in enumerate(
        zip(depths, OFA_WIDTHS, OFA_STRIDES, OFA_ACTS, OFA_SE, strict=True)
    ):
        for j in range(d):
            k, e = kernels[4 * st + j], expands[4 * st + j]
            mid = make_divisible(cin * e, 8)
            se_ch = make_divisible(mid // 4, 8) if se else 0
            blocks.append(Block("ir", cin, width, k, stride if j == 0 else 1, mid, se_ch, act, "hsigmoid"))
            cin = width
    return ArchConfig(
        blocks=tuple(blocks),
        resolution=resolution,
        stem=Stem(16, 3, 2, "hswish"),
        head=Head(960, "hswish", 1280, 0.1),
        num_classes=num_classes,
    )


class OfaSpace(SearchSpace):
    family = "ofa"

    def __init__(self, spec: dict[str, Any], r: _Reader):
        r.keys(spec, "", ["name", "family", "resolution", "depth", "kernel", "expansion"], ["description"])
        res = r.choices(spec["resolution"], "resolution", *CHECKS["resolution"])
        depth = r.choices(spec["depth"], "depth", lambda v: v in (1, 2, 3, 4), "1, 2, 3, 4")
        kernel = r.choices(spec["kernel"], "kernel", *CHECKS["k"])
        exp = r.choices(spec["expansion"], "expansion", *CHECKS["expansion"])
        params = [Param("resolution", res)]
        params += [Param(f"d{s}", depth) for s in range(5)]
        params += [Param(f"k{s}_{j}", kernel) for s in range(5) for j in range(4)]
        params += [Param(f"e{s}_{j}", exp) for s in range(5) for j in range(4)]
        super().__init__(spec["name"], spec.get("description", ""), params)

    def _decode(self, p: dict[str, Any]) -> ArchConfig:
        return ofa_config(
            p["resolution"],
            [p[f"d{s}"] for s in range(5)],
            [p[f"k{s}_{j}"] for s in range(5) for j in range(4)],
            [p[f"e{s}_{j}"] for s in range(5) for j in range(4)],
        )


# ---------------------------------------------------------------------------------------------------
# fbnet: the FBNet space at CIFAR-100 input (HW-NAS-Bench), used by the phone latency data

FBNET_OPS = ("k3_e1", "k3_e1_g2", "k3_e3", "k3_e6", "k5_e1", "k5_e1_g2", "k5_e3", "k5_e6", "skip")
FBNET_DEPTHS = (1, 4, 4, 4, 4, 4, 1)
FBNET_WIDTHS = (16, 24, 32, 64, 112, 184, 352)
FBNET_STRIDES = (1, 1, 2, 2, 1, 2, 1)


def fbnet_config(ops: Iterable[str], num_classes: int = 100) -> ArchConfig:
    """An FBNet-space network at 32x32; `skip` is an identity, or a 1x1 conv where the shape changes."""
    ops = list(ops)
    if len(ops) != sum(FBNET_DEPTHS) or any(o not in FBNET_OPS for o in ops):
        raise SpaceError(f"FBNet needs {sum(FBNET_DEPTHS)} ops from: {', '.join(FBNET_OPS)}")
    blocks, cin, i = [], 16, 0
    for depth, width, stride in zip(FBNET_DEPTHS, FBNET_WIDTHS, FBNET_STRIDES, strict=True):
        for j in range(depth):
            s = stride if j == 0 else 1
            op = ops[i]
            if op == "skip":
                same = s == 1 and cin == width
                blocks.append(Block("skip", cin, width) if same else Block("proj", cin, width, 1, s))
            else:
                parts = op.split("_")
                k, e, g = int(parts[0][1:]), int(parts[1][1:]), 2 if len(parts) == 3 else 1
                blocks.append(Block("ir", cin, width, k, s, cin * e, act="relu", groups=g))
            cin, i = width, i + 1
    return ArchConfig(
        blocks=tuple(blocks),
        resolution=32,
        stem=Stem(16, 3, 1, "relu"),
        head=Head(1504, "relu", 0, 0.0),
        num_classes=num_classes,
    )


class FbnetSpace(SearchSpace):
    family = "fbnet"

    def __init__(self, spec: dict[str, Any], r: _Reader):
        r.keys(spec, "", ["name", "family"], ["description", "ops"])
        ops = r.choices(
            spec.get("ops", list(FBNET_OPS)), "ops", lambda v: v in FBNET_OPS, ", ".join(FBNET_OPS)
        )
        params = [Param(f"op{i}", ops) for i in range(sum(FBNET_DEPTHS))]
        super().__init__(spec["name"], spec.get("description", ""), params)

    def _decode(self, p: dict[str, Any]) -> ArchConfig:
        return fbnet_config([p[f"op{i}"] for i in range(sum(FBNET_DEPTHS))])


# ---------------------------------------------------------------------------------------------------
# anb: the Accel-NASBench MnasNet space (EfficientNet-B0 skeleton), whose networks have ImageNet accuracies

ANB_STAGES = ((32, 16, 1), (16, 24, 2), (24, 40, 2), (40, 80, 2), (80, 112, 1), (112, 192, 2), (192, 320, 1))
_ANB_SE = (lambda v: v in (0, 1) and not isinstance(v, bool), "0, 1")
ANB_KEYS = (("expand", "e", CHECKS["t"]), ("kernel", "k", CHECKS["k"]), ("layers", "l", CHECKS["n"]),
            ("se", "se", _ANB_SE))  # fmt: skip
"""(YAML key, Optuna parameter prefix, check) of the four per-stage choices."""


def anb_config(
    expand: Sequence[int],
    kernel: Sequence[int],
    layers: Sequence[int],
    se: Sequence[int],
    act: str = "silu",
    name: str = "",
) -> ArchConfig:
    """An Accel-NASBench network from its 7 per-stage (expand, kernel, layers, se) values at 224 px.
    The SE squeeze runs ReLU here (archsearch's SE), swish in EfficientNet: same params and MACs."""
    _check_anb(expand, kernel, layers, se)
    blocks: list[Block] = []
    for (cin, cout, stride), e, k, depth, s in zip(ANB_STAGES, expand, kernel, layers, se, strict=True):
        for j in range(depth):
            se_ch = max(1, int(0.25 * cin)) if s else 0
            blocks.append(Block("ir", cin, cout, k, stride if j == 0 else 1, cin * e, se_ch, act, "sigmoid"))
            cin = cout
    return ArchConfig(
        blocks=tuple(blocks),
        resolution=224,
        stem=Stem(32, 3, 2, act),
        head=Head(1280, act, 0, 0.2),
        num_classes=1000,
        name=name,
    )


def _check_anb(
    expand: Sequence[int], kernel: Sequence[int], layers: Sequence[int], se: Sequence[int]
) -> None:
    """Lengths and the values Block cannot check itself (expand 0 would silently mean no expansion)."""
    n = len(ANB_STAGES)
    if not all(len(v) == n for v in (expand, kernel, layers, se)):
        raise SpaceError(f"Accel-NASBench needs {n} values each of expand, kernel, layers and se")
    if min(expand) < 1 or min(layers) < 1 or set(se) - {0, 1}:
        raise SpaceError(
            f"Accel-NASBench: expand and layers must be >= 1, se 0 or 1; got {expand} {layers} {se}"
        )


class AnbSpace(SearchSpace):
    """Per-stage expand, kernel, layers and se choices; channels, strides and resolution are fixed."""

    family = "anb"

    def __init__(self, spec: dict[str, Any], r: _Reader):
        r.keys(spec, "", ["name", "family", *(key for key, _, _ in ANB_KEYS)], ["description", "act"])
        act = spec.get("act", "silu")
        if isinstance(act, list) or not CHECKS["act"][0](act):
            raise r.fail("act", f"invalid value {act!r}; allowed: one of {CHECKS['act'][1]}")
        self.act = act
        n = len(ANB_STAGES)
        params = []
        for key, short, (ok, allowed) in ANB_KEYS:
            stages = spec[key]
            if not isinstance(stages, list) or len(stages) != n:
                raise r.fail(key, f"expected a list of {n} stages, each a value or a list of choices")
            params += [
                Param(f"{short}{i}", r.choices(v, f"{key}[{i}]", ok, allowed)) for i, v in enumerate(stages)
            ]
        super().__init__(spec["name"], spec.get("description", ""), params)

    def _decode(self, p: dict[str, Any]) -> ArchConfig:
        n = len(ANB_STAGES)
        return anb_config(*([p[f"{short}{i}"] for i in range(n)] for _, short, _ in ANB_KEYS), act=self.act)

    @staticmethod
    def params_of(
        expand: Sequence[int], kernel: Sequence[int], layers: Sequence[int], se: Sequence[int]
    ) -> dict[str, int]:
        """The Optuna parameters (`e0..e6`, `k0..k6`, `l0..l6`, `se0..se6`) that decode to this network."""
        values = (expand, kernel, layers, se)
        _check_anb(*values)
        return {
            f"{short}{i}": int(v)
            for (_, short, _), vs in zip(ANB_KEYS, values, strict=True)
            for i, v in enumerate(vs)
        }


# ---------------------------------------------------------------------------------------------------

FAMILIES: dict[str, type[SearchSpace]] = {
    cls.family: cls for cls in (StagesSpace, RexNetSpace, NasBenchMacroSpace, OfaSpace, FbnetSpace, AnbSpace)
}


def load_space(name_or_path: str) -> SearchSpace:
    """Load and validate a space by name (`mbv2`) or YAML path."""
    path = find("search_spaces", name_or_path)
    return parse_space(path.read_text(), str(path))


def parse_space(text: str, path: str = "<string>") -> SearchSpace:
    r = _Reader(path)
    try:
        spec = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f"line {mark.line + 1}" if mark else "YAML"
        raise SpaceError(f"{path}: {line}: malformed YAML: {getattr(e, 'problem', e)}") from None
    if not isinstance(spec, dict):
        raise r.fail("top level", "expected a mapping with keys name, family, ...")
    family = spec.get("family")
    if family not in FAMILIES:
        raise r.fail("family", f"invalid choice {family!r}; allowed: {', '.join(FAMILIES)}")
    try:
        space = FAMILIES[family](spec, r)
    except ConfigError as e:
        raise r.fail("space", str(e)) from None
    space.path = path
    return space


def list_spaces() -> list[str]:
    return available("search_spaces")
