"""The `onnx` export: `torch.onnx.export` of the network, checked against torch with ONNX Runtime.

Uses the TorchScript-based exporter (`dynamo=False`): it needs no onnxscript, takes under a second for
these networks and handles everything archsearch builds (the partial residual's slicing included). The
batch axis is dynamic; the spatial size is the config's resolution."""

from __future__ import annotations

import io
import warnings
from collections.abc import Mapping

import numpy as np
import torch

from archsearch.arch import ArchConfig
from archsearch.export.checked import TOLERANCE, checked_export  # noqa: F401  (TOLERANCE re-exported)

OPSET = 17


def export_onnx(model: torch.nn.Module, in_chans: int, resolution: int) -> bytes:
    """The ONNX bytes of `model` (eval mode) for NCHW input `1 x in_chans x resolution x resolution`."""
    model = model.eval()
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's deprecation notice is not for our users
        torch.onnx.export(
            model,
            (torch.zeros(1, in_chans, resolution, resolution),),
            buf,
            dynamo=False,
            opset_version=OPSET,
            input_names=["input"],
            output_names=["logits"],
            dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        )
    return buf.getvalue()


def max_difference(onnx_bytes: bytes, model: torch.nn.Module, x: torch.Tensor) -> float:
    """Largest |ONNX Runtime - torch| over the outputs for input `x`."""
    import onnxruntime as ort

    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"input": x.numpy()})
    with torch.no_grad():
        want = model.eval()(x).numpy()
    return float(np.abs(got - want).max())


def onnx_for_config(
    cfg: ArchConfig, state_dict: Mapping[str, torch.Tensor] | None = None
) -> tuple[bytes, float]:
    """(ONNX bytes, checked max difference) for `cfg` with the given weights (random init if None).

    Refuses (ExportError) when ONNX Runtime disagrees with torch by more than TOLERANCE."""
    return checked_export(cfg, state_dict, export_onnx, max_difference, "ONNX Runtime")
