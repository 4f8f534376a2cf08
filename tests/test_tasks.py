"""Task networks: attachment points, the paper's counts, fvcore/torch agreement, refusals, JSON.

fvcore runs at the smallest input each head accepts (the structure, not the side, is what it checks);
`benchmarks/task_counts.py` runs the same check on 50 random configs per task at the tasks' own sides."""

from __future__ import annotations

import math
import random

import pytest
import torch

from archsearch.baselines import mobilenet_v2
from archsearch.hardware import list_profiles, load_profile
from archsearch.hardware.features import kernel_group
from archsearch.spaces import load_space
from archsearch.tasks import TaskError, TaskNet, load_network, plan
from archsearch.tasks.baselines import get_task_baseline, task_baseline_names
from archsearch.tasks.heads import anchor_boxes, ssd_map_sides
from archsearch.tasks.lowering import predict_ms, task_cost, task_kernels
from archsearch.tasks.models import build_task_model, fvcore_task_cost

MBV2 = mobilenet_v2(1.0, 224)
SMALLEST = {"detection": 257, "segmentation": 64, "segmentation-aspp": 289}


def test_ssdlite_mbv2_attaches_at_layer15_expansion_and_layer19():
    p = plan(TaskNet("detection", MBV2))
    t0, t1 = p.taps
    assert (t0.block, t0.where, t0.channels, t0.side) == (13, "expand", 576, 20)  # layer_15/expansion_output
    assert (t1.where, t1.channels, t1.side) == ("output", 1280, 10)  # layer_19
    sides = ssd_map_sides(p.layers)
    assert sides == [20, 10, 5, 3, 2, 1]
    assert len(anchor_boxes(sides)) == 20 * 20 * 3 + 6 * (100 + 25 + 9 + 4 + 1) == 2034


def test_paper_counts():
    """MobileNetV2 paper: SSDLite 4.3M / 0.8B (Table 6); Mobile DeepLabv3 (Table 7, MNet V2*, OS 16) 2.11M /
    2.75B without ASPP, 4.52M / 5.8B with, at DeepLab's 513 crop."""
    det = task_cost(get_task_baseline("ssdlite-mobilenet_v2-1.0-320").config)
    assert (det.macs, det.params) == (804_397_504, 4_500_543)
    assert abs(det.macs / 0.8e9 - 1) < 0.05 and abs(det.params / 4.3e6 - 1) < 0.05
    seg = task_cost(get_task_baseline("deeplabv3-mobilenet_v2-1.0-513").config)
    assert abs(seg.macs / 2.75e9 - 1) < 0.01 and abs(seg.params / 2.11e6 - 1) < 0.005
    aspp = task_cost(get_task_baseline("deeplabv3-aspp-mobilenet_v2-1.0-513").config)
    assert abs(aspp.params / 4.52e6 - 1) < 0.005
    # 5.8B is TF's count: each atrous conv runs through space-to-batch on a padded 36x36 grid, not 33x33
    grid_extra = 3 * 320 * 256 * 9 * (36 * 36 - 33 * 33)
    assert abs((aspp.macs + grid_extra) / 5.8e9 - 1) < 0.01
    assert task_cost(get_task_baseline("deeplabv3-mobilenet_v2-1.0-512").config).macs == 2_603_958_272


def test_segmentation_backbone_runs_at_output_stride_16_with_dilation():
    p = plan(TaskNet("segmentation", MBV2))
    strides = [b.stride for b in p.backbone.blocks]
    assert strides[13] == 1 and p.dilation[13] == 1 and set(p.dilation[14:]) == {2}  # TF-slim's rule
    assert p.backbone.head.channels == 0 and p.taps[0].channels == 320 and p.taps[0].side == 32
    model = build_task_model(TaskNet("segmentation", MBV2, 64)).eval()
    assert model.blocks[14].dw.conv.dilation == (2, 2) and model.blocks[13].dw.conv.dilation == (1, 1)
    assert model(torch.zeros(1, 3, 64, 64)).shape == (1, 21, 64, 64)


def test_every_profile_times_whole_task_networks():
    """The heads' kernels are lowered like the rest: every shipped profile predicts detectors and
    segmenters, ASPP's dense atrous convs are timed as 1x1 convs per MAC (not free), upsampling and
    concatenation as data movement like the residual add."""
    kernels = {k.role: k for k in task_kernels(TaskNet("segmentation-aspp", MBV2))}
    assert (
        kernel_group(kernels["deeplabv3-aspp.aspp1"]) == "pw"
        and kernels["deeplabv3-aspp.aspp1"].dilation == 6
    )
    assert kernel_group(kernels["deeplabv3-aspp.upsample"]) == "add"
    nets = [TaskNet(t, MBV2) for t in ("detection", "segmentation", "segmentation-aspp")]
    for name in list_profiles():
        profile = load_profile(name)
        ms = [predict_ms(profile, n) for n in nets]
        assert all(math.isfinite(m) and m > 0 for m in ms), name
        assert ms[2] >= ms[1], name
    pixel = load_profile("pixel")
    assert predict_ms(pixel, nets[2]) > 1.3 * predict_ms(pixel, nets[1])
    assert predict_ms(pixel, nets[0]) > pixel.predict(MBV2.with_(resolution=320))


def _random_nets() -> list[TaskNet]:
    """One random config per task, from mbv2, rexnet and anb in turn."""
    rng = random.Random(17)
    spaces = [load_space(s) for s in ("mbv2", "rexnet", "anb")]
    return [TaskNet(task, spaces[(i + j) % 3].random(rng), side)
            for j in range(1) for i, (task, side) in enumerate(SMALLEST.items())]  # fmt: skip


@pytest.mark.parametrize("net", [
    *(TaskNet(task, MBV2, side) for task, side in SMALLEST.items() if task != "detection"),
    *_random_nets(),
], ids=lambda n: f"{n.task}-{n.backbone.name or n.backbone.id}-{n.resolution}")  # fmt: skip
def test_fvcore_and_torch_agree_with_analytic_counts(net):
    """The MobileNetV2 detector is checked at 320 by the counts above (fvcore-verified constants) and
    built in tests/test_tasks_export.py; one random detector runs here."""
    c = task_cost(net)
    assert fvcore_task_cost(net) == (c.macs, c.params)


@pytest.mark.parametrize("task,side,why", [
    ("detection", 256, "too small for the SSDLite head"),
    ("segmentation-aspp", 288, "too small for the DeepLabv3 head"),
    ("pose", 320, "unknown task 'pose'"),
])  # fmt: skip
def test_bad_task_input_is_one_line(task, side, why):
    with pytest.raises(TaskError, match=why) as e:
        TaskNet(task, MBV2, side)
    assert "\n" not in str(e.value)


def test_a_space_without_output_stride_16_is_refused():
    cfg = load_space("nasbench-macro").random(random.Random(0))
    with pytest.raises(TaskError, match="output stride 8"):
        TaskNet("detection", cfg)


def test_json_round_trip_and_ids():
    net = get_task_baseline("deeplabv3-aspp-mobilenet_v2-1.0-512").config
    back = load_network(net.to_json())
    assert back == net and back.to_json() == net.to_json() and back.id == net.id != net.backbone.id
    assert load_network(MBV2.to_json()) == MBV2


def test_baseline_grids():
    assert "ssdlite-mobilenet_v2-1.0-320" in task_baseline_names("detection")
    assert "deeplabv3-mobilenet_v2-1.0-513" in task_baseline_names("segmentation")
    assert get_task_baseline("ssdlite-mobilenet_v2-1.0-320").top1 == 71.8


def test_task_run_costs_whole_networks_and_names_the_task(tmp_path, capsys):
    """A detection run: every trial's MACs and latency are the whole detector's, the baselines are the
    task baselines, run.json and the dashboard name the task, the exported finalist has the head."""
    import csv
    import json

    from archsearch.arch import ArchConfig
    from archsearch.cli import main

    args = ["run", "--task", "detection", "--space", "mbv2", "--budget", "1.5GFLOPs", "--hw", "pixel", "--trials",
            "4", "--finalists", "1", "--out", str(tmp_path), "--name", "det", "--no-progress"]  # fmt: skip
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "Task detection" in out and "the score is the backbone's" in out
    run = tmp_path / "det"
    assert json.loads((run / "run.json").read_text())["task"] == "detection"
    pixel = load_profile("pixel")
    with (run / "trials.csv").open() as f:
        trials = list(csv.DictReader(f))
    for t in trials:
        net = TaskNet("detection", ArchConfig.from_json(t["config_json"]))
        assert (
            int(t["macs"]) == task_cost(net).macs
            and abs(float(t["latency_ms"]) - predict_ms(pixel, net)) < 1e-6
        )
    with (run / "baselines.csv").open() as f:
        assert {b["name"] for b in csv.DictReader(f)} >= {"ssdlite-mobilenet_v2-1.0-320"}
    assert "task detection" in (run / "dashboard.html").read_text()
    (py,) = (run / "exports").glob("*.py")
    assert "HEAD_LAYERS" in py.read_text() and "ssdlite" in py.read_text()


@pytest.mark.parametrize(("argv", "why"), [
    (["run", "--task", "detection", "--space", "nasbench-macro", "--trials", "2"], "has no detection form"),
    (["run", "--task", "tracking", "--trials", "2"], "unknown task 'tracking'"),
    (["baselines", "--task", "tracking"], "unknown task 'tracking'"),
    (["predict", "--hw", "pixel", "--baseline", "ssdlite-mobilenet_v2-1.0-128"], "too small for the SSDLite head"),
    (["export", "--task", "segmentation-aspp", "--baseline", "mobilenet_v2-1.0-224", "--format", "tflite"],
     "not available"),
])  # fmt: skip
def test_bad_task_input_on_the_cli_is_one_line_exit_2(argv, why, tmp_path, capsys):
    from archsearch.cli import main

    assert main([*argv, *(["--out", str(tmp_path)] if argv[0] in ("run", "export") else [])]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and why in err, err
    assert not any(tmp_path.iterdir())


def test_task_listings_and_predict():
    """baselines --task: the paper's SSDLite row with a latency; predict --task on a classification baseline
    is the task baseline, its score column the backbone's."""
    from archsearch.cli.profiles_cmd import _networks
    from archsearch.tasks.rows import task_baseline_rows

    rows = {r["name"]: r for r in task_baseline_rows("detection", load_profile("pixel"))}
    row = rows["ssdlite-mobilenet_v2-1.0-320"]
    assert (row["macs"], row["params"]) == (804_397_504, 4_500_543) and row["latency_ms"] > 0
    assert row["published"] == "COCO mAP 22.1" and row["backbone_top1"] == 71.8
    import argparse

    ns = argparse.Namespace(task="detection", baseline=["mobilenet_v2-1.0-224"], config=[])
    ((net, top1),) = _networks(ns)
    assert net.name == "ssdlite-mobilenet_v2-1.0-320" and top1 == 71.8
