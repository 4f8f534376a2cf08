"""torch modules of a task network: `build_task_model(net)`.

The backbone is `archsearch.models`' own network of the plan's backbone (same module names, so ImageNet
weights of the classifier load into it), its blocks at the plan's atrous rates; the head is
built from the plan's `HeadLayer`s under `<head>.<name>` (e.g. `ssdlite.extra2.dw`, `deeplabv3.aspp1`).
Detection returns (boxes (N, anchors, 4), scores (N, anchors, classes)): raw box codes and logits, before
the anchors' decoding and non-maximum suppression, which are not part of the network. Segmentation
returns logits (N, classes, H, W) at the input size.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from archsearch.models import ConvBNAct, _init_weights, build_model
from archsearch.tasks.layers import HeadLayer
from archsearch.tasks.spec import TaskNet, get_task, plan


def head_module_name(net: TaskNet) -> str:
    """The attribute holding the head: its name without variants (`deeplabv3` for ASPP too)."""
    return get_task(net.task).head.split("-")[0]


class Upsample(nn.Module):
    """Bilinear resize to a fixed side (align_corners, as TF DeepLab)."""

    def __init__(self, side: int):
        super().__init__()
        self.side = side

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, size=(self.side, self.side), mode="bilinear", align_corners=True)


def build_layer(layer: HeadLayer) -> nn.Module | None:
    """The torch module of one head layer (None for a concatenation, which has no module)."""
    if layer.kind in ("conv", "pw", "dw"):
        rate = layer.dilation
        if layer.bias:
            return nn.Conv2d(layer.cin, layer.cout, layer.k, layer.stride, rate * (layer.k // 2),
                             dilation=rate, groups=layer.groups)  # fmt: skip
        return ConvBNAct(layer.cin, layer.cout, layer.k, layer.stride, layer.groups, layer.act, rate)
    if layer.kind == "pool":
        return nn.AdaptiveAvgPool2d(1)
    if layer.kind == "upsample":
        return Upsample(layer.h_out)
    return None


class Head(nn.Module):
    """A head's layers as nested submodules (`extra2.dw` -> self.extra2.dw), run in order on named tensors."""

    def __init__(self, layers: tuple[HeadLayer, ...]):
        super().__init__()
        self.layers = layers
        for layer in layers:
            m = build_layer(layer)
            if m is not None:
                parent: nn.Module = self
                *path, leaf = layer.name.split(".")
                for part in path:
                    if not hasattr(parent, part):
                        parent.add_module(part, nn.Module())
                    parent = getattr(parent, part)
                parent.add_module(leaf, m)
        self.outputs = [layer for layer in layers if layer.output]

    def forward(self, tensors: dict[str, torch.Tensor]) -> tuple[torch.Tensor, ...]:
        for layer in self.layers:
            xs = [tensors[s] for s in layer.src]
            if layer.kind == "concat":
                if layer.code:
                    xs = [x.permute(0, 2, 3, 1).reshape(x.shape[0], -1, layer.code) for x in xs]
                tensors[layer.name] = torch.cat(xs, 1)
            else:
                tensors[layer.name] = self.get_submodule(layer.name)(xs[0])
        return tuple(tensors[layer.name] for layer in self.outputs)


class TaskModel(nn.Module):
    """Backbone (stem, blocks, 1x1 head conv if kept) and the task head."""

    def __init__(self, net: TaskNet):
        super().__init__()
        p = plan(net)
        base = build_model(p.backbone, p.dilation)
        self.stem, self.blocks, self.head = base.stem, base.blocks, base.head
        self.head_name = head_module_name(net)
        self.add_module(self.head_name, Head(p.layers))
        _init_weights(getattr(self, self.head_name))
        self.taps = p.taps
        self._tapped: dict[str, torch.Tensor] = {}
        for t in p.taps:
            if t.where == "expand":
                self.blocks[t.block].expand.register_forward_hook(self._keep(t.name))

    def _keep(self, name: str):  # noqa: ANN202
        def hook(_m: nn.Module, _x: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
            self._tapped[name] = out

        return hook

    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, ...]:
        self._tapped = {}
        inputs = {t.block: t.name for t in self.taps if t.where == "input"}
        x = self.stem(x)
        for i, blk in enumerate(self.blocks):
            if i in inputs:
                self._tapped[inputs[i]] = x
            x = blk(x)
        x = self.head(x)
        tensors = dict(self._tapped)
        tensors.update({t.name: x for t in self.taps if t.where == "output"})
        out = getattr(self, self.head_name)(tensors)
        return out[0] if len(out) == 1 else out


def build_task_model(net: TaskNet) -> TaskModel:
    """The torch network of `net` (randomly initialised)."""
    return TaskModel(net)


def fvcore_task_cost(net: TaskNet, model: TaskModel | None = None) -> tuple[int, int]:
    """Cross-check of `archsearch.tasks.lowering.task_cost`: (conv + linear MACs by fvcore, torch params)
    of `model` (default: a new one built for `net`)."""
    from fvcore.nn import FlopCountAnalysis

    model = (model or build_task_model(net)).eval()
    x = torch.zeros(1, net.in_chans, net.resolution, net.resolution)
    fca = FlopCountAnalysis(model, x)
    fca.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    by_op = fca.by_operator()
    return int(by_op.get("conv", 0) + by_op.get("linear", 0)), sum(p.numel() for p in model.parameters())
