"""A learned accuracy predictor: a size term plus a design term, with per-source calibration.

top1(x) = size(x) + design(x) / scale, where
- size(x) is linear in log MACs, log params and log input side, fitted on full-training accuracies
  (the MobileNetV1/V2 grids and ReXNet widths): it carries how accuracy grows with size over a wide
  range (11 M to 3.4 G MACs, 96 to 224 px), which tree models cannot extrapolate;
- design(x) is a small LightGBM ensemble over the per-level design features (depth, expansion, kernel,
  SE, activation), fitted on a benchmark's residuals after its own calibrated size term: it carries
  what differs between networks of equal size;
- a benchmark trained with a cheaper recipe (Accel-NASBench: ~10 points lower) is tied to the full-
  training scale by an affine map acc_source = offset + scale * (size(x) + design(x) / scale), fitted
  with the rest by backfitting; predictions are always on the scale of the reference source.
Member spread (bagging) gives the uncertainty, added in quadrature to the cross-validated error.

Stored as one JSON file holding LightGBM's own text model format (never pickles), the coefficients,
the domain, the provenance and the validation figures."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from archsearch.accuracy.base import AccuracyEstimator, BenchmarkValues, EstimatorError, Prediction
from archsearch.accuracy.features import (
    DESIGN_FEATURES,
    FEATURES,
    SIZE_FEATURES,
    Domain,
    FeatureError,
    feature_matrix,
)
from archsearch.arch import ArchConfig

FORMAT = "archsearch-accuracy-estimator/1"
CHUNK = 2048  # configs per pipelined chunk of a large batch
SIZE_IDX = [FEATURES.index(f) for f in SIZE_FEATURES]
# The design term also sees log MACs and log params: inside a benchmark's size range it can bend the
# linear size term (chosen on calibration rows and leave-one-family-out, benchmarks/RESULTS.md).
DESIGN_INPUTS = ("log_macs", "log_params", *DESIGN_FEATURES)
DESIGN_IDX = [FEATURES.index(f) for f in DESIGN_INPUTS]
LGBM_PARAMS = {
    "objective": "regression",
    "learning_rate": 0.1,  # 400 rounds, 15 leaves, 3 members: chosen on a seeded 20% of the calibration rows
    "num_leaves": 15,
    "min_data_in_leaf": 10,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "verbose": -1,
    "num_threads": 1,
    "deterministic": True,
    "force_row_wise": True,
}


class LearnedEstimator(AccuracyEstimator):
    kind = "learned"
    unit = "top1"

    def __init__(self, name: str, description: str = "", reference_source: str = "full", members: int = 3,
                 rounds: int = 400, target: str = "top-1 (%)"):  # fmt: skip
        self.name, self.description, self.target = name, description, target
        self.reference_source = reference_source
        self.n_members, self.rounds = members, rounds
        self.size_coef: np.ndarray | None = None
        self.calibration: dict[str, np.ndarray] = {}  # per benchmark source: its own size term
        self.design_weight = 1.0
        self.boosters: list[Any] = []
        self.domain: Domain | None = None
        self.noise = 0.0
        self.meta: dict[str, Any] = {}

    # -- fitting
    def fit(
        self,
        configs: Sequence[ArchConfig],
        targets: Sequence[float] | None = None,
        sources: Sequence[str] | None = None,
    ) -> LearnedEstimator:
        if targets is None or len(targets) != len(configs):
            raise EstimatorError(f"{self.name}: fitting needs one target per config")
        x = _features(configs)
        y = np.asarray(targets, float)
        src = np.asarray(sources if sources is not None else [self.reference_source] * len(y))
        self.fit_matrix(x, y, src)
        return self

    def fit_matrix(self, x: np.ndarray, y: np.ndarray, src: np.ndarray) -> None:
        """Per-source size terms, the design ensemble on the benchmarks' residuals at equal size, then the
        reference size term and the design weight (see the module doc)."""
        ref = src == self.reference_source
        if ref.sum() < len(SIZE_FEATURES) + 2:
            raise EstimatorError(f"{self.name}: needs rows of the reference source {self.reference_source!r}")
        benches = sorted(set(src[~ref].tolist())) or [self.reference_source]
        self.calibration, residual = {}, np.zeros(len(y))
        for s in benches:
            rows = src == s
            coef = _lstsq(x[rows][:, SIZE_IDX], y[rows])
            self.calibration[s] = coef
            residual[rows] = y[rows] - _affine(x[rows][:, SIZE_IDX], coef)
        design_rows = np.isin(src, benches)
        self.boosters = self._boost(x[design_rows][:, DESIGN_IDX], residual[design_rows])
        if benches == [self.reference_source]:
            self.size_coef, self.design_weight = self.calibration.pop(self.reference_source), 1.0
        else:
            self.size_coef = _lstsq(x[ref][:, SIZE_IDX], y[ref] - self._design(x[ref])[0])
        self.domain = Domain.of(x)

    def _boost(self, x: np.ndarray, y: np.ndarray) -> list[Any]:
        import lightgbm as lgb

        out = []
        for seed in range(self.n_members):
            params = {**LGBM_PARAMS, "seed": seed, "bagging_seed": seed, "feature_fraction_seed": seed}
            data = lgb.Dataset(x, y, feature_name=list(DESIGN_INPUTS), free_raw_data=False)
            out.append(lgb.train(params, data, num_boost_round=self.rounds))
        return out

    def _design(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and spread over members of the design term (in the benchmark's points)."""
        if not self.boosters:
            return np.zeros(len(x)), np.zeros(len(x))
        preds = np.stack([b.predict(x[:, DESIGN_IDX], num_threads=1) for b in self.boosters])
        return preds.mean(0), preds.std(0)

    # -- prediction
    def predict(self, configs: Sequence[ArchConfig]) -> Prediction:
        """Large batches are cut into chunks and pipelined: the trees of one chunk are evaluated in a
        second thread (LightGBM releases the GIL) while the next chunk is featurised."""
        if len(configs) <= 2 * CHUNK:
            return self.predict_matrix(_features(configs))
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1) as pool:
            parts = []
            for i in range(0, len(configs), CHUNK):
                x = _features(configs[i : i + CHUNK])
                parts.append((x, pool.submit(self._design, x)))
            x = np.vstack([p[0] for p in parts])
            done = [p[1].result() for p in parts]
        return self.predict_matrix(
            x, (np.concatenate([d[0] for d in done]), np.concatenate([d[1] for d in done]))
        )

    def predict_matrix(
        self, x: np.ndarray, design_term: tuple[np.ndarray, np.ndarray] | None = None
    ) -> Prediction:
        if self.size_coef is None or self.domain is None:
            raise EstimatorError(f"{self.name}: not fitted")
        design, spread = design_term or self._design(x)
        value = _affine(x[:, SIZE_IDX], self.size_coef) + self.design_weight * design
        unc = np.sqrt((self.design_weight * spread) ** 2 + self.noise**2)
        why = self.domain.explain(x)
        return Prediction(value, unc, why.flags.any(1), why, outside=why.flags.mean(1))

    def predict_source(self, x: np.ndarray, source: str) -> np.ndarray:
        """Predictions on the scale of a calibrated source (e.g. Accel-NASBench's proxy training)."""
        if source == self.reference_source:
            return self.predict_matrix(x).value
        if source not in self.calibration:
            raise EstimatorError(
                f"{self.name}: no calibration for source {source!r}; has {sorted(self.calibration)}"
            )
        return _affine(x[:, SIZE_IDX], self.calibration[source]) + self._design(x)[0]

    def on_benchmark(self, configs: Sequence[ArchConfig], source: str) -> BenchmarkValues:
        """On a calibrated source: that source's scale (and the own, full-training values beside it)."""
        x = _features(configs)
        own = self.predict_matrix(x).value
        if source != self.reference_source and source in self.calibration:
            return BenchmarkValues(self.predict_source(x, source), True, own)
        return BenchmarkValues(own, source == self.reference_source)

    def describe(self) -> dict[str, Any]:
        """Everything the estimator's file says except the tree models themselves."""
        f = self.to_dict()
        d = {**super().describe(), "target": f["target"]}
        d["design_term"] = {
            "library": f["design_term"]["library"],
            "members": len(f["design_term"]["models"]),
        }
        for key in ("reference_source", "size_term", "design_weight", "calibration", "noise_rmse", "provenance",
                    "domain", "validation"):  # fmt: skip
            if key in f:
                d[key] = f[key]
        return d

    @property
    def axis_label(self) -> str:
        return f"predicted {self.target}"

    @property
    def figures(self) -> dict[str, Any]:
        return self.meta.get("validation", {})

    # -- files
    def to_dict(self) -> dict[str, Any]:
        if self.size_coef is None or self.domain is None:
            raise EstimatorError(f"{self.name}: not fitted")
        return {
            "format": FORMAT,
            "name": self.name,
            "kind": "learned",
            "unit": self.unit,
            "target": self.target,
            "description": self.description,
            "reference_source": self.reference_source,
            "features": {"size": list(SIZE_FEATURES), "design": list(DESIGN_INPUTS)},
            "size_term": {"intercept": float(self.size_coef[0]), "coef": [float(c) for c in self.size_coef[1:]]},
            "design_weight": self.design_weight,
            "calibration": {s: {"intercept": float(c[0]), "coef": [float(v) for v in c[1:]]} for s, c in self.calibration.items()},
            "noise_rmse": self.noise,
            "domain": self.domain.to_dict(),
            "design_term": {"library": f"lightgbm {_lgb_version()}", "models": [b.model_to_string() for b in self.boosters]},
            **self.meta,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict[str, Any], settings: Any = None) -> LearnedEstimator:
        import lightgbm as lgb

        try:
            if d.get("format") != FORMAT:
                raise EstimatorError(
                    f"not an archsearch estimator file (format {d.get('format')!r}, expected {FORMAT})"
                )
            if d["features"] != {"size": list(SIZE_FEATURES), "design": list(DESIGN_INPUTS)}:
                raise EstimatorError(
                    "estimator file was fitted on other features than this archsearch computes"
                )
            est = cls(
                d["name"],
                d.get("description", ""),
                d["reference_source"],
                target=d.get("target", "top-1 (%)"),
            )
            est.size_coef = np.array([d["size_term"]["intercept"], *d["size_term"]["coef"]], float)
            est.design_weight = float(d["design_weight"])
            est.calibration = {
                s: np.array([v["intercept"], *v["coef"]], float) for s, v in d["calibration"].items()
            }
            est.noise = float(d["noise_rmse"])
            est.domain = Domain.from_dict(d["domain"])
            est.boosters = [lgb.Booster(model_str=m) for m in d["design_term"]["models"]]
            est.n_members = len(est.boosters)
        except (KeyError, TypeError, ValueError, lgb.basic.LightGBMError) as e:
            if isinstance(e, EstimatorError):
                raise
            raise EstimatorError(
                f"malformed estimator file: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else e}"
            ) from None
        if (
            len(est.size_coef) != len(SIZE_FEATURES) + 1
            or not est.boosters
            or list(est.domain.names) != list(FEATURES)
        ):
            raise EstimatorError("malformed estimator file: size term, design term or domain incomplete")
        est.meta = {k: d[k] for k in ("provenance", "validation") if k in d}
        return est  # fmt: skip

    def save(self, path: str | Path) -> None:
        """Written atomically: a reader never sees half a file."""
        path = Path(path)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=1) + "\n")
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path) -> LearnedEstimator:
        try:
            d = json.loads(Path(path).read_text())
        except OSError as e:
            raise EstimatorError(f"cannot read estimator file {path}: {e.strerror}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise EstimatorError(f"estimator file {path} is not valid JSON (truncated?): {e}") from None
        if not isinstance(d, dict):
            raise EstimatorError(f"estimator file {path}: expected a JSON object")
        try:
            return cls.from_dict(d)
        except EstimatorError as e:
            raise EstimatorError(f"{path}: {e}") from None


def _features(configs: Sequence[ArchConfig]) -> np.ndarray:
    try:
        return feature_matrix(configs)
    except FeatureError as e:
        raise EstimatorError(str(e)) from None


def _lstsq(x: np.ndarray, y: np.ndarray, ridge: float = 1e-6) -> np.ndarray:
    """Least squares with an intercept (coefficients [intercept, *slopes]); a tiny ridge for stability."""
    a = np.hstack([np.ones((len(x), 1)), x])
    reg = ridge * np.eye(a.shape[1])
    reg[0, 0] = 0
    return np.linalg.solve(a.T @ a + reg, a.T @ y)


def _affine(x: np.ndarray, coef: np.ndarray) -> np.ndarray:
    return coef[0] + x @ coef[1:]


def _lgb_version() -> str:
    import lightgbm

    return lightgbm.__version__
