"""The analytic cost model reproduces published numbers and agrees with fvcore and torch."""

import json
import math
import random
from dataclasses import replace

import pytest
import torch

from archsearch.arch import ArchConfig, Block, feature_sizes
from archsearch.baselines import MBV2_ALPHAS, all_baselines, get_baseline, mobilenet_v2, rexnet
from archsearch.cost import block_cost, block_cost_from_kernels, cost, kernel_macs, kernel_params
from archsearch.kernels import Kernel, block_kernels, decompose
from archsearch.models import fvcore_cost
from archsearch.spaces import NasBenchMacroSpace, list_spaces, load_space, nasbench_macro_config


def kernel_table(cfg: ArchConfig) -> list[tuple[Kernel, int, int]]:
    """Every kernel with its MACs and params."""
    return [(k, kernel_macs(k), kernel_params(k)) for k in decompose(cfg)]


def block_peak_from_kernels(b: Block, h: int) -> int:
    """Peak live elements of a block by walking its kernels, written independently of `block_cost`."""
    held = b.cin * h * h if b.residual else 0
    peak = b.cin * h * h if not block_kernels(b, h) else 0
    for i, k in enumerate(block_kernels(b, h)):
        out = k.cout * k.h_out * k.h_out
        if k.kind == "add":
            live = out + held if b.residual == "partial" else 2 * out + held
        else:
            live = k.cin * k.h_in * k.h_in + out + (held if i else 0)
        peak = max(peak, live)
    return peak


# TF-slim checkpoint table (REFERENCE.md 1.4): (alpha, res) -> (published MMACs, published params M)
MBV2_PUBLISHED = {
    (1.4, 224): (582, 6.06), (1.3, 224): (509, 5.34),
    (1.0, 224): (300, 3.47), (1.0, 192): (221, 3.47), (1.0, 160): (154, 3.47), (1.0, 128): (99, 3.47), (1.0, 96): (56, 3.47),
    (0.75, 224): (209, 2.61), (0.75, 192): (153, 2.61), (0.75, 160): (107, 2.61), (0.75, 128): (69, 2.61), (0.75, 96): (39, 2.61),
    (0.5, 224): (97, 1.95), (0.5, 192): (71, 1.95), (0.5, 160): (50, 1.95), (0.5, 128): (32, 1.95), (0.5, 96): (18, 1.95),
    (0.35, 224): (59, 1.66), (0.35, 192): (43, 1.66), (0.35, 160): (30, 1.66), (0.35, 128): (20, 1.66), (0.35, 96): (11, 1.66),
}  # fmt: skip

# REFERENCE.md 3.2, rebuild of clovaai/rexnet: width -> (params, conv+linear MMACs to 0.1)
REXNET_REBUILD = {
    0.9: (4091257, 347.7),
    1.3: (7557091, 662.2),
    1.5: (9728593, 875.8),
    2.0: (16366620, 1528.9),
    3.0: (34708792, 3396.0),
}


def test_mobilenet_v2_torchvision_count():
    c = cost(get_baseline("mobilenet_v2-1.0-224").config)
    assert (c.macs, c.params) == (300_774_272, 3_504_872)


@pytest.mark.parametrize("alpha, res", sorted(MBV2_PUBLISHED))
def test_mobilenet_v2_published_table(alpha, res):
    """1001 classes: floor(MACs / 1e6) and conv + FC params (BN excluded) match the TF-slim table."""
    cfg = mobilenet_v2(alpha, res, num_classes=1001)
    macs, params = MBV2_PUBLISHED[(alpha, res)]
    assert math.floor(cost(cfg).macs / 1e6) == macs
    conv_fc = sum(kernel_params(replace(k, bn=False)) for k, _, _ in kernel_table(cfg))
    assert round(conv_fc / 1e6, 2) == params


def test_all_mbv2_rows_covered():
    assert len(MBV2_PUBLISHED) == 22 and {a for a, _ in MBV2_PUBLISHED} == set(MBV2_ALPHAS)


def test_rexnet_exact_and_widths():
    c = cost(rexnet(1.0, 224))
    assert (c.macs, c.params) == (398_370_392, 4_796_873)
    for w, (params, mmacs) in REXNET_REBUILD.items():
        c = cost(rexnet(w, 224))
        assert c.params == params and round(c.macs / 1e6, 1) == mmacs, w


def test_mobilenet_v1_docstring_count():
    """TF-slim docstring: 1.0 @224 base (no logits) = 567,716,352 MACs; 1001 classes conv+linear 568,741,376."""
    c = cost(get_baseline("mobilenet_v1-1.0-224", num_classes=1001).config)
    assert c.macs == 568_741_376 and c.macs - 1024 * 1001 == 567_716_352


def test_nasbench_macro_all_keys(shared_data):
    bench = json.loads((shared_data / "nas-bench-macro" / "nas-bench-macro_cifar10.json").read_text())
    assert len(bench) == 6561
    for key, rec in bench.items():
        c = cost(nasbench_macro_config(key))
        assert (c.params, c.macs) == (rec["params"], rec["flops"]), key
    assert len({NasBenchMacroSpace.canonical_key(k) for k in bench}) == 3969


def test_fvcore_agrees_on_every_baseline():
    for b in all_baselines():
        c = cost(b.config)
        assert fvcore_cost(b.config) == (c.macs, c.params), b.name


@pytest.mark.parametrize("space", list_spaces())
def test_fvcore_agrees_on_random_configs(space):
    """50 random configs per space (the closed-form test below covers 100 more per space without torch);
    large inputs are traced at a random (often odd) low resolution, which also exercises the padding
    arithmetic."""
    torch.set_num_threads(1)
    s, rng = load_space(space), random.Random(11)
    for _ in range(50):
        cfg = s.random(rng)
        if cfg.resolution > 64:
            cfg = cfg.with_(resolution=rng.randrange(33, 97))
        c = cost(cfg)
        assert fvcore_cost(cfg) == (c.macs, c.params), cfg.to_json()


@pytest.mark.parametrize("space", list_spaces())
def test_closed_form_equals_kernel_formulas(space):
    """The hot-path closed forms equal the per-kernel formula table, block by block."""
    s, rng = load_space(space), random.Random(5)
    for _ in range(100):
        cfg = s.random(rng)
        for b, h in zip(cfg.blocks, feature_sizes(cfg), strict=False):
            ks = block_kernels(b, h)
            ref = (sum(map(kernel_macs, ks)), sum(map(kernel_params, ks)), block_peak_from_kernels(b, h))
            assert block_cost(b, h) == block_cost_from_kernels(b, h) == ref, b
        assert sum(m for _, m, _ in kernel_table(cfg)) == cost(cfg).macs


def test_peak_memory_mobilenet_v2():
    """Peak at batch 1, float32, is the largest of the candidate live sets: stem in + out, first block
    dw in + out, second block's input + its 96-channel expansion at 112x112, that expansion + its strided
    dw output."""
    c = cost(get_baseline("mobilenet_v2-1.0-224").config)
    assert (
        c.peak_bytes
        == max(3 * 224**2 + 32 * 112**2, 32 * 112**2 * 2, 16 * 112**2 + 96 * 112**2, 96 * 112**2 + 96 * 56**2)
        * 4
    )
