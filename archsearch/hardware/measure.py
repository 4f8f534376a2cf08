"""Time a built network on this machine: warm-up, a fixed thread count, median and spread of repeats.

Runtimes: `torch` (eager CPU), `onnxruntime` (CPU graph runtime: fused kernels), `litert` (the network
converted to TF-Lite and run by the LiteRT interpreter with XNNPACK, as on a phone; batch 1; needs the
`mobile` extra, see `litert_timing.py`) and `cuda` (torch on the GPU, synchronised around each run).
Each repeat times one forward pass at the given batch; the spread (interquartile range over the
median) is the measurement noise that calibration reports beside its prediction error.

On a virtual machine the host's own load changes how fast a core runs from one second to the next
(measured here: a fixed 1-thread matmul loop, fastest of 3, took 46-94 ms within two minutes; whole
rounds of network timings ran 1.3-1.6x slower than the first, even in the calling thread's CPU time).
No statistic of a lone workload's times removes that, so `ReferenceTimer` times each workload between
runs of a fixed reference network and keeps the ratio: a slow spell slows both alike. Half the rounds
against the other half, 104 networks: the ratio moved by a median 1.5% (p90 5%), the fastest raw
repeat by 33%. The ratio times the reference's fastest run in the session gives milliseconds on the
quiet machine's scale.
"""

from __future__ import annotations

import io
import random
import time
import warnings
from collections.abc import Callable, Sequence
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


def part_module(part: Part):  # -> torch.nn.Module
    """A lone part (a block, or the stem/head kernels) as an eval-mode torch module taking NCHW
    `1 x cin x h x h` (its first kernel's input; a linear part takes `1 x cin x 1 x 1` and flattens it):
    what micro-benchmarks time, on torch or converted to TF-Lite."""
    from torch import nn

    from archsearch.models import ConvBNAct, build_block, make_act

    layers: list[nn.Module] = []
    if part.block is not None:
        layers.append(build_block(part.block))
    for k in () if part.block is not None else part.kernels:
        if k.kind in ("conv", "pw", "dw"):
            layers.append(ConvBNAct(k.cin, k.cout, k.k, k.stride, k.groups, k.act))
        elif k.kind == "pool":
            layers.append(nn.AdaptiveAvgPool2d(1))
        elif k.kind == "linear":
            layers += [nn.Flatten(), nn.Linear(k.cin, k.cout, bias=k.bias), make_act(k.act)]
        else:
            raise MeasureError(f"cannot micro-benchmark a lone {k.kind} kernel")
    return nn.Sequential(*layers).eval()


def part_runner(part: Part, runtime: str = "torch", threads: int = 1) -> Callable[[], None]:
    """One forward pass of a lone part on torch (`part_module`): a micro-benchmark."""
    import torch

    if runtime != "torch":
        raise MeasureError(f"micro-benchmarks run on torch only, not {runtime}")
    torch.set_num_threads(threads)
    model = part_module(part)
    first = part.kernels[0]
    x = torch.zeros(1, first.cin, first.h_in, first.h_in)

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


class Relative(NamedTuple):
    ratio: float  # median over repeats of the workload's time / the mean of the reference runs beside it
    spread_pct: float  # interquartile range / median of those ratios, in %
    repeats: int


class ReferenceTimer:
    """Times workloads interleaved with a fixed reference workload (reference, run, reference, run, ...,
    reference): each repeat's time is divided by the mean of the two reference runs around it. The
    reference's fastest run over the whole session (`reference_ms`) turns ratios into milliseconds."""

    def __init__(self, reference: Callable[[], None], clock: Callable[[], float] = time.perf_counter,
                 warmup: int = 3):  # fmt: skip
        self.reference, self.clock = reference, clock
        self.reference_runs: list[float] = []  # ms of every timed reference run
        for _ in range(warmup):
            reference()

    @property
    def reference_ms(self) -> float:
        """The reference's fastest run so far: the quiet machine's scale."""
        return min(self.reference_runs, default=float("inf"))

    def _reference(self) -> float:
        ms = self._time(self.reference)
        self.reference_runs.append(ms)
        return ms

    def _time(self, run: Callable[[], None]) -> float:
        t0 = self.clock()
        run()
        return (self.clock() - t0) * 1e3

    def relative(self, run: Callable[[], None], warmup: int = 3, repeats: int = 10) -> Relative:
        for _ in range(warmup):
            run()
        before = self._reference()
        ratios = []
        for _ in range(repeats):
            t = self._time(run)
            after = self._reference()
            ratios.append(t / (0.5 * (before + after)))
            before = after
        q1, med, q3 = np.percentile(ratios, [25, 50, 75])
        return Relative(float(med), float(100 * (q3 - q1) / med), repeats)


class RoundFigures(NamedTuple):
    ms: float  # the median ratio x the reference's fastest run; without a reference the fastest repeat
    ratio: float  # the median ratio over rounds (nan without a reference)
    spread_pct: float  # the median over rounds of the repeats' spread
    rerun_pct: float  # (largest - smallest) / smallest of the per-round figures, in %


def time_in_rounds(
    runners: Sequence[Callable[[], Callable[[], None]]],
    timer: ReferenceTimer | None,
    rounds: int,
    repeats: int,
    seed: int = 0,
    log: Callable[[str], None] = lambda _: None,
    clock: Callable[[], float] = time.perf_counter,
    warmup: int = 3,
) -> list[RoundFigures]:
    """Time every workload (`runners[i]()` makes a fresh runner: a new interpreter each round) in
    `rounds` rounds, each in a fresh shuffled order, so a slow spell hits every workload alike.
    Against `timer`'s reference a round's figure is the median ratio; without one (timed on `clock`)
    the fastest repeat, as other jobs only ever add time."""
    per_round: list[list[float]] = [[] for _ in runners]
    spread: list[list[float]] = [[] for _ in runners]
    order = list(range(len(runners)))
    rng = random.Random(seed)
    t0 = time.time()
    for r in range(rounds):
        rng.shuffle(order)
        for i in order:
            if timer:
                rel = timer.relative(runners[i](), warmup, repeats)
                per_round[i].append(rel.ratio)
                spread[i].append(rel.spread_pct)
            else:
                t = time_runner(runners[i](), warmup, repeats, clock)
                per_round[i].append(t.min_ms)
                spread[i].append(t.spread_pct)
        log(f"  round {r + 1}/{rounds}: timed {len(runners)} workloads ({time.time() - t0:.0f} s)")
    out = []
    for figures, spreads in zip(per_round, spread, strict=True):
        ratio = float(np.median(figures)) if timer else float("nan")
        ms = ratio * timer.reference_ms if timer else min(figures)
        rerun = 100 * (max(figures) - min(figures)) / min(figures) if len(figures) > 1 else float("nan")
        out.append(RoundFigures(ms, ratio, float(np.median(spreads)), rerun))
    return out


def reference_timer(reference: ArchConfig, runtime: str, threads: int) -> ReferenceTimer:
    """A `ReferenceTimer` whose reference is `reference` run on `runtime` with `threads`."""
    return ReferenceTimer(runner(reference, runtime, threads), clock(runtime, threads))


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
