"""The `py` export: a standalone, torch-only Python file with the architecture as config rows.

The file is rendered from one template whose optional lines carry a `#: tag` marker; a line is kept only
when the config uses that feature (SE, ReXNet blocks, a head conv...), so the exported file holds no code
its network does not run. Module names and shapes equal `archsearch.models.build_model`'s, so state_dicts
load both ways."""

from __future__ import annotations

import re
from typing import Any

from archsearch.arch import ArchConfig, feature_sizes
from archsearch.blocks import block_kind
from archsearch.export import ExportError
from archsearch.export.rows import config_rows, group_stages

TEMPLATE_KINDS = ("ir", "rex", "ds", "skip", "proj")
"""Block kinds the template below has code for (a new kind in `archsearch.blocks` is refused until it does)."""

TEMPLATE = '''\
{docstring}

from __future__ import annotations

import torch
from torch import nn

RESOLUTION = {resolution}
NUM_CLASSES = {num_classes}
STEM = {stem}  # in_channels, kernel_size, out_channels, stride, activation
HEAD = {head}  # 1x1 conv + BN: in_channels, out_channels, activation  #: head
POST_POOL = {post_pool}  # linear layer after pooling: in_features, out_features, activation  #: postpool
CLASSIFIER = {classifier}  # in_features, dropout

# Every row below uses these unless it says otherwise: a 7th entry overrides the activation, a final
# dict anything else (block kind, SE gate, expanded width "mid", SE width "se", groups, residual).
DEFAULTS = {defaults}

# in_channels, kernel_size, out_channels, exp, stride, SE
{stages}

ACTIVATIONS = {{
    "relu": nn.ReLU,
    "relu6": nn.ReLU6,
    "silu": nn.SiLU,
    "hswish": nn.Hardswish,
    "none": nn.Identity,
}}


def make_divisible(value: float, divisor: int = 8) -> int:  #: mdiv
    """Round to a multiple of `divisor`, never losing more than 10% (the MobileNet rule)."""  #: mdiv
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)  #: mdiv
    return rounded + divisor if rounded < 0.9 * value else rounded  #: mdiv
  #: mdiv
  #: mdiv
def se_channels(mid: int) -> int:  #: se
    """Squeeze-excite bottleneck width for an expanded width `mid`."""  #: se
    return {se_rule}  #: se
  #: se
  #: se
class ConvBNAct(nn.Sequential):
    """k x k conv (no bias) + BatchNorm + activation ("none" for linear layers)."""

    def __init__(self, cin: int, cout: int, k: int = 1, stride: int = 1, groups: int = 1, act: str = "none"):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.act = ACTIVATIONS[act](inplace=True)


class SqueezeExcite(nn.Module):  #: se
    """Channel attention: pool, 1x1 reduce (+ BN in ReXNet) + ReLU, 1x1 expand, gate."""  #: se
  #: se
    def __init__(self, channels: int, reduced: int, gate: str = "sigmoid", bn: bool = False):  #: se
        super().__init__()  #: se
        self.reduce = nn.Conv2d(channels, reduced, 1)  #: se
        self.bn = nn.BatchNorm2d(reduced) if bn else nn.Identity()  #: se
        self.act = nn.ReLU(inplace=True)  #: se
        self.expand = nn.Conv2d(reduced, channels, 1)  #: se
        self.gate = nn.Sigmoid() if gate == "sigmoid" else nn.Hardsigmoid()  #: se
  #: se
    def forward(self, x: torch.Tensor) -> torch.Tensor:  #: se
        scale = self.expand(self.act(self.bn(self.reduce(x.mean((2, 3), keepdim=True)))))  #: se
        return x * self.gate(scale)  #: se
  #: se
  #: se
class Bottleneck(nn.Module):  #: bottleneck
    """1x1 expand (when mid != cin), k x k depthwise, optional SE, linear 1x1 projection.  #: bottleneck
  #: bottleneck
    "ir" (MobileNetV2/V3) activates after the depthwise conv and adds the input when shapes match.  #: ir
    "rex" (ReXNet) keeps the depthwise conv linear, applies ReLU6 after SE, and adds the input to the  #: rex
    first cin output channels (partial residual) when stride is 1 and cin <= cout.  #: rex
    """  #: bottleneck
  #: bottleneck
    def __init__(self, kind: str, cin: int, k: int, cout: int, mid: int, stride: int, se: int, opts: dict):  #: bottleneck
        super().__init__()  #: bottleneck
        rex = kind == "rex"  #: rex
        act, groups = opts["act"], opts["groups"]  #: bottleneck
        self.expand = ConvBNAct(cin, mid, 1, groups=groups, act=act) if mid != cin else None  #: bottleneck
        self.dw = ConvBNAct(mid, mid, k, stride, groups=mid, act="none" if rex else act)  #: rex
        self.dw = ConvBNAct(mid, mid, k, stride, groups=mid, act=act)  #: bottleneck !rex
        self.se = SqueezeExcite(mid, se, opts["se_gate"], opts["se_bn"]) if se else None  #: se
        self.post_se = nn.ReLU6(inplace=True) if rex else None  #: rex
        self.project = ConvBNAct(mid, cout, 1, groups=groups)  #: bottleneck
        fits = cin <= cout if rex else cin == cout  #: rex
        fits = cin == cout  #: bottleneck !rex
        self.residual = opts["residual"] and stride == 1 and fits  #: bottleneck
        self.partial = rex  #: rex
        self.cin = cin  #: rex
  #: bottleneck
    def forward(self, x: torch.Tensor) -> torch.Tensor:  #: bottleneck
        out = self.expand(x) if self.expand is not None else x  #: bottleneck
        out = self.dw(out)  #: bottleneck
        if self.se is not None:  #: se
            out = self.se(out)  #: se
        if self.post_se is not None:  #: rex
            out = self.post_se(out)  #: rex
        out = self.project(out)  #: bottleneck
        if self.residual and self.partial:  #: rex
            return torch.cat([out[:, : self.cin] + x, out[:, self.cin :]], 1)  #: rex
        return out + x if self.residual else out  #: bottleneck
  #: bottleneck
  #: bottleneck
class DepthwiseSeparable(nn.Module):  #: ds
    """MobileNetV1 block: k x k depthwise + BN + act, 1x1 pointwise + BN + act."""  #: ds
  #: ds
    def __init__(self, cin: int, k: int, cout: int, stride: int, opts: dict):  #: ds
        super().__init__()  #: ds
        self.dw = ConvBNAct(cin, cin, k, stride, groups=cin, act=opts["act"])  #: ds
        self.pw = ConvBNAct(cin, cout, 1, groups=opts["groups"], act=opts["act"])  #: ds
        self.residual = opts["residual"] and stride == 1 and cin == cout  #: ds
  #: ds
    def forward(self, x: torch.Tensor) -> torch.Tensor:  #: ds
        out = self.pw(self.dw(x))  #: ds
        return out + x if self.residual else out  #: ds
  #: ds
  #: ds
def make_block(row: list) -> nn.Module:
    """One config row -> one block."""
    cin, k, cout, exp, stride, se, *extra = row
    opts = dict(DEFAULTS)
    for item in extra:
        opts.update({{"act": item}} if isinstance(item, str) else item)
    if opts["block"] == "skip":  #: skip
        return nn.Identity()  #: skip
    if opts["block"] == "proj":  #: proj
        return ConvBNAct(cin, cout, k, stride)  #: proj
    if opts["block"] == "ds":  #: ds bottleneck
        return DepthwiseSeparable(cin, k, cout, stride, opts)  #: ds bottleneck
    return DepthwiseSeparable(cin, k, cout, stride, opts)  #: ds !bottleneck
    raise ValueError(f"unknown block kind {{opts['block']!r}}")  #: !ds !bottleneck
    mid = opts.get("mid", round(cin * exp))  #: bottleneck
    se_width = (opts.get("se") or se_channels(mid)) if se else 0  #: se
    return Bottleneck(opts["block"], cin, k, cout, mid, stride, se_width, opts)  #: se bottleneck
    return Bottleneck(opts["block"], cin, k, cout, mid, stride, 0, opts)  #: !se bottleneck


class Net(nn.Module):
    """{name}"""

    def __init__(self, num_classes: int = NUM_CLASSES):
        super().__init__()
        cin, k, width, stride, act = STEM
        self.stem = ConvBNAct(cin, width, k, stride, act=act)
        self.blocks = nn.Sequential(*[make_block(row) for stage in STAGES for row in stage])
        self.head = ConvBNAct(HEAD[0], HEAD[1], 1, act=HEAD[2])  #: head
        features, width, act = POST_POOL  #: postpool
        self.post_pool = nn.Sequential(nn.Linear(features, width, bias=False), ACTIVATIONS[act](inplace=True))  #: postpool
        self.dropout = nn.Dropout(CLASSIFIER[1])
        self.classifier = nn.Linear(CLASSIFIER[0], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(self.stem(x))
        x = self.head(x)  #: head
        x = x.mean((2, 3))
        x = self.post_pool(x)  #: postpool
        return self.classifier(self.dropout(x))


def build(num_classes: int = NUM_CLASSES) -> Net:
    """The network, randomly initialised (load trained weights with `load_state_dict`)."""
    return Net(num_classes)


if __name__ == "__main__":
    model = build().eval()
    with torch.no_grad():
        logits = model(torch.randn(1, STEM[0], RESOLUTION, RESOLUTION))
    print(f"{{sum(p.numel() for p in model.parameters()):,}} parameters, output {{tuple(logits.shape)}}")
'''

_TAG = re.compile(r"\s*#: ([!\w ]+)$")


def _keep(tags: str, features: set[str]) -> bool:
    """A line tagged `a b` needs all of a and b; `!a` needs a to be absent."""
    return all((t[1:] not in features) if t.startswith("!") else (t in features) for t in tags.split())


def select_lines(template: str, features: set[str]) -> str:
    out = []
    for line in template.split("\n"):
        m = _TAG.search(line)
        if m is None:
            out.append(line)
        elif _keep(m.group(1), features):
            out.append(line[: m.start()])
    return "\n".join(out)


def _features(cfg: ArchConfig, rule: tuple[int, int] | None) -> set[str]:
    kinds = {b.kind for b in cfg.blocks}
    features = set(kinds)
    if kinds & {"ir", "rex"}:
        features.add("bottleneck")
    if any(b.se for b in cfg.blocks):
        features.add("se")
        if rule is not None and rule[1] != 1:
            features.add("mdiv")
    if cfg.head.channels:
        features.add("head")
    if cfg.head.post_pool:
        features.add("postpool")
    return features


def _used_defaults(defaults: dict[str, Any], cfg: ArchConfig) -> dict[str, Any]:
    """Only the defaults the file's blocks read: SE settings need SE blocks, the rest blocks whose kind
    reads them (`BlockKind.reads`) or that may have a residual."""
    kinds = [block_kind(k) for k in {b.kind for b in cfg.blocks}]
    used = {"block"} | {opt for k in kinds for opt in ("act", "groups") if opt in k.reads}
    if any(k.residual in ("full", "partial") for k in kinds):
        used.add("residual")
    if any(b.se for b in cfg.blocks):
        used |= {"se_gate", "se_bn"}
    return {k: v for k, v in defaults.items() if k in used}


def _se_expression(rule: tuple[int, int] | None) -> str:
    if rule is None:
        return "0"
    reduction, divisor = rule
    return f"mid // {reduction}" if divisor == 1 else f"make_divisible(mid / {reduction}, {divisor})"


def _literal(value: Any) -> str:
    """Python literal with double-quoted strings (ruff's and black's style)."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


def _dict_source(d: dict[str, Any], indent: int, width: int = 100) -> str:
    """A dict literal on one line, or one item a line (trailing comma) when that line would be long."""
    one_line = _literal(d)
    if indent + len(one_line) <= width:
        return one_line
    return "{\n" + "".join(f"    {_literal(k)}: {_literal(v)},\n" for k, v in d.items()) + "}"


def _stages_source(cfg: ArchConfig, stages: list[list[list[Any]]]) -> str:
    sides = feature_sizes(cfg)
    out, names, i = [], [], 0
    for n, (rows, blocks) in enumerate(zip(stages, group_stages(cfg.blocks), strict=True), start=1):
        name = f"stage{n}"
        names.append(name)
        side_in, side_out = sides[i], sides[i + len(blocks)]
        i += len(blocks)
        out.append(f"# {name}: {side_in}x{side_in} -> {side_out}x{side_out}")
        lines = [_literal(r) for r in rows]
        if len(lines) == 1:
            out.append(f"{name} = [{lines[0]}]")
        else:  # one row a line, with the trailing comma that keeps formatters from joining them
            out.append(f"{name} = [\n" + "".join(f"    {line},\n" for line in lines) + "]")
    out.append("STAGES = [" + ", ".join(names) + "]")
    return "\n".join(out)


def _docstring(title: str, provenance: dict[str, str]) -> str:
    width = max((len(k) for k in provenance), default=0)
    lines = [f"{title}: a mobile CNN exported by archsearch.", "", "Provenance:"]
    lines += [f"    {k + ':':<{width + 1}} {v}" for k, v in provenance.items()]
    lines += ["", "Needs only torch. The architecture is the config rows below; `build()` stacks them:", ""]
    lines += ["    model = build(num_classes=NUM_CLASSES)"]
    text = "\n".join(lines)
    return '"""' + text.replace("\\", "/").replace('"""', "'''") + '\n"""'


def python_source(cfg: ArchConfig, title: str, provenance: dict[str, str]) -> str:
    """The exported file's text for `cfg` (`provenance`: label -> value lines for the docstring)."""
    unknown = sorted({b.kind for b in cfg.blocks} - set(TEMPLATE_KINDS))
    if unknown:
        raise ExportError(
            f"cannot write {title} as a py file: no template code for block kind(s) {', '.join(unknown)}"
        )
    defaults, rule, stages = config_rows(cfg)
    s, hd = cfg.stem, cfg.head
    features_in = hd.channels or cfg.last_channels
    classifier_in = hd.post_pool or features_in
    text = TEMPLATE.format(
        docstring=_docstring(title, provenance),
        resolution=cfg.resolution,
        num_classes=cfg.num_classes,
        stem=_literal([cfg.in_chans, s.k, s.channels, s.stride, s.act]),
        head=_literal([cfg.last_channels, hd.channels, hd.act]),
        post_pool=_literal([features_in, hd.post_pool, hd.act]),
        classifier=_literal([classifier_in, hd.dropout]),
        defaults=_dict_source(_used_defaults(defaults, cfg), len("DEFAULTS = ")),
        stages=_stages_source(cfg, stages),
        se_rule=_se_expression(rule),
        name=title.replace('"', "'").replace("\\", "/"),
    )
    return select_lines(text, _features(cfg, rule)).rstrip("\n") + "\n"
