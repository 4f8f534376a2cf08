"""Hardware profiles: `hardware_profiles/<name>.yaml`, one device + runtime with its fitted predictor.

A profile is plain YAML: what was measured (device, runtime, precision, batch, threads), the predictor's
coefficients, an anchor scale (few-shot correction from whole-network measurements on the real
device), where the data came from (provenance) and how well it predicts data it was not fitted on
(validation). The search engine only needs `load_profile(name).predict(cfg)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from archsearch.arch import ArchConfig
from archsearch.hardware.errors import PredictorError, ProfileError
from archsearch.hardware.predictors import LatencyPredictor, predictor_from_dict
from archsearch.resources import available, find

REQUIRED = ("name", "device", "runtime", "precision", "batch", "threads", "predictor")
OPTIONAL = ("scale", "anchors", "provenance", "validation", "notes")


@dataclass
class Profile:
    name: str
    device: str
    runtime: str
    precision: str
    batch: int
    threads: int | None
    predictor: LatencyPredictor
    scale: float = 1.0
    anchors: list[dict[str, Any]] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)
    validation: dict[str, Any] = field(default_factory=dict)
    notes: str = ""
    path: str = ""

    def predict(self, cfg: ArchConfig) -> float:
        """Predicted latency in ms of `cfg` on this device (batch and threads of the profile)."""
        return self.scale * self.predictor.predict(cfg)

    def predict_many(self, cfgs: Sequence[ArchConfig]) -> np.ndarray:
        return self.scale * self.predictor.predict_many(cfgs)

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in REQUIRED if k != "predictor"}
        d["scale"] = float(f"{self.scale:.6g}")
        d["anchors"] = self.anchors
        d["provenance"] = self.provenance
        d["validation"] = self.validation
        if self.notes:
            d["notes"] = self.notes
        d["predictor"] = self.predictor.to_dict()
        return d

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        header = f"# archsearch hardware profile '{self.name}' (written by `archsearch calibrate`; plain text, no pickles)\n"
        path.write_text(header + yaml.safe_dump(self.to_dict(), sort_keys=False, width=110))
        self.path = str(path)
        return path


def profile_from_dict(d: Any, where: str = "<profile>") -> Profile:
    if not isinstance(d, dict):
        raise ProfileError(f"{where}: expected a mapping with keys {', '.join(REQUIRED)}")
    missing = [k for k in REQUIRED if k not in d]
    if missing:
        raise ProfileError(f"{where}: missing key(s) {', '.join(missing)}")
    unknown = sorted(set(d) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise ProfileError(
            f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(REQUIRED + OPTIONAL)}"
        )
    scale = d.get("scale", 1.0)
    if not isinstance(scale, int | float) or isinstance(scale, bool) or not scale > 0:
        raise ProfileError(f"{where}: scale must be a number > 0, got {scale!r}")
    if not isinstance(d["batch"], int) or d["batch"] < 1:
        raise ProfileError(f"{where}: batch must be an integer >= 1, got {d['batch']!r}")
    try:
        predictor = predictor_from_dict(d["predictor"])
    except PredictorError as e:
        raise ProfileError(f"{where}: predictor: {e}") from None
    return Profile(
        name=str(d["name"]), device=str(d["device"]), runtime=str(d["runtime"]), precision=str(d["precision"]),
        batch=d["batch"], threads=d["threads"], predictor=predictor, scale=float(scale),
        anchors=list(d.get("anchors") or []), provenance=dict(d.get("provenance") or {}),
        validation=dict(d.get("validation") or {}), notes=str(d.get("notes", "")), path=where,
    )  # fmt: skip


def read_profile(path: str | Path) -> Profile:
    path = Path(path)
    try:
        d = yaml.safe_load(path.read_text())
    except OSError as e:
        raise ProfileError(f"{path}: cannot read: {e.strerror}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise ProfileError(f"{path}: line {mark.line + 1 if mark else '?'}: malformed YAML") from None
    return profile_from_dict(d, str(path))


def load_profile(name: str) -> Profile:
    """A profile by name (`pixel`) or YAML path; UnknownNameError lists the available ones."""
    return read_profile(find("hardware_profiles", name))


def list_profiles() -> list[str]:
    return available("hardware_profiles")
