"""Few-shot device transfer: a device's latency model is a local kernel model corrected to the device.

The relative cost of TF-Lite kernels carries over from this machine's LiteRT (XNNPACK) to a phone far
better than torch timings or a per-block table do, so a device profile starts from a `kernel-linear`
model of local LiteRT times (the *base*) and corrects it with whatever the device offers:

1. per-kernel-group factors from the device's per-block table: each entry's device time against the
   base's per-group split of the same block (scaled to the block's local LiteRT time when it was timed
   here), fitted by non-negative least squares on relative error, each factor pulled towards the
   common one so that a group the table barely exercises (or never: SE, h-swish) keeps the common
   factor;
2. a power law `device = scale * local^exponent` over whole-network measurements (published times,
   a phone's measured set, `--anchor`s; each one point of equal weight), which absorbs the level
   difference between blocks timed alone and whole networks and how the device's speed-up changes with
   network size. With fewer than `MIN_POWER_POINTS` points, or points spanning less than
   `MIN_POWER_SPAN` in local time, the exponent stays 1 and the scale is their geometric-mean ratio.

    device_ms(cfg) = scale * (sum over groups g of factor_g * base_g(cfg)) ** exponent
"""

from __future__ import annotations

import csv
import math
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from scipy.optimize import nnls

from archsearch.arch import ArchConfig
from archsearch.hardware.errors import DataError, PredictorError
from archsearch.hardware.features import COLUMNS, GROUPS
from archsearch.hardware.predictors import (
    PREDICTORS,
    KernelLinear,
    LatencyPredictor,
    Sample,
    check_samples,
    sample_features,
)

# Kernel groups that get a factor: the kernel-linear groups, the separate activations, the per-network term.
FACTOR_GROUPS: tuple[str, ...] = (*GROUPS, "act", "network")
_GROUP_OF = np.array(
    [
        FACTOR_GROUPS.index(c.split(".")[0] if "." in c else ("act" if c.startswith("act_") else c))
        for c in COLUMNS
    ]
)
# Pull of each group factor towards the common factor (in units of one table entry's squared relative error).
RIDGE = 0.01
MIN_POWER_POINTS = 3
MIN_POWER_SPAN = 1.5  # largest / smallest local time among the whole-network points


class NetworkPoint(NamedTuple):
    """A whole network measured on the device; `local_ms` its local LiteRT time when timed here
    (else the base model's prediction stands in)."""

    config: ArchConfig
    device_ms: float
    local_ms: float | None = None


class BlockPoint(NamedTuple):
    """One entry of the device's per-block table (a lone-block `Sample`), with its local time if timed here."""

    sample: Sample
    local_ms: float | None = None


def group_split(base: KernelLinear, features: np.ndarray) -> np.ndarray:
    """Milliseconds of the base model per factor group for a feature vector."""
    return np.bincount(_GROUP_OF, weights=features * base.coef_vector(), minlength=len(FACTOR_GROUPS))


def fit_factors(base: KernelLinear, blocks: Sequence[BlockPoint]) -> tuple[dict[str, float], int]:
    """Per-group device/local factors from table entries, and how many entries were used."""
    if not blocks:
        return {g: 1.0 for g in FACTOR_GROUPS}, 0
    y = check_samples([b.sample for b in blocks])
    a = np.stack([group_split(base, sample_features(b.sample)) for b in blocks])
    local = np.array([b.local_ms if b.local_ms else a[i].sum() for i, b in enumerate(blocks)])
    if np.any(a.sum(axis=1) <= 0):
        raise PredictorError("the base model predicts 0 ms for a table entry; it cannot carry factors")
    a *= (local / a.sum(axis=1))[:, None]  # the block's measured local time, split as the base splits it
    common = math.exp(float(np.mean(np.log(y / local))))
    # rows: relative error of every entry; then sqrt(RIDGE) * (f_g / common - 1) for every group
    rows = np.vstack([a / y[:, None], math.sqrt(RIDGE) * np.eye(len(FACTOR_GROUPS)) / common])
    rhs = np.concatenate([np.ones(len(y)), math.sqrt(RIDGE) * np.ones(len(FACTOR_GROUPS))])
    f, _ = nnls(rows, rhs, maxiter=50 * len(FACTOR_GROUPS))
    return {g: float(v) for g, v in zip(FACTOR_GROUPS, f, strict=True)}, len(blocks)


def fit_power(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(scale, exponent) of y = scale * x ** exponent by least squares in logs; exponent 1 when the
    points are too few or too close together to tell it."""
    lx, ly = np.log(x), np.log(y)
    if len(x) >= MIN_POWER_POINTS and x.max() / x.min() >= MIN_POWER_SPAN:
        b, la = np.polyfit(lx, ly, 1)
        return float(math.exp(la)), float(b)
    return float(math.exp(np.mean(ly - lx))), 1.0


class Transfer(LatencyPredictor):
    """A base kernel model (local LiteRT) with per-group device factors and a whole-network power law.
    Without a base, `fit` fits one on the samples themselves (the device's own kernel model)."""

    kind = "transfer"

    def __init__(
        self,
        base: KernelLinear | None = None,
        factors: dict[str, float] | None = None,
        scale: float = 1.0,
        exponent: float = 1.0,
    ):
        self.base = base
        self.factors = {g: 1.0 for g in FACTOR_GROUPS} | dict(factors or {})
        self.scale, self.exponent = float(scale), float(exponent)
        self._corrected: KernelLinear | None = None

    @property
    def additive(self) -> bool:
        return self.exponent == 1.0

    def corrected(self) -> KernelLinear:
        """The base with every coefficient multiplied by its group's factor (cached)."""
        if self.base is None:
            raise PredictorError(f"{self.kind} predictor is not fitted")
        if self._corrected is None:
            f = np.array([self.factors[g] for g in FACTOR_GROUPS])[_GROUP_OF]
            self._corrected = KernelLinear(dict(zip(COLUMNS, self.base.coef_vector() * f, strict=True)))
        return self._corrected

    def fit(self, samples: Sequence[Sample]) -> Transfer:
        """With a base: lone-block samples give the factors, whole-network samples the power law (the
        base's predictions stand in for local times). Without one: the samples' own kernel model."""
        check_samples(samples)
        if self.base is None:
            fitted = Transfer(KernelLinear().fit(samples))
        else:
            blocks = [BlockPoint(s) for s in samples if not s.whole]
            fitted = fit_transfer(self.base, blocks, [s for s in samples if s.whole])
        self.base, self.factors = fitted.base, fitted.factors
        self.scale, self.exponent, self._corrected = fitted.scale, fitted.exponent, None
        return self

    def _level(self, local: float) -> float:
        return self.scale * local**self.exponent if local > 0 else 0.0

    def predict_sample(self, sample: Sample) -> float:
        local = self.corrected().predict_sample(sample)
        return self._level(local) if sample.whole else self.scale * local

    def predict(self, cfg: ArchConfig) -> float:
        return self._level(self.corrected().predict(cfg))

    def predict_many(self, cfgs: Sequence[ArchConfig]) -> np.ndarray:
        local = self.corrected().predict_many(cfgs)
        return self.scale * np.power(np.maximum(local, 0.0), self.exponent)

    def to_dict(self) -> dict[str, Any]:
        if self.base is None:
            raise PredictorError(f"{self.kind} predictor is not fitted")
        return {
            "kind": self.kind,
            "scale": float(f"{self.scale:.8g}"),
            "exponent": float(f"{self.exponent:.8g}"),
            "factors": {g: float(f"{v:.6g}") for g, v in self.factors.items()},
            "base": self.base.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Transfer:
        base, factors = d.get("base"), d.get("factors", {})
        if not isinstance(base, dict) or base.get("kind") != KernelLinear.kind:
            raise PredictorError(f"{cls.kind}: 'base' must be a {KernelLinear.kind} predictor mapping")
        if not isinstance(factors, dict) or not set(factors) <= set(FACTOR_GROUPS):
            raise PredictorError(
                f"{cls.kind}: 'factors' must map kernel groups ({', '.join(FACTOR_GROUPS)}) to numbers"
            )
        values = {"scale": d.get("scale", 1.0), "exponent": d.get("exponent", 1.0), **factors}
        for k, v in values.items():
            if not isinstance(v, int | float) or isinstance(v, bool) or not np.isfinite(v) or v < 0:
                raise PredictorError(f"{cls.kind}: {k} must be a finite number >= 0, got {v!r}")
        if not values["scale"] > 0 or not values["exponent"] > 0:
            raise PredictorError(f"{cls.kind}: scale and exponent must be > 0")
        return cls(KernelLinear.from_dict(base), factors, values["scale"], values["exponent"])


PREDICTORS.add(Transfer.kind, Transfer)


def fit_transfer(
    base: KernelLinear,
    blocks: Sequence[BlockPoint] = (),
    networks: Sequence[NetworkPoint | Sample] = (),
) -> Transfer:
    """Correct `base` (local LiteRT) to a device from its table entries and whole-network points."""
    if not blocks and not networks:
        raise PredictorError("a transfer needs the device's table entries or whole-network times")
    factors, _ = fit_factors(base, blocks)
    t = Transfer(base, factors)
    if networks:
        corrected = t.corrected()
        x, y = [], []
        for n in networks:
            if isinstance(n, Sample):
                x.append(corrected.predict_sample(n))
                y.append(n.ms)
            else:
                pred = corrected.predict(n.config)
                # a measured local time replaces the base's own prediction, split the same way
                x.append(pred * n.local_ms / base.predict(n.config) if n.local_ms else pred)
                y.append(n.device_ms)
        x_arr, y_arr = np.array(x), np.array(y)
        if not np.all(np.isfinite(y_arr)) or np.any(y_arr <= 0) or np.any(x_arr <= 0):
            raise PredictorError("whole-network times must be finite and positive")
        t.scale, t.exponent = fit_power(x_arr, y_arr)
    return t


def leave_group_out(
    base: KernelLinear,
    blocks: Sequence[BlockPoint],
    points: Sequence[NetworkPoint],
    groups: Sequence[Hashable],
    always: Sequence[NetworkPoint] = (),
) -> np.ndarray:
    """Each point's ms predicted by a transfer fitted without the points of its group (the `always`
    points are in every fit): the held-out figures of a profile built from few whole networks."""
    pred = np.empty(len(points))
    for g in dict.fromkeys(groups):
        train = [p for p, h in zip(points, groups, strict=True) if h != g]
        t = fit_transfer(base, blocks, [*train, *always])
        for i, h in enumerate(groups):
            if h == g:
                pred[i] = t.predict(points[i].config)
    return pred


class LocalTimes(NamedTuple):
    networks: dict[str, tuple[ArchConfig, float]]  # name -> (config, local ms)
    blocks: dict[str, float]  # lookup-table key -> local ms of the block timed alone


def read_local_times(path: str | Path) -> LocalTimes:
    """A cache of local LiteRT timings (`kind` network|lut_block, `name`, `config` JSON or table key,
    `local_ms`), so a profile is rebuilt without reconverting anything."""
    path = Path(path)
    nets: dict[str, tuple[ArchConfig, float]] = {}
    blocks: dict[str, float] = {}
    try:
        with path.open(newline="") as f:
            reader = csv.DictReader(f)
            for r in reader:
                try:
                    ms = float(r["local_ms"])
                    if not ms > 0:
                        raise ValueError(f"local_ms must be > 0, got {r['local_ms']!r}")
                    if r["kind"] == "network":
                        nets[r["name"]] = (ArchConfig.from_json(r["config"]), ms)
                    elif r["kind"] == "lut_block":
                        blocks[r["config"]] = ms
                    else:
                        raise ValueError(f"kind must be network or lut_block, got {r['kind']!r}")
                except (KeyError, TypeError, ValueError) as e:
                    raise DataError(f"{path}: line {reader.line_num}: {e}") from None
    except OSError as e:
        raise DataError(f"{path}: cannot read: {e.strerror}") from None
    return LocalTimes(nets, blocks)


def local_base(blocks: Sequence[BlockPoint], networks: Sequence[Sample] = ()) -> KernelLinear:
    """The local LiteRT kernel model: the table entries timed here alone (those with a `local_ms`) and
    whole networks timed here."""
    lone = [Sample(b.sample.parts, b.local_ms, False) for b in blocks if b.local_ms]
    return KernelLinear().fit([*lone, *networks])
