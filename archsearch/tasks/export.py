"""Export of a task network: `py` (the backbone's config-rows file plus the head as data rows and a small
graph runner), `json` (the TaskNet JSON) and `onnx` (checked with ONNX Runtime on every output).

The py file's module names and shapes equal `archsearch.tasks.models.build_task_model`'s, so state_dicts
load both ways; only `build()` and the `__main__` check differ from a classifier's file."""

from __future__ import annotations

import io
import warnings
from collections.abc import Mapping
from typing import Any

from archsearch.export import ExportError
from archsearch.export.checked import refuse_above_tolerance
from archsearch.export.pyfile import _literal, python_source
from archsearch.tasks.spec import TaskNet, get_task, plan

OPSET = 17

TASK_TEMPLATE = '''

TASK = {task}
INPUT_SIZE = {resolution}  # the whole network's input side
CLASSES = {classes}  # background included
# atrous rate of each block's depthwise conv (strides past output stride 16)
DILATION = {dilation}
# name, block index, "expand" output / block "input" / backbone "output"
TAPS = {taps}

# The {head} head, in execution order. name, kind, inputs, in_channels, out_channels, kernel, stride,
# dilation, activation, prediction conv (bias, no BN), values per anchor (SSD output concat), output side,
# network output
HEAD_LAYERS = [
{rows}]


class Resize(nn.Module):
    """Bilinear resize to a fixed side (align_corners, as TF DeepLab)."""

    def __init__(self, side: int):
        super().__init__()
        self.side = side

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.interpolate(x, size=(self.side, self.side), mode="bilinear", align_corners=True)


def make_layer(row: list) -> nn.Module | None:
    """One head row -> its module (None for a concatenation)."""
    _, kind, _, cin, cout, k, stride, rate, act, predict, _, side, _ = row
    if kind == "pool":
        return nn.AdaptiveAvgPool2d(1)
    if kind == "upsample":
        return Resize(side)
    if kind == "concat":
        return None
    groups = cin if kind == "dw" else 1
    if predict:
        return nn.Conv2d(cin, cout, k, stride, rate * (k // 2), dilation=rate, groups=groups)
    layer = ConvBNAct(cin, cout, k, stride, groups, act)
    layer.conv.dilation, layer.conv.padding = (rate, rate), (rate * (k // 2),) * 2
    return layer


class Head(nn.Module):
    """The head rows as nested submodules (`extra2.dw` -> self.extra2.dw), run in order on named tensors."""

    def __init__(self):
        super().__init__()
        for row in HEAD_LAYERS:
            layer = make_layer(row)
            if layer is not None:
                parent = self
                *path, leaf = row[0].split(".")
                for part in path:
                    if not hasattr(parent, part):
                        parent.add_module(part, nn.Module())
                    parent = getattr(parent, part)
                parent.add_module(leaf, layer)

    def forward(self, tensors: dict) -> tuple:
        for name, kind, inputs, *_, code, _, _ in HEAD_LAYERS:
            xs = [tensors[i] for i in inputs]
            if kind == "concat":
                if code:
                    xs = [x.permute(0, 2, 3, 1).reshape(x.shape[0], -1, code) for x in xs]
                tensors[name] = torch.cat(xs, 1)
            else:
                tensors[name] = self.get_submodule(name)(xs[0])
        return tuple(tensors[row[0]] for row in HEAD_LAYERS if row[-1])


class TaskNet(nn.Module):
    """{title}: the backbone's stem, blocks and head conv (no pool or classifier), then the {head} head."""

    def __init__(self):
        super().__init__()
        backbone = Net()
        self.stem, self.blocks = backbone.stem, backbone.blocks
        self.head = getattr(backbone, "head", nn.Identity())
        for block, rate in zip(self.blocks, DILATION, strict=True):
            if rate > 1:
                conv = block.dw.conv
                conv.dilation, conv.padding = (rate, rate), (rate * (conv.kernel_size[0] // 2),) * 2
        self.{module} = Head()
        self.tapped = {{}}
        for name, index, where in TAPS:
            if where == "expand":
                self.blocks[index].expand.register_forward_hook(self._keep(name))

    def _keep(self, name: str):
        def hook(module, inputs, output):
            self.tapped[name] = output

        return hook

    def forward(self, x: torch.Tensor):
        self.tapped = {{}}
        inputs = {{index: name for name, index, where in TAPS if where == "input"}}
        x = self.stem(x)
        for i, block in enumerate(self.blocks):
            if i in inputs:
                self.tapped[inputs[i]] = x
            x = block(x)
        x = self.head(x)
        tensors = dict(self.tapped)
        tensors.update({{name: x for name, _, where in TAPS if where == "output"}})
        out = self.{module}(tensors)
        return out[0] if len(out) == 1 else out


def build() -> TaskNet:
    """The whole network, randomly initialised (load trained weights with `load_state_dict`)."""
    return TaskNet()


if __name__ == "__main__":
    model = build().eval()
    with torch.no_grad():
        out = model(torch.randn(1, STEM[0], INPUT_SIZE, INPUT_SIZE))
    shapes = [tuple(o.shape) for o in (out if isinstance(out, tuple) else (out,))]
    print(f"{{sum(p.numel() for p in model.parameters()):,}} parameters, outputs {{shapes}}")
'''


def _head_rows(net: TaskNet) -> str:
    rows = []
    for layer in plan(net).layers:
        row = [layer.name, layer.kind, list(layer.src), layer.cin, layer.cout, layer.k, layer.stride,
               layer.dilation, layer.act, layer.bias, layer.code, layer.h_out, layer.output]  # fmt: skip
        text = _literal(row)
        if len(text) > 104:  # one input a line, as a formatter would split it
            inner = "".join(f"        {_literal(x)},\n" for x in row)
            text = "[\n" + inner + "    ]"
        rows.append(f"    {text},\n")
    return "".join(rows)


def task_python_source(net: TaskNet, title: str, provenance: dict[str, str]) -> str:
    """The exported file's text for `net`: the backbone's rows and blocks, then the head."""
    p = plan(net)
    backbone = python_source(p.backbone, title, provenance)
    cut = backbone.find("\n\ndef build(")
    if cut < 0:
        raise ExportError(f"cannot write {title} as a py file: the backbone file has no build()")
    t = get_task(net.task)
    taps = [[tap.name, tap.block, tap.where] for tap in p.taps]
    text = backbone[:cut].rstrip("\n") + "\n" + TASK_TEMPLATE.format(
        task=_literal(net.task), resolution=net.resolution, classes=net.num_classes,
        dilation=_literal(list(p.dilation)), taps=_literal(taps), rows=_head_rows(net), head=t.head,
        module=t.head.split("-")[0], title=title.replace('"', "'"),
    )  # fmt: skip
    return text


def onnx_for_task(net: TaskNet, state_dict: Mapping[str, Any] | None = None) -> tuple[bytes, float]:
    """(ONNX bytes, max |ONNX Runtime - torch| over every output) for `net`; refused above TOLERANCE."""
    import numpy as np
    import onnxruntime as ort
    import torch

    from archsearch.tasks.models import build_task_model

    model = build_task_model(net).eval()
    if state_dict is not None:
        model.load_state_dict(state_dict)
    names = [layer.output for layer in plan(net).layers if layer.output]
    buf = io.BytesIO()
    side = net.resolution
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.zeros(1, net.in_chans, side, side),), buf, dynamo=False,
                          opset_version=OPSET, input_names=["input"], output_names=names,
                          dynamic_axes={n: {0: "batch"} for n in ["input", *names]})  # fmt: skip
    data = buf.getvalue()
    x = torch.randn(2, net.in_chans, side, side, generator=torch.Generator().manual_seed(0))
    got = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, {"input": x.numpy()})
    with torch.no_grad():
        want = model(x)
    want = want if isinstance(want, tuple) else (want,)
    diff = max(float(np.abs(g - w.numpy()).max()) for g, w in zip(got, want, strict=True))
    return data, refuse_above_tolerance(diff, "ONNX Runtime")
