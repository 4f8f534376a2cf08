"""The `tflite` export: a float32 TF-Lite (LiteRT) flatbuffer of the network, converted with
`litert-torch` and checked against torch with the `ai-edge-litert` interpreter (XNNPACK on CPU).

Both packages are the optional extra `archsearch[mobile]`, imported only here and in
`hardware/litert_timing.py`; without them a request for TF-Lite is a one-line `ExportError` naming the
install command. The input is NCHW `1 x in_chans x resolution x resolution` (batch fixed at 1: the
phone case); a conversion takes 15-20 s on a laptop-class core, so callers that time many networks
keep the bytes (see `hardware/litert_timing.cached_tflite`)."""

from __future__ import annotations

import contextlib
import os
import threading
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from archsearch.arch import ArchConfig
from archsearch.export import ExportError
from archsearch.export.checked import TOLERANCE, checked_export  # noqa: F401  (TOLERANCE re-exported)

if TYPE_CHECKING:
    import torch

INSTALL = "pip install 'archsearch[mobile]'  (litert-torch, ai-edge-litert)"


def missing_extra(package: str) -> str:
    """The one-line message for a missing `mobile` extra."""
    return f"TF-Lite needs the optional package {package}; install it with: {INSTALL}"


@contextlib.contextmanager
def quiet_native() -> Iterator[None]:
    """Silence the converter's and interpreter's native log lines (written straight to fd 1/2)."""
    saved = [os.dup(1), os.dup(2)]
    with open(os.devnull, "w") as null:
        try:
            for fd in (1, 2):
                os.dup2(null.fileno(), fd)
            yield
        finally:
            for fd, keep in zip((1, 2), saved, strict=True):
                os.dup2(keep, fd)
                os.close(keep)


def _litert_torch():  # -> module
    os.environ.setdefault("LITERT_TORCH_SHOW_PROGRESS", "n")  # its progress lines are not for our users
    try:
        with quiet_native():  # its import logs native and deprecation lines to stderr
            import litert_torch
    except ImportError:
        raise ExportError(missing_extra("litert-torch")) from None
    return litert_torch


def interpreter_class():  # -> type[ai_edge_litert.interpreter.Interpreter]
    try:
        with quiet_native():
            from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        raise ExportError(missing_extra("ai-edge-litert")) from None
    return Interpreter


def fold_batchnorm(model: torch.nn.Module) -> torch.nn.Module:
    """A copy of `model` (eval mode) with each BatchNorm folded into the conv before it (`conv`/`bn` of
    ConvBNAct, `reduce`/`bn` of SqueezeExcite). TF-Lite folds them anyway; handing the converter the
    smaller graph cuts its time by about a quarter."""
    import copy

    from torch import nn
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    model = copy.deepcopy(model).eval()
    for m in model.modules():
        for conv in ("conv", "reduce"):
            c, bn = getattr(m, conv, None), getattr(m, "bn", None)
            if isinstance(c, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
                setattr(m, conv, fuse_conv_bn_eval(c, bn))
                m.bn = nn.Identity()
    return model


def export_tflite(
    model: torch.nn.Module, in_chans: int, resolution: int, channels_last: bool = False
) -> bytes:
    """The TF-Lite bytes of `model` (eval mode) for input `1 x in_chans x resolution x resolution`, or
    with `channels_last` NHWC in and out (a 4-D output), as inside a network: no layout transposes around
    a lone block, which would add 3-35% to its time."""
    import torch

    litert_torch = _litert_torch()
    model = fold_batchnorm(model)
    sample = (torch.zeros(1, in_chans, resolution, resolution),)
    if channels_last:
        with torch.no_grad():
            four_d = model(*sample).dim() == 4
        model = litert_torch.to_channel_last_io(model, args=[0], outputs=[0] if four_d else [])
        sample = (sample[0].permute(0, 2, 3, 1).contiguous(),)
    try:
        with quiet_native(), torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the converter's deprecation notices are not for our users
            return bytes(litert_torch.convert(model, sample).model_content())
    except Exception as e:  # the converter raises many unrelated types; the user needs one line
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ExportError(f"TF-Lite conversion failed: {first[:300]}") from None


def run_tflite(data: bytes, x: np.ndarray, threads: int = 1) -> np.ndarray:
    """The interpreter's output for one input `x` (float32 NCHW, batch 1)."""
    Interpreter = interpreter_class()
    try:
        with quiet_native():
            it = Interpreter(model_content=data, num_threads=threads)
            it.allocate_tensors()
    except (ValueError, RuntimeError) as e:
        raise ExportError(f"TF-Lite model does not load: {str(e).strip()[:300]}") from None
    it.set_tensor(it.get_input_details()[0]["index"], np.ascontiguousarray(x, np.float32))
    it.invoke()
    return it.get_tensor(it.get_output_details()[0]["index"]).copy()


def max_difference(data: bytes, model: torch.nn.Module, xs: torch.Tensor) -> float:
    """Largest |LiteRT - torch| over the outputs, one batch-1 input at a time over the rows of `xs`."""
    import torch

    worst = 0.0
    with torch.no_grad():
        want = model.eval()(xs).numpy()
    for i in range(len(xs)):
        got = run_tflite(data, xs[i : i + 1].numpy())
        worst = max(worst, float(np.abs(got - want[i : i + 1]).max()))
    return worst


def tflite_for_config(
    cfg: ArchConfig, state_dict: Mapping[str, torch.Tensor] | None = None
) -> tuple[bytes, float]:
    """(TF-Lite bytes, checked max difference) for `cfg` with the given weights (random init if None).

    Refuses (ExportError) when LiteRT disagrees with torch by more than TOLERANCE."""
    return checked_export(cfg, state_dict, export_tflite, max_difference, "LiteRT")


def write_atomic(path: Path, data: bytes) -> Path:
    """Write `data` to `path` through a temporary file in the same folder and a rename (so a reader
    never sees half a file; the mode follows the umask like any other written file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
