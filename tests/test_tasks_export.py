"""Export of task networks: the py file rebuilds the same state_dict names and shapes and the same outputs,
ONNX Runtime agrees with torch within 1e-4 on every output, the JSON reads back."""

from __future__ import annotations

import types

import pytest
import torch

from archsearch.baselines import mobilenet_v2
from archsearch.models import build_model
from archsearch.tasks import TaskNet, load_network, plan
from archsearch.tasks.export import onnx_for_task, task_python_source
from archsearch.tasks.heads import anchor_boxes, ssd_map_sides
from archsearch.tasks.models import build_task_model

NETS = [
    TaskNet("detection", mobilenet_v2(0.35, 224), 257),
    TaskNet("segmentation-aspp", mobilenet_v2(0.35, 224), 289),
]


@pytest.mark.parametrize("net", NETS, ids=lambda n: n.task)
def test_py_json_onnx_round_trip(net):
    src = task_python_source(net, net.name, {"source": "test"})
    module = types.ModuleType("exported")
    exec(compile(src, "exported", "exec"), module.__dict__)  # noqa: S102 - our own generated file
    ours, theirs = build_task_model(net).eval(), module.build().eval()
    assert [(k, v.shape) for k, v in ours.state_dict().items()] == [
        (k, v.shape) for k, v in theirs.state_dict().items()
    ]
    theirs.load_state_dict(ours.state_dict())
    x = torch.randn(1, 3, net.resolution, net.resolution)
    with torch.no_grad():
        a, b = ours(x), theirs(x)
    for p, q in zip(*(o if isinstance(o, tuple) else (o,) for o in (a, b)), strict=True):
        assert torch.equal(p, q)
    if net.task == "detection":  # raw outputs per anchor; the backbone's ImageNet weights load
        n = len(anchor_boxes(ssd_map_sides(plan(net).layers)))
        assert a[0].shape == (1, n, 4) and a[1].shape == (1, n, 91)
        classifier = build_model(net.backbone).state_dict()
        assert {k for k in classifier if not k.startswith("classifier")} <= set(ours.state_dict())
    assert load_network(net.to_json(indent=2)) == net
    _, diff = onnx_for_task(net, ours.state_dict())
    assert diff <= 1e-4
