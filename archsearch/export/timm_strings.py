"""The `timm` export: timm arch strings (`timm.models._efficientnet_builder.decode_arch_def`) plus the
model arguments that make timm's EfficientNet / MobileNetV3 class build the same network.

Only what the strings can express exactly is exported; anything else is refused with one line that says
why (ReXNet blocks, 1x1 projections, grouped 1x1 convs, channels that timm would round to a multiple of
8, ...). Mapping (REFERENCE.md section 4): `ir` with expansion -> `ir`, `ir` without -> `ds` (linear
pointwise), `ds` -> `dsa` (pointwise activation, no skip); identity blocks are dropped (they compute
nothing); one stage list per config-rows stage, so strided blocks always open a stage; consecutive equal
blocks fold into `r<n>`. timm names modules differently, so archsearch weights do not load by name."""

from __future__ import annotations

from archsearch.arch import ArchConfig, Block, make_divisible
from archsearch.blocks import block_ops
from archsearch.export import ExportError
from archsearch.export.rows import group_stages

ACT_CODES = {"relu": "re", "relu6": "r6", "hswish": "hs", "silu": "sw"}
ACT_CLASSES = {"relu": "nn.ReLU", "relu6": "nn.ReLU6", "hswish": "nn.Hardswish", "silu": "nn.SiLU"}
GATES = {"sigmoid": "sigmoid", "hsigmoid": "hard_sigmoid"}
TIMM_KINDS = ("ir", "ds", "skip", "rex", "proj")  # rex and proj are refused with their own reason below


def _refuse(cfg: ArchConfig, why: str) -> ExportError:
    return ExportError(f"cannot express {cfg.name or cfg.id} as timm arch strings: {why}")


def _short(x: float) -> str:
    return f"{x:.4g}"


def _se_option(b: Block, exp: float, se_from_exp: bool) -> str | None:
    """`se<r>` that gives SE width b.se through timm's `round_channels` rounding, or None."""
    base = b.mid if se_from_exp else b.mid / exp  # timm: rd = round_channels(mid * r) or (mid * r / exp)
    r = _short(b.se / base)
    return f"se{r}" if make_divisible(base * float(r), 8) == b.se else None


def _check(cfg: ArchConfig) -> None:
    s, hd = cfg.stem, cfg.head
    if s.k != 3 or s.stride != 2:
        raise _refuse(cfg, f"timm's stem is a 3x3 stride-2 conv, this one is {s.k}x{s.k} stride {s.stride}")
    for b in cfg.blocks:
        where = f"block {b.kind}({b.cin}->{b.cout})"
        if b.kind not in TIMM_KINDS:
            raise _refuse(cfg, f"{where}: block kind {b.kind!r} has no timm string form")
        if b.kind == "rex":
            raise _refuse(
                cfg, "ReXNet blocks (partial residual, SE with BN, ReLU6 after SE) have no timm string form"
            )
        if b.kind == "proj":
            raise _refuse(cfg, f"{where}: a linear 1x1 projection has no timm block (cn always activates)")
        if b.groups != 1:
            raise _refuse(cfg, f"{where}: grouped 1x1 convs (groups={b.groups}) have no timm string option")
        if b.kind == "ds" and b.residual:
            raise _refuse(cfg, f"{where}: timm's dsa block never has a skip connection")
        if "none" in (b.act, s.act, hd.act):
            raise _refuse(cfg, "activation 'none' has no timm string code")
        if b.se_bn:
            raise _refuse(cfg, f"{where}: SE with BatchNorm has no timm string form")
    gates = {b.se_gate for b in cfg.blocks if b.se}
    if len(gates) > 1:
        raise _refuse(cfg, "SE gates differ between blocks; timm sets one gate per model")
    if hd.act != s.act:
        raise _refuse(cfg, f"timm uses one activation for stem and head; here {s.act} and {hd.act}")
    widths = [("stem", s.channels), ("head", hd.channels), ("post-pool", hd.post_pool)]
    widths += [(f"block {i} output", b.cout) for i, b in enumerate(cfg.blocks)]
    for what, ch in widths:
        if ch % 8:
            raise _refuse(cfg, f"{what} has {ch} channels; timm rounds channels to multiples of 8")


def _block_string(b: Block, stride: int, default_act: str, se_from_exp: bool) -> str:
    if b.kind == "ds":
        parts = ["dsa", f"k{b.k}", f"s{stride}"]
        exp = 1.0
    elif b.expands:
        exp = float(_short(b.mid / b.cin))
        if make_divisible(b.cin * exp, 8) != b.mid:
            raise ExportError(f"cannot express block ir({b.cin}->{b.cout}) as timm arch strings: expanded width "
                              f"{b.mid} is not make_divisible({b.cin} * e, 8) for a short e")  # fmt: skip
        parts = ["ir", f"k{b.k}", f"s{stride}", f"e{_short(exp)}"]
    else:
        exp = 1.0
        parts = ["ds", f"k{b.k}", f"s{stride}"]
    parts.append(f"c{b.cout}")
    if b.se:
        se = _se_option(b, exp, se_from_exp)
        if se is None:
            raise ExportError(f"cannot express block {b.kind}({b.cin}->{b.cout}) as timm arch strings: "
                              f"SE width {b.se} is not timm's rounding of a ratio")  # fmt: skip
        parts.append(se)
    if b.act != default_act:
        parts.append(f"n{ACT_CODES[b.act]}")
    if b.kind == "ir" and not b.skip and b.residual == "" and b.stride == 1 and b.cin == b.cout:
        parts.append("noskip")
    return "_".join(parts)


def _fold(strings: list[str]) -> list[str]:
    """Consecutive equal block strings (stride aside: only a stage's first block strides) -> r<n>."""
    out: list[tuple[str, int]] = []
    for s in strings:
        key = s.replace("_s2_", "_s1_")
        if out and out[-1][0].replace("_s2_", "_s1_") == key:
            out[-1] = (out[-1][0], out[-1][1] + 1)
        else:
            out.append((s, 1))
    return [s.replace("_", f"_r{n}_", 1) for s, n in out]


def arch_def(cfg: ArchConfig) -> tuple[list[list[str]], str]:
    """(stage lists of block strings, timm class name); raises ExportError when not expressible."""
    _check(cfg)
    use_mnv3 = cfg.head.post_pool > 0  # MobileNetV3's head: pool, then a 1x1 conv + act (our post_pool)
    stages = []
    for stage in group_stages([b for b in cfg.blocks if block_ops(b)]):
        strings = [
            _block_string(b, b.stride if i == 0 else 1, cfg.stem.act, use_mnv3) for i, b in enumerate(stage)
        ]
        stages.append(_fold(strings))
    if use_mnv3 and cfg.head.channels:
        stages.append([f"cn_r1_k1_s1_c{cfg.head.channels}"])
    return stages, "MobileNetV3" if use_mnv3 else "EfficientNet"


def timm_source(cfg: ArchConfig, title: str) -> str:
    """A small Python file (needs timm) that builds `cfg` through timm's builder."""
    stages, cls = arch_def(cfg)
    module = "mobilenetv3" if cls == "MobileNetV3" else "efficientnet"
    hd = cfg.head
    kwargs = [f"stem_size={cfg.stem.channels}", "fix_stem=True", f"act_layer={ACT_CLASSES[cfg.stem.act]}"]
    kwargs += [f"in_chans={cfg.in_chans}", f"drop_rate={hd.dropout}"]
    if cls == "MobileNetV3":
        kwargs += [f"num_features={hd.post_pool}", "head_bias=False"]
    else:
        kwargs += [f"num_features={hd.channels}"]
    se_gates = {b.se_gate for b in cfg.blocks if b.se}
    imports = [
        "from timm.models._efficientnet_builder import decode_arch_def",
        f"from timm.models.{module} import {cls}",
        "from torch import nn",
    ]
    if se_gates:
        gate = GATES[se_gates.pop()]
        imports = [
            "from functools import partial",
            "",
            "from timm.models._efficientnet_blocks import SqueezeExcite",
            "from timm.models._efficientnet_builder import decode_arch_def, round_channels",
            *imports[1:],
        ]
        kwargs.append(
            f'se_layer=partial(SqueezeExcite, gate_layer="{gate}", force_act_layer=nn.ReLU, '
            "rd_round_fn=round_channels)"
        )
    lines = [
        f'"""{title} as timm arch strings (exported by archsearch, config {cfg.id}).',
        "",
        f"Needs timm. Input {cfg.in_chans}x{cfg.resolution}x{cfg.resolution}. timm names its modules differently",
        'from archsearch, so archsearch weights do not load into this model by name."""',
        "",
        *imports,
        "",
        "ARCH_DEF = [",
        *[f"    {s!r}," for s in stages],
        "]",
        "",
        "",
        f"def build(num_classes: int = {cfg.num_classes}) -> {cls}:",
        f"    return {cls}(",
        "        decode_arch_def(ARCH_DEF),",
        "        num_classes=num_classes,",
        *[f"        {k}," for k in kwargs],
        "    )",
    ]
    return "\n".join(lines).replace("'", '"') + "\n"
