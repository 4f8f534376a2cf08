"""Local LiteRT times of table entries (`hardware/part_timing.py`): lone parts convert, cache, time against a
reference and round-trip through the CSV a transfer profile reads; the note10 transfer profile loads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import need_module

from archsearch.arch import Block
from archsearch.hardware.features import Part, block_part
from archsearch.kernels import Kernel

need_module("litert_torch", "the mobile extra (pip install 'archsearch[mobile]')")
need_module("ai_edge_litert", "the mobile extra (pip install 'archsearch[mobile]')")

LOGITS = "Logits-input:1x1x64-output:10"


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> dict:
    """A small block and a lone classifier (the flatten path), converted once into a private cache."""
    from archsearch.hardware.part_timing import part_tflite

    cache = tmp_path_factory.mktemp("tflite")
    block = block_part(Block("ir", 16, 16, k=3, mid=48, se=8, act="hswish", se_gate="hsigmoid"), 8)
    classifier = Kernel(
        role="classifier", kind="linear", cin=64, cout=10, h_in=1, h_out=1, bn=False, bias=True
    )
    logits = Part(LOGITS, (classifier,), "classifier")
    return {
        "cache": cache,
        "block": (block, part_tflite(block, cache)),
        "logits": (logits, part_tflite(logits, cache)),
    }


def test_a_part_converts_like_its_torch_module_and_is_cached(converted: dict, monkeypatch) -> None:
    import torch

    from archsearch.export.tflite_file import run_tflite
    from archsearch.hardware.measure import part_module
    from archsearch.hardware.part_timing import part_tflite

    for part, path in (converted["block"], converted["logits"]):
        first = part.kernels[0]
        x = (
            np.random.default_rng(0)
            .standard_normal((1, first.cin, first.h_in, first.h_in))
            .astype(np.float32)
        )
        out = run_tflite(path.read_bytes(), x.transpose(0, 2, 3, 1))  # NHWC in, as inside a network
        torch.manual_seed(0)  # part_tflite's weights
        with torch.no_grad():
            want = part_module(part)(torch.from_numpy(x)).numpy()
        if want.ndim == 4:  # and NHWC out
            want = want.transpose(0, 2, 3, 1)
        assert out.shape == want.shape and np.allclose(out, want, atol=1e-4)
    monkeypatch.setattr("archsearch.export.tflite_file.export_tflite", _no_conversion)
    part, path = converted["block"]
    assert part_tflite(part, converted["cache"]) == path


def _no_conversion(*a, **k):
    raise AssertionError("converted although the cache holds the part")


def test_timed_against_a_reference_and_read_back(converted: dict, tmp_path: Path) -> None:
    from archsearch.hardware.part_timing import Workload, time_workloads, write_times
    from archsearch.hardware.transfer import read_local_times

    (_, block), (_, logits) = converted["block"], converted["logits"]
    work = [Workload("lut_block", "b", "block-key", block), Workload("lut_block", LOGITS, LOGITS, logits)]
    lines: list[str] = []
    rows = time_workloads(work, reference=block, rounds=2, repeats=2, log=lines.append)
    assert len(lines) == 3 and "round 2/2" in lines[1]
    by_key = {r.workload.config: r for r in rows}
    # every time is its ratio on one scale: the reference's fastest run
    scale = {round(r.local_ms / r.ratio, 9) for r in rows}
    assert len(scale) == 1 and all(r.ratio > 0 for r in rows)
    assert all(r.spread_pct >= 0 and r.median_ms >= r.local_ms for r in rows)
    write_times(tmp_path / "t.csv", rows, 2, "here", "2026-12-02")
    times = read_local_times(tmp_path / "t.csv")
    assert times.networks == {} and set(times.blocks) == {"block-key", LOGITS}
    assert times.blocks[LOGITS] == pytest.approx(by_key[LOGITS].local_ms, rel=1e-5)


def test_note10_transfer_profile_predicts_its_tables_and_does_not_replace_note10(shared_data: Path) -> None:
    from archsearch.baselines import get_baseline
    from archsearch.hardware import load_profile
    from archsearch.hardware.datasets import read_lut
    from archsearch.hardware.metrics import accuracy

    p = load_profile("note10-transfer")
    assert p.predictor.kind == "transfer" and p.predictor.exponent == 1.0  # no whole-network points
    entries = read_lut(shared_data / "latency/note10_ofa_block_lut/224_lookup_table.yaml")
    a = accuracy([p.predictor.predict_sample(e.sample) for e in entries], [e.sample.ms for e in entries])
    assert a["mape"] < 10 and a["kendall_tau"] > 0.9
    # shipped beside note10, not in its place: worse on held-out tables, and the file says so
    v = p.validation
    assert v["lut_cv"]["mape"] > v["lut_cv_kernel_linear"]["mape"]
    assert load_profile("note10").predictor.kind == "kernel-linear"
    assert 10 < p.predict(get_baseline("mobilenet_v2-1.0-224").config) < 40
