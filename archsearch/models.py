"""torch modules built from an `ArchConfig`: `build_model(cfg)`.

Module names are stable (`stem`, `blocks.<i>.expand|dw|se|project|pw`, `head`, `post_pool`,
`classifier`) so weights and exported code line up with the config.
"""

from __future__ import annotations

import torch
from torch import nn

from archsearch.arch import ArchConfig, Block


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
    """kxk conv (no bias) + BN + activation ('none' for linear layers)."""

    def __init__(self, cin: int, cout: int, k: int = 1, stride: int = 1, groups: int = 1, act: str = "none"):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False)
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


class BottleneckBlock(nn.Module):
    """Inverted residual (`ir`) and ReXNet linear bottleneck (`rex`): expand, dw, SE, project."""

    def __init__(self, b: Block):
        super().__init__()
        rex = b.kind == "rex"
        self.expand = ConvBNAct(b.cin, b.mid, 1, groups=b.groups, act=b.act) if b.expands else None
        self.dw = ConvBNAct(b.mid, b.mid, b.k, b.stride, groups=b.mid, act="none" if rex else b.act)
        self.se = SqueezeExcite(b.mid, b.se, b.se_gate, b.se_bn) if b.se else None
        self.post_se = nn.ReLU6(inplace=True) if rex else None
        self.project = ConvBNAct(b.mid, b.cout, 1, groups=b.groups)
        self.residual = b.residual
        self.cin = b.cin

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.expand(x) if self.expand is not None else x
        out = self.dw(out)
        if self.se is not None:
            out = self.se(out)
        if self.post_se is not None:
            out = self.post_se(out)
        out = self.project(out)
        if self.residual == "full":
            return out + x
        if self.residual == "partial":
            return torch.cat([out[:, : self.cin] + x, out[:, self.cin :]], 1)
        return out


class DepthwiseSeparable(nn.Module):
    """MobileNetV1 block: dw kxk + BN + act, pw 1x1 + BN + act."""

    def __init__(self, b: Block):
        super().__init__()
        self.dw = ConvBNAct(b.cin, b.cin, b.k, b.stride, groups=b.cin, act=b.act)
        self.pw = ConvBNAct(b.cin, b.cout, 1, groups=b.groups, act=b.act)
        self.residual = b.residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.pw(self.dw(x))
        return out + x if self.residual else out


def build_block(b: Block) -> nn.Module:
    if b.kind in ("ir", "rex"):
        return BottleneckBlock(b)
    if b.kind == "ds":
        return DepthwiseSeparable(b)
    if b.kind == "proj":
        return ConvBNAct(b.cin, b.cout, 1, b.stride)
    return nn.Identity()


class Network(nn.Module):
    def __init__(self, cfg: ArchConfig):
        super().__init__()
        s, hd = cfg.stem, cfg.head
        self.stem = ConvBNAct(cfg.in_chans, s.channels, s.k, s.stride, act=s.act)
        self.blocks = nn.Sequential(*[build_block(b) for b in cfg.blocks])
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


def build_model(cfg: ArchConfig) -> Network:
    """The torch network for `cfg` (randomly initialised)."""
    return Network(cfg)
