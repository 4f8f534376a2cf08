"""Round trip of the exports for every baseline and 50 random configs per space: the exported `py`
module has the ArchConfig's params and MACs, its state_dict loads into archsearch's model and back, and
both give the same outputs; JSON round-trips exactly; ONNX Runtime matches torch on a sample."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest
import torch
from export_helpers import _one_thread, count_macs, load_source, randomize_  # noqa: F401 (fixture)

from archsearch.arch import ArchConfig
from archsearch.baselines import all_baselines
from archsearch.cost import cost
from archsearch.export.pyfile import python_source
from archsearch.models import build_model
from archsearch.spaces import list_spaces, load_space

SPACES = ("mbv2", "rexnet", "mbv1", "nasbench-macro", "ofa", "fbnet", "anb")
PER_SPACE = 50


def space_configs(space: str, n: int = PER_SPACE) -> list[ArchConfig]:
    rng = random.Random(f"export-{space}")
    s = load_space(space)
    return [s.random(rng) for _ in range(n)]


def check_py_roundtrip(cfg: ArchConfig, label: str) -> None:
    """At the config's own resolution (so MACs count as cost() counts them), one pass of each network."""
    module = load_source(python_source(cfg, label, {"source": label}))
    ours = randomize_(build_model(cfg), seed=int(cfg.id, 16) % 1000)
    theirs = module.build().eval()
    ours_sd = ours.state_dict()
    assert {k: v.shape for k, v in ours_sd.items()} == {k: v.shape for k, v in theirs.state_dict().items()}, (
        label
    )
    theirs.load_state_dict(ours_sd)
    build_model(cfg).load_state_dict(theirs.state_dict())  # and back

    x = torch.randn(
        1, cfg.in_chans, cfg.resolution, cfg.resolution, generator=torch.Generator().manual_seed(1)
    )
    got, macs = count_macs(theirs, x)
    want = cost(cfg)
    params = sum(p.numel() for p in theirs.parameters())
    assert (macs, params) == (want.macs, want.params), f"{label}: MACs/params differ from cost()"
    with torch.no_grad():
        expected = ours(x)
    assert expected.abs().max() > 1e-3, f"{label}: degenerate outputs, comparison would be vacuous"
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5, msg=lambda m: f"{label}: {m}")


def check_json_roundtrip(cfg: ArchConfig) -> None:
    text = cfg.to_json(indent=2)
    back = ArchConfig.from_json(text)
    assert back == cfg and back.to_json(indent=2) == text and back.id == cfg.id


def test_every_space_is_covered() -> None:
    assert set(SPACES) == set(list_spaces())


@pytest.mark.slow
@pytest.mark.parametrize("family", ["mobilenet_v2", "mobilenet_v1", "rexnet"])
def test_baselines_round_trip(family: str) -> None:
    baselines = all_baselines((family,))
    assert len(baselines) >= 6
    for b in baselines:
        check_json_roundtrip(b.config)
        check_py_roundtrip(b.config, b.name)


@pytest.mark.slow
@pytest.mark.parametrize("space", SPACES)
def test_random_configs_round_trip(space: str) -> None:
    configs = space_configs(space)
    assert len({c.id for c in configs}) > 1
    for i, cfg in enumerate(configs):
        check_json_roundtrip(cfg)
        check_py_roundtrip(cfg, f"{space}[{i}] {cfg.id}")


def test_exported_files_pass_ruff_and_are_formatted(tmp_path) -> None:
    """Generated code must read like code a person wrote: ruff-clean (strict rule set) and stable under
    `ruff format`, for one network of every block kind and head shape."""
    configs = {b.name: b.config for b in all_baselines() if b.resolution == 224}
    for space in SPACES:
        for i, cfg in enumerate(space_configs(space, 3)):
            configs[f"{space}-{i}"] = cfg
    for label, cfg in configs.items():
        name = label.replace("-", "_").replace(".", "_")
        (tmp_path / f"{name}.py").write_text(python_source(cfg, label, {"source": label}))
    ruff = [sys.executable, "-m", "ruff"]
    check = subprocess.run([*ruff, "check", "--isolated", "--select", "E,F,W,I,B,UP,SIM", "--line-length", "110",
                            str(tmp_path)], capture_output=True, text=True)  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = subprocess.run([*ruff, "format", "--isolated", "--line-length", "110", "--check", str(tmp_path)],
                         capture_output=True, text=True)  # fmt: skip
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def onnx_sample() -> list[tuple[str, ArchConfig]]:
    """Every baseline family and 2 random configs per space (all ~370 would take minutes)."""
    from archsearch.baselines import get_baseline

    sample = [
        (n, get_baseline(n).config)
        for n in ("mobilenet_v2-1.0-224", "mobilenet_v1-0.5-160", "rexnet-1.0-224")
    ]
    for space in SPACES:
        sample += [(f"{space}[{i}]", c) for i, c in enumerate(space_configs(space)[:2])]
    return sample


@pytest.mark.slow
def test_onnx_runtime_matches_torch() -> None:
    from archsearch.export.onnx_file import TOLERANCE, export_onnx, max_difference

    worst = 0.0
    for label, cfg in onnx_sample():
        model = randomize_(build_model(cfg), seed=3)
        data = export_onnx(model, cfg.in_chans, cfg.resolution)
        x = torch.randn(
            2, cfg.in_chans, cfg.resolution, cfg.resolution, generator=torch.Generator().manual_seed(2)
        )
        diff = max_difference(data, model, x)
        assert diff <= TOLERANCE, f"{label}: ONNX Runtime differs from torch by {diff:.2e}"
        worst = max(worst, diff)
    print(f"ONNX Runtime vs torch over {len(onnx_sample())} networks: max |diff| {worst:.2e}")


def test_every_row_option_round_trips() -> None:
    """A hand-made network that needs every override a row can carry, and one with no blocks at all."""
    from archsearch.arch import Block, Head, Stem

    blocks = (
        Block("ir", 16, 16, k=3, stride=1, mid=72, se=0, act="relu6"),  # exp 4.5
        Block(
            "ir", 16, 24, k=5, stride=2, mid=100, se=20, act="hswish", se_gate="hsigmoid"
        ),  # mid and SE width not from a rule
        Block(
            "ir", 24, 24, k=3, stride=1, mid=96, se=24, act="relu", skip=False
        ),  # no residual although shapes allow
        Block("ir", 24, 48, k=3, stride=1, mid=96, se=24, act="silu", groups=2),
        Block("rex", 48, 60, k=3, stride=1, mid=288, se=24, act="silu", se_bn=True),  # partial residual
        Block("rex", 60, 60, k=3, stride=2, mid=60, se=0, act="none"),  # no expansion, linear
        Block("ds", 60, 60, k=3, stride=1, act="relu6"),  # ds with its residual
        Block("skip", 60, 60),
        Block("proj", 60, 64, k=1, stride=2),
    )
    cfg = ArchConfig(
        blocks, 64, Stem(16, 3, 2, "hswish"), Head(128, "relu", 256, 0.1), num_classes=7, name="all"
    )
    check_json_roundtrip(cfg)
    check_py_roundtrip(cfg, "every option")
    bare = ArchConfig((), 32, Stem(8, 3, 2, "relu"), Head(0, "relu", 0, 0.0), num_classes=3)
    check_py_roundtrip(bare, "no blocks")
