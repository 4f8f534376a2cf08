"""timm arch strings: the published reference strings, clear refusals, and (where timm is installed; it is
not a dependency) the exported timm model computing exactly what archsearch's model computes."""

from __future__ import annotations

import random

import pytest
import torch
from export_helpers import _one_thread, load_source, randomize_  # noqa: F401 (fixture)

from archsearch.baselines import get_baseline
from archsearch.export import ExportError
from archsearch.export.timm_strings import arch_def, timm_source
from archsearch.models import build_model
from archsearch.spaces import load_space

MBV2_TIMM = [  # timm _gen_mobilenet_v2 / REFERENCE.md section 4
    ["ds_r1_k3_s1_c16"],
    ["ir_r2_k3_s2_e6_c24"],
    ["ir_r3_k3_s2_e6_c32"],
    ["ir_r4_k3_s2_e6_c64"],
    ["ir_r3_k3_s1_e6_c96"],
    ["ir_r3_k3_s2_e6_c160"],
    ["ir_r1_k3_s1_e6_c320"],
]
MBV1_TIMM = [
    ["dsa_r1_k3_s1_c64"],
    ["dsa_r2_k3_s2_c128"],
    ["dsa_r2_k3_s2_c256"],
    ["dsa_r6_k3_s2_c512"],
    ["dsa_r2_k3_s2_c1024"],
]


def test_reference_strings() -> None:
    assert arch_def(get_baseline("mobilenet_v2-1.0-224").config) == (MBV2_TIMM, "EfficientNet")
    assert arch_def(get_baseline("mobilenet_v1-1.0-224").config) == (MBV1_TIMM, "EfficientNet")


@pytest.mark.parametrize(
    ("cfg", "reason"),
    [
        (get_baseline("rexnet-1.0-224").config, "partial residual"),
        (load_space("nasbench-macro").random(random.Random(0)), "stem"),
        (load_space("fbnet").random(random.Random(0)), "stem"),
        (
            get_baseline("mobilenet_v1-0.3-224").config,
            "stem has 9 channels; timm rounds channels to multiples of 8",
        ),
    ],
)
def test_inexpressible_configs_are_refused(cfg, reason: str) -> None:
    with pytest.raises(ExportError, match=reason):
        timm_source(cfg, "x")


def timm_cases() -> list:
    cases = [
        get_baseline(n).config
        for n in ("mobilenet_v2-1.0-224", "mobilenet_v2-0.35-160", "mobilenet_v1-0.5-128")
    ]
    for space in ("mbv2", "ofa", "mbv1"):
        rng = random.Random(1)
        cases += [load_space(space).random(rng) for _ in range(10)]
    return cases


def test_timm_builds_the_same_network() -> None:
    """Weights copied in module order (names differ, order and shapes do not): same outputs."""
    pytest.importorskip("timm")
    checked = 0
    for cfg in timm_cases():
        try:
            source = timm_source(cfg, "x")
        except ExportError:
            continue
        theirs = load_source(source, "timm_export").build().eval()
        ours = randomize_(build_model(cfg), seed=1)
        target = theirs.state_dict()
        assert len(target) == len(ours.state_dict())
        values = zip(target, ours.state_dict().values(), strict=True)
        theirs.load_state_dict({k: v.reshape(target[k].shape) for k, v in values})
        x = torch.randn(2, 3, 64, 64)
        with torch.no_grad():
            torch.testing.assert_close(theirs(x), ours(x), rtol=1e-5, atol=1e-5)
        checked += 1
    assert checked >= 10
