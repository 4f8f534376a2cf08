"""Time a built network on this machine: warm-up, a fixed thread count, median and spread of repeats.

Runtimes: `torch` (eager CPU), `onnxruntime` (CPU graph runtime: fused kernels), `litert` (the network
converted to TF-Lite and run by the LiteRT interpreter with XNNPACK, as on a phone; batch 1; needs the
`mobile` extra, see `litert_timing.py`) and `cuda` (torch on the GPU, synchronised around each run).
Each repeat times one forward pass at the given batch; the spread (interquartile range over the
median) is the measurement noise that calibration reports beside its prediction error. Calibration
fits the fastest repeat: on a shared machine other jobs only ever add time, so the minimum is the
stable statistic.
"""

from __future__ import annotations

import io
import time
import warnings
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from archsearch.arch import ArchConfig
from archsearch.hardware.errors import MeasureError
from archsearch.hardware.features import Part

RUNTIMES = ("torch", "onnxruntime", "litert", "cuda")


class Timing(NamedTuple):
    median_ms: float
    spread_pct: float  # interquartile range / median, in %
    repeats: int
    min_ms: float  # the fastest repeat: on a shared machine interference only ever adds time


def _torch_runner(cfg: ArchConfig, threads: int, batch: int, device: str) -> Callable[[], None]:
    import torch

    from archsearch.models import build_model

    torch.set_num_threads(threads)
    model = build_model(cfg).eval().to(device)
    x = torch.zeros(batch, cfg.in_chans, cfg.resolution, cfg.resolution, device=device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

    def run() -> None:
        with torch.inference_mode():
            model(x)
        sync()

    return run


def _onnx_runner(cfg: ArchConfig, threads: int, batch: int) -> Callable[[], None]:
    import onnxruntime as ort
    import torch

    from archsearch.models import build_model

    model = build_model(cfg).eval()
    x = torch.zeros(batch, cfg.in_chans, cfg.resolution, cfg.resolution)
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), buf, input_names=["x"], dynamo=False)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    sess = ort.InferenceSession(buf.getvalue(), opts, providers=["CPUExecutionProvider"])
    feed = {"x": x.numpy()}
    return lambda: sess.run(None, feed)


def runner(cfg: ArchConfig, runtime: str = "torch", threads: int = 1, batch: int = 1) -> Callable[[], None]:
    """A zero-argument callable that runs one forward pass of `cfg` on `runtime`."""
    if runtime == "torch":
        return _torch_runner(cfg, threads, batch, "cpu")
    if runtime == "onnxruntime":
        return _onnx_runner(cfg, threads, batch)
    if runtime == "litert":
        from archsearch.hardware.litert_timing import cached_tflite, tflite_runner

        if batch != 1:
            raise MeasureError(f"runtime litert times batch 1 only (the exported model's input), not {batch}")
        return tflite_runner(cached_tflite(cfg), threads)
    if runtime == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise MeasureError("runtime cuda: no CUDA GPU on this machine; use torch or onnxruntime")
        return _torch_runner(cfg, threads, batch, "cuda")
    raise MeasureError(f"unknown runtime {runtime!r}; available: {', '.join(RUNTIMES)}")


def part_runner(part: Part, runtime: str = "torch", threads: int = 1) -> Callable[[], None]:
    """One forward pass of a lone part (a block, or the stem/head kernels): a micro-benchmark."""
    import torch
    from torch import nn

    from archsearch.models import ConvBNAct, build_block

    if runtime != "torch":
        raise MeasureError(f"micro-benchmarks run on torch only, not {runtime}")
    torch.set_num_threads(threads)
    first = part.kernels[0]
    layers: list[nn.Module] = []
    if part.block is not None:
        layers.append(build_block(part.block))
    for k in () if part.block is not None else part.kernels:
        if k.kind in ("conv", "pw", "dw"):
            layers.append(ConvBNAct(k.cin, k.cout, k.k, k.stride, k.groups, k.act))
        elif k.kind == "pool":
            layers.append(nn.AdaptiveAvgPool2d(1))
        elif k.kind == "linear":
            layers += [nn.Flatten(), nn.Linear(k.cin, k.cout, bias=k.bias)]
        else:
            raise MeasureError(f"cannot micro-benchmark a lone {k.kind} kernel")
    model = nn.Sequential(*layers).eval()
    x = torch.zeros(1, first.cin, first.h_in, first.h_in)
    if first.kind == "linear":
        x = x.flatten(1)

    def run() -> None:
        with torch.inference_mode():
            model(x)

    return run


def time_runner(
    run: Callable[[], None],
    warmup: int = 3,
    repeats: int = 10,
    clock: Callable[[], float] = time.perf_counter,
) -> Timing:
    """Time `run`; `clock` is wall time, or `time.thread_time` for a runtime that computes in the calling
    thread (LiteRT with 1 thread): then time the scheduler gives other jobs is not counted."""
    for _ in range(warmup):
        run()
    times = []
    for _ in range(repeats):
        t0 = clock()
        run()
        times.append((clock() - t0) * 1e3)
    q1, med, q3 = np.percentile(times, [25, 50, 75])
    return Timing(float(med), float(100 * (q3 - q1) / med), repeats, float(min(times)))


def measure(
    cfg: ArchConfig,
    runtime: str = "torch",
    threads: int = 1,
    batch: int = 1,
    warmup: int = 3,
    repeats: int = 10,
) -> Timing:
    """Median and spread of `repeats` timed forward passes after `warmup` untimed ones."""
    return time_runner(runner(cfg, runtime, threads, batch), warmup, repeats, clock(runtime, threads))


def clock(runtime: str, threads: int) -> Callable[[], float]:
    """The calling thread's CPU time for single-threaded LiteRT (XNNPACK computes in the calling thread,
    so on a busy machine the time other jobs take is left out), else wall time."""
    return time.thread_time if runtime == "litert" and threads == 1 else time.perf_counter
