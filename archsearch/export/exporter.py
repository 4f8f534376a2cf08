"""What to export (a `Target`: config, provenance, weights) and how it becomes files.

Every file is rendered in memory first (ONNX checked with ONNX Runtime, TF-Lite with LiteRT), then
written to a temporary name beside its destination and renamed; existing files need `force`. So a
refused or failed export leaves nothing half-written."""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from archsearch.arch import ArchConfig, ConfigError
from archsearch.export import FORMATS, ExportError
from archsearch.export.run_reader import Run
from archsearch.tasks import TaskNet, load_network
from archsearch.tasks.lowering import network_cost
from archsearch.tasks.spec import as_task


@dataclass(frozen=True)
class Target:
    """One network to export. `stem` names its files (a Python identifier, so the .py imports)."""

    stem: str
    cfg: ArchConfig | TaskNet  # a classifier, or a whole detector / segmenter (its head included)
    title: str
    provenance: dict[str, str]
    weights: Path | None = None


@dataclass(frozen=True)
class Rendered:
    files: dict[str, bytes]
    notes: dict[str, str]  # file name -> short note for the user (ONNX check, weights)


def identifier(text: str) -> str:
    ident = re.sub(r"\W+", "_", text).strip("_").lower() or "net"
    return f"net_{ident}" if ident[0].isdigit() else ident


def _cost_lines(cfg: ArchConfig | TaskNet) -> dict[str, str]:
    c = network_cost(cfg)
    whole = f", backbone and {cfg.task} head; NMS not counted" if isinstance(cfg, TaskNet) else ""
    return {
        "MACs": f"{c.macs:,} (conv + linear multiply-adds at {cfg.resolution}x{cfg.resolution}{whole})",
        "params": f"{c.params:,}",
        "peak activation": f"{c.peak_bytes / 2**20:.2f} MiB (batch 1, float32)",
        "config id": cfg.id,
    }


def baseline_target(name: str, task: str | None = None) -> Target:
    """A baseline; a task baseline name or a `task` gives the whole task network."""
    from archsearch.baselines import get_baseline
    from archsearch.tasks import get_task
    from archsearch.tasks.baselines import is_task_baseline, task_baseline_for

    if is_task_baseline(name) or (task and get_task(task).head):
        tb = task_baseline_for(name, task)
        prov = {"source": f"archsearch task baseline {tb.name} (backbone {tb.backbone})"}
        if tb.top1 is not None:
            prov["backbone published top-1"] = f"{tb.top1}% (ImageNet)"
        return Target(identifier(tb.name), tb.config, tb.name, {**prov, **_cost_lines(tb.config)})
    b = get_baseline(name)
    prov = {"source": f"archsearch baseline {b.name}"}
    if b.top1 is not None:
        prov["published top-1"] = f"{b.top1}% (ImageNet)"
    return Target(identifier(b.name), b.config, b.name, {**prov, **_cost_lines(b.config)})


def config_file_target(path: str, task: str | None = None) -> Target:
    """An ArchConfig or TaskNet JSON file; with `task`, a backbone config gets that task's head."""
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as e:
        raise ExportError(f"cannot read config {path}: {e.strerror}") from None
    try:
        cfg = as_task(load_network(text), task)
    except ConfigError as e:
        raise ExportError(f"{path}: {e}") from None
    name = cfg.name or p.stem
    return Target(identifier(name), cfg, name, {"source": f"config file {p.name}", **_cost_lines(cfg)})


def _fmt(v: object, spec: str) -> str | None:
    return None if v is None or (isinstance(v, float) and pd.isna(v)) else format(v, spec)


def trial_target(run: Run, row: pd.Series) -> Target:
    meta = run.meta
    try:
        backbone = ArchConfig.from_json(row["config_json"])
        cfg = as_task(backbone, meta.get("task"))
    except ConfigError as e:
        raise ExportError(f"run {run.id}, trial {row['number']}: {e}") from None
    marks = [m for m, on in (("finalist", row["finalist"]), ("Pareto front", row["pareto"])) if on]
    prov = {
        "run": run.id + (f" ({meta['name']})" if meta.get("name") not in (None, "", run.id) else ""),
        "trial": f"{row['number']} ({', '.join([str(row['state']), *marks])})",
        "space": str(meta.get("space", "?")),
        "profile": str(meta.get("profile", "?")),
        "seed": str(meta.get("seed", "?")),
        **_cost_lines(cfg),
        "predicted latency": (_fmt(row["latency_ms"], ".3f") or "-") + f" ms ({meta.get('profile', '?')})",
        "score": _fmt(row["score"], ".6g") or "-",
        "trained top-1": _fmt(row["trained_top1"], ".2f") or "- (not trained)",
    }
    stem, weights = f"trial_{row['number']}", run.weights_path(str(row["config_id"]))
    if isinstance(cfg, TaskNet):  # the search scored the backbone; the head has no trained weights
        prov["task"] = f"{cfg.task}: the whole network, head included (random weights)"
        prov["score"] += " (the backbone's predicted ImageNet top-1)"
        return Target(stem, cfg, f"{run.id} trial {row['number']}", prov)
    trained = weights.with_suffix(".json") if weights is not None else None
    if trained is not None and trained.is_file():  # the network as trained: the dataset's classes
        cfg = ArchConfig.from_json(trained.read_text())
        prov.update(_cost_lines(cfg))
        prov["classes"] = f"{cfg.num_classes} (as trained; the searched config had {row_classes(row)})"
    if weights is not None:
        prov["weights"] = (
            f"trained, in {stem}.pt: build().load_state_dict(torch.load(path, weights_only=True))"
        )
    return Target(stem, cfg, f"{run.id} trial {row['number']}", prov, weights)


def row_classes(row: pd.Series) -> int:
    return ArchConfig.from_json(row["config_json"]).num_classes


def _load_weights(target: Target) -> dict | None:
    """The trained state_dict, checked to load into archsearch's model for the config."""
    if target.weights is None:
        return None
    import pickle

    import torch

    from archsearch.models import build_model

    try:
        state = torch.load(target.weights, map_location="cpu", weights_only=True)
        build_model(target.cfg).load_state_dict(state)
    except (
        RuntimeError,
        OSError,
        ValueError,
        AttributeError,
        TypeError,
        EOFError,
        pickle.UnpicklingError,
    ) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ExportError(f"weights {target.weights} do not fit the config: {first}") from None
    return state


def render(target: Target, fmt: str) -> Rendered:
    """The files of one target in one format (nothing is written here)."""
    if isinstance(target.cfg, TaskNet):
        return _render_task(target, target.cfg, fmt)
    if fmt == "json":
        files = {f"{target.stem}.json": (target.cfg.to_json(indent=2) + "\n").encode()}
    elif fmt == "py":
        from archsearch.export.pyfile import python_source

        files = {f"{target.stem}.py": python_source(target.cfg, target.title, target.provenance).encode()}
    elif fmt == "timm":
        from archsearch.export.timm_strings import timm_source

        return Rendered({f"{target.stem}_timm.py": timm_source(target.cfg, target.title).encode()}, {})
    elif fmt in ("onnx", "tflite"):
        return _render_checked(target, fmt)
    else:
        raise ExportError(f"unknown format {fmt!r}; allowed: {', '.join(FORMATS)}")
    notes = {}
    state = _load_weights(target)
    if state is not None:
        import torch

        buf = io.BytesIO()
        torch.save(state, buf)
        files[f"{target.stem}.pt"] = buf.getvalue()
        notes[f"{target.stem}.pt"] = f"trained weights, load with {target.stem}.build().load_state_dict(...)"
    return Rendered(files, notes)


def _render_checked(target: Target, fmt: str) -> Rendered:
    """An ONNX or TF-Lite file, checked against torch before anything is written (`export/checked.py`)."""
    if fmt == "onnx":
        from archsearch.export.onnx_file import onnx_for_config as convert

        runtime, prefix = "ONNX Runtime", ""
    else:
        from archsearch.export.tflite_file import tflite_for_config as convert

        runtime, prefix = "LiteRT", "float32, batch 1; "
    state = _load_weights(target)
    data, diff = convert(target.cfg, state)
    weights = "trained weights" if state is not None else "random weights (no trained weights)"
    name = f"{target.stem}.{fmt}"
    return Rendered({name: data}, {name: f"{prefix}{weights}; {runtime} vs torch max |diff| {diff:.1e}"})


def _render_task(target: Target, net: TaskNet, fmt: str) -> Rendered:
    """A detector's or segmenter's files: py, json and onnx include the head (random weights)."""
    if fmt == "json":
        return Rendered({f"{target.stem}.json": (net.to_json(indent=2) + "\n").encode()}, {})
    if fmt == "py":
        from archsearch.tasks.export import task_python_source

        source = task_python_source(net, target.title, target.provenance)
        return Rendered({f"{target.stem}.py": source.encode()}, {})
    if fmt == "onnx":
        from archsearch.tasks.export import onnx_for_task

        data, diff = onnx_for_task(net)
        note = f"{net.task}, head included; random weights; ONNX Runtime vs torch max |diff| {diff:.1e}"
        return Rendered({f"{target.stem}.onnx": data}, {f"{target.stem}.onnx": note})
    if fmt in FORMATS:
        raise ExportError(f"{fmt} export of a {net.task} network is not available; use py, json or onnx")
    raise ExportError(f"unknown format {fmt!r}; allowed: {', '.join(FORMATS)}")


def write_files(files: dict[str, bytes], out: Path, force: bool) -> list[Path]:
    """Write all files into `out` or none: refuse existing ones without `force`, stage under temporary
    names, then rename; on any failure remove what was staged (and `out` if this call created it)."""
    if out.exists() and not out.is_dir():
        raise ExportError(f"output path {out} exists and is not a directory")
    existing = [out / n for n in files if (out / n).exists()]
    if existing and not force:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise ExportError(f"{existing[0]} exists{more}; use --force to overwrite")
    created = [p for p in [out, *out.parents] if not p.exists()]
    staged: list[tuple[Path, Path]] = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            tmp = out / f".{name}.{os.getpid()}.tmp"
            tmp.write_bytes(data)
            staged.append((tmp, out / name))
        for tmp, final in staged:
            os.replace(tmp, final)
    except BaseException as e:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        for p in created:  # innermost first
            if p.is_dir() and not any(p.iterdir()):
                p.rmdir()
        if isinstance(e, OSError):
            raise ExportError(f"cannot write to {out}: {e.strerror or e}") from None
        raise
    return [final for _, final in staged]
