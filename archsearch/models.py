"""torch modules built from an `ArchConfig`: `build_model(cfg)`.

Module names are stable (`stem`, `blocks.<i>.expand|dw|se|project|pw`, `head`, `post_pool`,
`classifier`) so weights and exported code line up with the config.
"""

from __future__ import annotations

import torch
from torch import nn

from archsearch.arch import ArchConfig, Block
from archsearch.blocks import Op, block_ops


def make_act(name: str) -> nn.Module:
    acts = {
        "relu": lambda: nn.ReLU(inplace=True),
        "relu6": lambda: nn.ReLU6(inplace=True),
        "silu": lambda: nn.SiLU(inplace=True),
        "hswish": lambda: nn.Hardswish(inplace=True),
        "none": nn.Identity,
    }
    return acts[name]()


class ConvBNAct(nn.Module):
    """kxk conv (no bias) + BN + activation ('none' for linear layers), 'same' padding at any dilation."""

    def __init__(self, cin: int, cout: int, k: int = 1, stride: int = 1, groups: int = 1, act: str = "none",
                 dilation: int = 1):  # fmt: skip
        super().__init__()
        self.conv = nn.Conv2d(
            cin, cout, k, stride, dilation * (k // 2), dilation=dilation, groups=groups, bias=False
        )
        self.bn = nn.BatchNorm2d(cout)
        self.act = make_act(act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))


class SqueezeExcite(nn.Module):
    """Global pool, 1x1 reduce (+BN for ReXNet) + ReLU, 1x1 expand, sigmoid or hard-sigmoid gate."""

    def __init__(self, ch: int, mid: int, gate: str = "sigmoid", bn: bool = False):
        super().__init__()
        self.reduce = nn.Conv2d(ch, mid, 1, bias=True)
        self.bn = nn.BatchNorm2d(mid) if bn else nn.Identity()
        self.act = nn.ReLU(inplace=True)
        self.expand = nn.Conv2d(mid, ch, 1, bias=True)
        self.gate = nn.Sigmoid() if gate == "sigmoid" else nn.Hardsigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.mean((2, 3), keepdim=True)
        return x * self.gate(self.expand(self.act(self.bn(self.reduce(s)))))


def build_op(op: Op) -> nn.Module:
    """The torch module of one op (`archsearch.blocks.Op`)."""
    if op.kind in ("conv", "pw", "dw") and op.bn and not op.bias:
        return ConvBNAct(op.cin, op.cout, op.k, op.stride, op.groups, op.act, op.dilation)
    if op.kind == "se":
        return SqueezeExcite(op.cin, op.se_mid, op.act, op.se_bn)
    if op.kind == "act":
        return make_act(op.act)
    raise ValueError(f"no torch module for a {op.kind} op ({op.role})")


class OpsBlock(nn.Module):
    """A block as its ops in order (each a submodule named by its role), then its residual: `full` adds
    the input, `partial` adds it to the first cin output channels (ReXNet)."""

    def __init__(self, b: Block, dilation: int = 1):
        super().__init__()
        self.roles = []
        for op in block_ops(b, dilation):
            self.add_module(op.role, build_op(op))
            self.roles.append(op.role)
        self.residual = b.residual
        self.cin = b.cin

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        for role in self.roles:
            out = getattr(self, role)(out)
        if self.residual == "full":
            return out + x
        if self.residual == "partial":
            return torch.cat([out[:, : self.cin] + x, out[:, self.cin :]], 1)
        return out


def build_block(b: Block, dilation: int = 1) -> nn.Module:
    """The torch module of `b`, from its kind's description (its kxk convs at atrous rate `dilation`): the
    identity for a block with no ops, the op's own module for a single op without residual (a 1x1
    projection), else an `OpsBlock`."""
    ops = block_ops(b, dilation)
    if not ops:
        return nn.Identity()
    if len(ops) == 1 and not b.residual:
        return build_op(ops[0])
    return OpsBlock(b, dilation)


class Network(nn.Module):
    def __init__(self, cfg: ArchConfig, dilation: tuple[int, ...] = ()):
        super().__init__()
        s, hd = cfg.stem, cfg.head
        self.stem = ConvBNAct(cfg.in_chans, s.channels, s.k, s.stride, act=s.act)
        rates = dilation or (1,) * len(cfg.blocks)
        self.blocks = nn.Sequential(*[build_block(b, r) for b, r in zip(cfg.blocks, rates, strict=True)])
        ch = cfg.last_channels
        self.head = ConvBNAct(ch, hd.channels, 1, act=hd.act) if hd.channels else nn.Identity()
        ch = hd.channels or ch
        self.post_pool = (
            nn.Sequential(nn.Linear(ch, hd.post_pool, bias=False), make_act(hd.act))
            if hd.post_pool
            else nn.Identity()
        )
        ch = hd.post_pool or ch
        self.dropout = nn.Dropout(hd.dropout)
        self.classifier = nn.Linear(ch, cfg.num_classes)
        _init_weights(self)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x).mean((2, 3))
        return self.classifier(self.dropout(self.post_pool(x)))


def _init_weights(model: nn.Module) -> None:
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0, 0.01)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def build_model(cfg: ArchConfig, dilation: tuple[int, ...] = ()) -> Network:
    """The torch network for `cfg` (randomly initialised), block i's kxk convs at atrous rate `dilation[i]`
    (default 1: a segmenter's backbone past output stride 16 runs dilated)."""
    return Network(cfg, dilation)


def fvcore_cost(cfg: ArchConfig) -> tuple[int, int]:
    """Cross-check of `archsearch.cost`: (conv + linear MACs by fvcore tracing, torch parameter count)
    of the built model (fvcore imported here only: the cost model itself needs no torch)."""
    from fvcore.nn import FlopCountAnalysis

    model = build_model(cfg).eval()
    x = torch.zeros(1, cfg.in_chans, cfg.resolution, cfg.resolution)
    fca = FlopCountAnalysis(model, x)
    fca.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    by_op = fca.by_operator()
    macs = int(by_op.get("conv", 0) + by_op.get("linear", 0))
    params = sum(p.numel() for p in model.parameters())
    return macs, params
