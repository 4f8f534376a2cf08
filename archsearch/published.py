"""Published ImageNet networks near ~300 M MACs (REFERENCE.md §6) as `ArchConfig`s, for reporting beside
a search's results.

REPORT-ONLY: their top-1, MACs and params are quoted from the papers' tables; nothing may be fitted on
them (no estimator, predictor or selection may use them as training data). MobileNetV2 and ReXNet, also in
§6, are `archsearch.baselines`. Networks of §6 that `ArchConfig` cannot express, or whose architecture is
not given, are listed in `NOT_EXPRESSIBLE` with the reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archsearch.arch import ArchConfig, Block, ConfigError, Head, Stem, make_divisible
from archsearch.shared import shared_file
from archsearch.spaces import anb_config

PROXYLESS_FILE = "latency/proxylessnas_mobile_arch.json"


@dataclass(frozen=True)
class Published:
    """A published network: its config and the figures its paper gives (None: not given)."""

    name: str
    config: ArchConfig
    top1: float
    macs_m_published: float
    params_m_published: float | None
    source: str


NOT_EXPRESSIBLE: dict[str, str] = {
    "GhostNet 1.0": "Ghost modules (a cheap depthwise 'ghost' half concatenated to a 1x1 conv) are no block kind",
    "FBNet-A/B/C": "architectures not given in REFERENCE.md or the shared data (the fbnet space is CIFAR-size)",
    "OFA specialised networks": "per-network sub-architectures of the OFA supernet are not given in REFERENCE.md",
}

# MnasNet-A1 in TF block-string notation (tensorflow/tpu mnasnet_models.py), as described for
# ../shared/data/latency/pixel1_mnasnet_a1_grid.csv: repeats, kernel, first stride, expansion, in, out, SE.
MNASNET_A1 = (
    (1, 3, 1, 1, 32, 16, False),  # noskip
    (2, 3, 2, 6, 16, 24, False),
    (3, 5, 2, 3, 24, 40, True),
    (4, 3, 2, 6, 40, 80, False),
    (2, 3, 1, 6, 80, 112, True),
    (3, 5, 2, 6, 112, 160, True),
    (1, 3, 1, 6, 160, 320, False),
)


def mnasnet_a1(multiplier: float = 1.0, resolution: int = 224) -> ArchConfig:
    """MnasNet-A1: channels make_divisible(c x m, 8), SE squeeze max(1, int(0.25 x block input channels))
    with ReLU (archsearch's SE also squeezes with ReLU: the same network), sigmoid gate, ReLU everywhere,
    head 1280 not multiplied. Params 3.89 M at 1.0 as published."""
    stem = make_divisible(32 * multiplier, 8)
    blocks, cin = [], stem
    for i, (repeats, k, stride, e, _, cout, se) in enumerate(MNASNET_A1):
        cout = make_divisible(cout * multiplier, 8)
        for j in range(repeats):
            squeeze = max(1, int(cin * 0.25)) if se else 0
            blocks.append(Block("ir", cin, cout, k=k, stride=stride if j == 0 else 1, mid=cin * e, se=squeeze,
                                act="relu", se_gate="sigmoid", skip=i > 0))  # fmt: skip
            cin = cout
    return ArchConfig(tuple(blocks), resolution, Stem(stem, 3, 2, "relu"), Head(1280, "relu", 0, 0.2),
                      name=f"mnasnet_a1-{multiplier}-{resolution}")  # fmt: skip


# MobileNetV3-Large bneck table (Howard et al. 2019, Table 1): kernel, expansion size, out, SE, act, stride.
MBV3_LARGE = (
    (3, 16, 16, False, "relu", 1),
    (3, 64, 24, False, "relu", 2),
    (3, 72, 24, False, "relu", 1),
    (5, 72, 40, True, "relu", 2),
    (5, 120, 40, True, "relu", 1),
    (5, 120, 40, True, "relu", 1),
    (3, 240, 80, False, "hswish", 2),
    (3, 200, 80, False, "hswish", 1),
    (3, 184, 80, False, "hswish", 1),
    (3, 184, 80, False, "hswish", 1),
    (3, 480, 112, True, "hswish", 1),
    (3, 672, 112, True, "hswish", 1),
    (5, 672, 160, True, "hswish", 2),
    (5, 960, 160, True, "hswish", 1),
    (5, 960, 160, True, "hswish", 1),
)


def mobilenet_v3_large(width: float = 1.0, resolution: int = 224, minimalistic: bool = False) -> ArchConfig:
    """MobileNetV3-Large: stem 16 h-swish; SE squeeze make_divisible(expanded / 4, 8) with ReLU, h-sigmoid
    gate; head 1x1 to 960 + BN + h-swish, pool, 1x1 to 1280 + h-swish without BN (bias-free here, as in
    once-for-all; torchvision has a 1280-parameter bias there). Widths scale by make_divisible(c x width, 8),
    the last 1280 stays, and an expanded width keeps the 1.0 table's ratio over the scaled input
    (TF-slim/timm): at 0.75 that gives 154.6 M MACs / 3.99 M params as published (155 M / 4.0 M), where
    scaling the expansion sizes alone would give 140.6 M / 3.93 M. `minimalistic` (TF-slim
    V3_LARGE_MINIMALISTIC): 3x3 kernels, no SE, ReLU everywhere (209.1 M / 3.92 M; published 209 M / 3.9 M)."""

    def ch(c: float) -> int:
        return make_divisible(c * width, 8)

    top = "relu" if minimalistic else "hswish"
    blocks, cin, cin_table = [], ch(16), 16
    for k, exp, out, se, act, stride in MBV3_LARGE:
        if minimalistic:
            k, se, act = 3, False, "relu"
        mid, cout = make_divisible(cin * exp / cin_table, 8), ch(out)
        blocks.append(Block("ir", cin, cout, k=k, stride=stride, mid=mid, se=make_divisible(mid / 4, 8) if se else 0,
                            act=act, se_gate="hsigmoid"))  # fmt: skip
        cin, cin_table = cout, out
    name = f"mobilenet_v3_large{'_minimal' if minimalistic else ''}-{width}-{resolution}"
    return ArchConfig(tuple(blocks), resolution, Stem(ch(16), 3, 2, top), Head(ch(960), top, 1280, 0.2),
                      name=name)  # fmt: skip


def efficientnet_b0() -> ArchConfig:
    """EfficientNet-B0 is a network of the Accel-NASBench space (its macro skeleton)."""
    return anb_config((1, 6, 6, 6, 6, 6, 6), (3, 3, 5, 3, 5, 5, 3), (1, 2, 2, 3, 3, 4, 1), (1,) * 7,
                      name="efficientnet_b0")  # fmt: skip


def proxylessnas_mobile(path: str | Path | None = None) -> ArchConfig:
    """ProxylessNAS-mobile from the authors' network JSON (default: the shared file, read at call time)."""
    p = Path(path) if path else shared_file(PROXYLESS_FILE)
    try:
        spec = json.loads(p.read_text())
        first, mix, cls = spec["first_conv"], spec["feature_mix_layer"], spec["classifier"]
        cin = first["out_channels"]
        blocks = []
        for i, b in enumerate(spec["blocks"]):
            blocks.append(_proxyless_block(b, cin, f"{p}: blocks[{i}]"))
            cin = blocks[-1].cout
        return ArchConfig(
            tuple(blocks),
            224,
            Stem(first["out_channels"], first["kernel_size"], first["stride"], first["act_func"]),
            Head(mix["out_channels"], mix["act_func"], 0, cls["dropout_rate"]),
            num_classes=cls["out_features"],
            name="proxylessnas_mobile",
        )
    except json.JSONDecodeError as e:
        raise ConfigError(f"{p}: not valid JSON: {e}") from None
    except (KeyError, TypeError) as e:
        raise ConfigError(f"{p}: not a ProxylessNAS network JSON: missing or malformed {e}") from None


def _proxyless_block(b: dict[str, Any], cin: int, where: str) -> Block:
    """MBInvertedConvLayer -> inverted residual (ReLU6, mid = round(in x expand)); ZeroLayer with an identity
    shortcut -> identity. A shortcut is an identity residual, which needs stride 1 and equal widths."""
    conv, shortcut = b["mobile_inverted_conv"], b["shortcut"]
    has_skip = shortcut is not None and shortcut["name"] == "IdentityLayer"
    if conv["name"] == "ZeroLayer":
        if not has_skip:
            raise ConfigError(f"{where}: a ZeroLayer without an identity shortcut zeroes the network")
        return Block("skip", cin, cin)
    if conv["name"] != "MBInvertedConvLayer" or conv["in_channels"] != cin:
        raise ConfigError(f"{where}: expected an MBInvertedConvLayer from {cin} channels, got {conv['name']} "
                          f"from {conv.get('in_channels')}")  # fmt: skip
    block = Block("ir", cin, conv["out_channels"], k=conv["kernel_size"], stride=conv["stride"],
                  mid=round(cin * conv["expand_ratio"]), act="relu6", skip=has_skip)  # fmt: skip
    if has_skip and block.residual != "full":
        raise ConfigError(f"{where}: an identity shortcut needs stride 1 and equal widths")
    return block


def published_networks() -> list[Published]:
    """The expressible networks of REFERENCE.md §6 (ImageNet, 224 px), with the figures as published."""
    mnas = "[MNAS] tensorflow/tpu mnasnet README (REFERENCE.md §6 rows 'MnasNet-A1 1.0', '0.75 / 1.4')"
    v3 = "[SLIM-V2-README] MobileNetV3 table (REFERENCE.md §6 rows 'MobileNetV3-Large 1.0', '0.75')"
    return [
        Published("MnasNet-A1 0.75", mnasnet_a1(0.75), 73.3, 226.7, 2.9, mnas),
        Published("MnasNet-A1 1.0", mnasnet_a1(1.0), 75.2, 315.2, 3.9, mnas),
        Published("MnasNet-A1 1.4", mnasnet_a1(1.4), 77.2, 591.5, 6.1, mnas),
        Published("MobileNetV3-Large 0.75", mobilenet_v3_large(0.75), 73.3, 155.0, 4.0, v3),
        Published("MobileNetV3-Large 1.0", mobilenet_v3_large(1.0), 75.2, 217.0, 5.4, v3),
        Published(
            "MobileNetV3-Large minimalistic 1.0",
            mobilenet_v3_large(1.0, minimalistic=True),
            72.3,
            209.0,
            3.9,
            "[SLIM-V2-README] (REFERENCE.md §6 row 'MobileNetV3-Large minimalistic 1.0')",
        ),  # fmt: skip
        Published(
            "EfficientNet-B0",
            efficientnet_b0(),
            77.3,
            390.0,
            5.3,
            "[REX] README citing EfficientNet arXiv v3 (REFERENCE.md §6 row 'EfficientNet-B0')",
        ),  # fmt: skip
        Published(
            "ProxylessNAS-mobile",
            proxylessnas_mobile(),
            74.6,
            320.0,
            None,
            "[PROXY] mit-han-lab/proxylessnas README (REFERENCE.md §6 row 'ProxylessNAS (mobile)')",
        ),  # fmt: skip
    ]
