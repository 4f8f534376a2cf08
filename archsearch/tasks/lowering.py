"""A task network lowered into kernels: the backbone's (from `archsearch.kernels`, without its pool and
classifier) then the head's (from its `HeadLayer`s). The cost and the latency of a detector or segmenter
are sums over this one list, as for a classifier. No torch here.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from archsearch.arch import ArchConfig, feature_sizes
from archsearch.cost import BYTES_PER_ELEMENT, Cost, cost, cost_by_block, kernel_macs, kernel_params
from archsearch.hardware.features import Part, kernels_key, network_parts
from archsearch.kernels import Kernel, block_kernels, head_kernels, stem_kernel
from archsearch.tasks.layers import HeadLayer, sources
from archsearch.tasks.spec import TaskNet, get_task, plan

if TYPE_CHECKING:
    from archsearch.hardware.profile import Profile

CLASSIFIER_ROLES = ("pool", "post_pool", "classifier")
"""Kernels of the classification head that a task network does not run."""


def head_kernel(layer: HeadLayer, head: str) -> Kernel:
    """The kernel a head layer runs (role `<head>.<name>`). Dilation changes neither its MACs nor its
    parameters, and the latency features see a dilated conv as one of its kernel size."""
    return Kernel(role=f"{head}.{layer.name}", kind=layer.kind, cin=layer.cin, cout=layer.cout, k=layer.k,
                  stride=layer.stride, groups=layer.groups, act=layer.act, bn=layer.bn, bias=layer.bias,
                  dilation=layer.dilation, h_in=layer.h_in, h_out=layer.h_out)  # fmt: skip


def head_name(net: TaskNet) -> str:
    return get_task(net.task).head


@lru_cache(maxsize=4096)
def task_kernels(net: TaskNet) -> tuple[Kernel, ...]:
    """Every kernel of the task network in execution order: backbone (its 1x1 head conv included where
    the task keeps it), then the head."""
    p = plan(net)
    sides = feature_sizes(p.backbone)
    backbone = [stem_kernel(p.backbone, sides[0])]
    for i, (b, h, rate) in enumerate(zip(p.backbone.blocks, sides, p.dilation, strict=False)):
        backbone.extend(block_kernels(b, h, i, rate))
    backbone += [k for k in head_kernels(p.backbone, sides[-1]) if k.role not in CLASSIFIER_ROLES]
    return (*backbone, *(head_kernel(layer, head_name(net)) for layer in p.layers))


def task_cost(net: TaskNet) -> Cost:
    """MACs, params and peak activation bytes of the whole task network (conventions of `archsearch.cost`;
    upsampling and concatenation are neither MACs nor parameters)."""
    ks = task_kernels(net)
    return Cost(sum(kernel_macs(k) for k in ks), sum(kernel_params(k) for k in ks), _peak_bytes(net))


def _peak_bytes(net: TaskNet) -> int:
    """Largest live set: the backbone's own peak per block (`archsearch.cost`), plus a tap held from the
    block that makes it to the head; in the head, each layer's inputs and output plus every tensor a later
    layer still reads."""
    p = plan(net)
    _, blocks = cost_by_block(p.backbone)
    held_from = {t.block: t.channels * t.side * t.side for t in p.taps if t.where != "output"}
    held, peak = 0, 0
    for i, (_, _, pk) in enumerate(blocks):
        held += held_from.get(i, 0)
        peak = max(peak, pk + held)
    stem, side = p.backbone.stem.channels, feature_sizes(p.backbone)[0]
    peak = max(peak, net.in_chans * net.resolution**2 + stem * side * side)
    tensors = {t.name: t.channels * t.side * t.side for t in p.taps}
    last = sources(p.layers)
    for i, layer in enumerate(p.layers):
        out = layer.cout * layer.h_out * layer.h_out
        live = sum(tensors[s] for s in set(layer.src)) + out
        live += sum(v for n, v in tensors.items() if n not in layer.src and last.get(n, -1) > i)
        peak = max(peak, live)
        tensors[layer.name] = out
    return peak * BYTES_PER_ELEMENT


def task_parts(net: TaskNet) -> tuple[Part, ...]:
    """The workload the latency predictors read: the backbone's stem and blocks (cached block parts), then
    one part with the backbone's 1x1 head conv (if kept) and the task head's kernels."""
    p = plan(net)
    stem_and_blocks = network_parts(p.backbone)[:-1]
    head = tuple(k for k in task_kernels(net) if k.block == -1 and k.role not in ("stem",))
    label = f"{head_name(net)} head at {net.resolution}x{net.resolution}"
    return (*stem_and_blocks, Part(kernels_key(head_name(net), head), head, label))


def predict_ms(profile: Profile, net: TaskNet) -> float:
    """Predicted latency (ms) of the whole task network on `profile`: its predictor over `task_parts`
    (one per-network term), times the profile's anchor scale."""
    from archsearch.hardware.predictors import Sample

    return profile.scale * profile.predictor.predict_sample(Sample(task_parts(net), 0.0, True))


def network_cost(net: ArchConfig | TaskNet) -> Cost:
    """The cost of a classifier or of a whole task network."""
    return task_cost(net) if isinstance(net, TaskNet) else cost(net)


def network_ms(profile: Profile, net: ArchConfig | TaskNet) -> float:
    """The predicted latency (ms) of a classifier or of a whole task network on `profile`."""
    return predict_ms(profile, net) if isinstance(net, TaskNet) else float(profile.predict(net))
