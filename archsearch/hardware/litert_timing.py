"""Time TF-Lite models on this machine with the `ai-edge-litert` interpreter (XNNPACK, fixed threads).

The relative cost of TF-Lite kernels carries over from this CPU to a phone far better than torch eager
timings do, so these timings are what a phone profile is transferred from. Converting a config takes
15-20 s, timing it milliseconds: `cached_tflite` keeps each conversion on disk, keyed by the config's
JSON (name excluded), so repeated timings and calibrations never reconvert. The cache folder is
`$ARCHSEARCH_CACHE/tflite` (default `~/.cache/archsearch/tflite`).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from archsearch.arch import ArchConfig
from archsearch.export import ExportError
from archsearch.hardware.errors import MeasureError
from archsearch.hardware.measure import Timing, clock, time_runner


def cache_dir() -> Path:
    root = os.environ.get("ARCHSEARCH_CACHE") or Path.home() / ".cache" / "archsearch"
    return Path(root) / "tflite"


def cache_key(cfg: ArchConfig) -> str:
    """Hash of the network's JSON without its name (the same network under two names converts once):
    `cached_tflite`'s file name."""
    return text_key(cfg.with_(name="").to_json())


def text_key(text: str) -> str:
    """Hash of a workload's description and of the converter's version (a new converter may lower
    differently)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        converter = version("litert-torch")
    except PackageNotFoundError:
        converter = "none"
    return hashlib.sha256(f"{converter}\n{text}".encode()).hexdigest()[:24]


def cached_conversion(description: str, convert: Callable[[], bytes], cache: Path | None = None,
                      label: str = "") -> Path:  # fmt: skip
    """The .tflite that `convert()` makes (weights drawn after seeding torch with 0), converted on first
    use and kept under `text_key(description)`; a failed conversion is a MeasureError (`label` first)."""
    from archsearch.export.tflite_file import write_atomic

    path = (cache or cache_dir()) / f"{text_key(description)}.tflite"
    if path.is_file():
        return path
    import torch

    torch.manual_seed(0)
    try:
        data = convert()
    except ExportError as e:
        raise MeasureError(f"{label}{e}") from None
    return write_atomic(path, data)


def cached_tflite(cfg: ArchConfig, cache: Path | None = None) -> Path:
    """The .tflite of `cfg` (random weights: timing does not depend on them), converted on first use."""
    from archsearch.export.tflite_file import export_tflite
    from archsearch.models import build_model

    return cached_conversion(
        cfg.with_(name="").to_json(),
        lambda: export_tflite(build_model(cfg), cfg.in_chans, cfg.resolution),
        cache,
    )


def tflite_runner(model: bytes | str | Path, threads: int = 1) -> Callable[[], None]:
    """A zero-argument callable that runs one inference of a .tflite (file or bytes) on a zero input."""
    from archsearch.export.tflite_file import interpreter_class, quiet_native

    if threads < 1:
        raise MeasureError(f"threads must be >= 1, got {threads}")
    try:
        Interpreter = interpreter_class()
    except ExportError as e:
        raise MeasureError(str(e)) from None
    source = {"model_content": model} if isinstance(model, bytes) else {"model_path": str(model)}
    if "model_path" in source and not Path(model).is_file():
        raise MeasureError(f"{model}: no such .tflite file")
    try:
        with quiet_native():
            it = Interpreter(num_threads=threads, **source)
            it.allocate_tensors()
    except (ValueError, RuntimeError) as e:
        where = "" if isinstance(model, bytes) else f"{model}: "
        raise MeasureError(f"{where}not a loadable TF-Lite model ({str(e).strip()[:200]})") from None
    inp = it.get_input_details()[0]
    it.set_tensor(inp["index"], np.zeros(inp["shape"], inp["dtype"]))
    return it.invoke


def time_tflite(model: bytes | str | Path, threads: int = 1, warmup: int = 3, repeats: int = 10) -> Timing:
    """Median, spread and fastest of `repeats` timed inferences after `warmup` untimed ones (thread CPU
    time with 1 thread, see `measure.clock`)."""
    return time_runner(tflite_runner(model, threads), warmup, repeats, clock("litert", threads))


def measure_litert(
    cfg: ArchConfig, threads: int = 1, warmup: int = 3, repeats: int = 10, cache: Path | None = None
) -> Timing:
    """Time `cfg` as TF-Lite here (converting it once, see `cached_tflite`)."""
    return time_tflite(cached_tflite(cfg, cache), threads, warmup, repeats)
