"""Export an `ArchConfig` (a baseline, a config file or a search trial) as code and files a user can take
away without archsearch: a torch-only config-rows Python file, the ArchConfig JSON, ONNX, TF-Lite and timm
arch strings. Submodules import torch lazily where they can, so the CLI stays quick to start."""

from __future__ import annotations

FORMATS = ("py", "json", "onnx", "tflite", "timm")


class ExportError(ValueError):
    """Bad export request: unknown run or trial, nothing to select, existing output, inexpressible format."""
