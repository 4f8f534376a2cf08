"""Rows of task networks for the listing commands (`baselines --task`, `predict --task`): the whole
network's costs and latency beside the backbone's published ImageNet top-1 and the paper's figures."""

from __future__ import annotations

from typing import Any

from archsearch.tasks.baselines import task_baselines
from archsearch.tasks.lowering import predict_ms, task_cost
from archsearch.tasks.spec import TaskNet


def network_row(net: TaskNet, profile: Any = None) -> dict[str, Any]:
    c = task_cost(net)
    row: dict[str, Any] = {"name": net.name, "task": net.task, "resolution": net.resolution, "macs": c.macs,
                           "params": c.params, "peak_act_bytes": c.peak_bytes}  # fmt: skip
    if profile is not None:
        row["latency_ms"] = round(predict_ms(profile, net), 3)
    return row


def task_baseline_rows(task: str, profile: Any = None) -> list[dict[str, Any]]:
    """One row per task baseline: name, task, input side, MACs, params, peak memory, [latency], the
    backbone's published ImageNet top-1 (`backbone_top1`: what a task score is compared with), and the
    paper's metric, parameters and multiply-adds where it published them."""
    rows = []
    for b in task_baselines(task):
        row = network_row(b.config, profile)
        row["backbone_top1"] = b.top1
        p = b.published
        row.update(published=f"{p.metric} {p.value}" if p else None, published_params=round(p.params) if p else None,
                   published_madds=round(p.madds) if p else None)  # fmt: skip
        rows.append(row)
    return rows
