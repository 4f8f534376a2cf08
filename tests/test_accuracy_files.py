"""Estimator files and the inputs an estimator refuses: every failure is one `EstimatorError` line that
names the problem; extrapolation is a flag on the prediction, not an error."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from archsearch.accuracy.base import EstimatorError, get_estimator, list_estimators
from archsearch.accuracy.learned import LearnedEstimator
from archsearch.arch import ArchConfig, Block
from archsearch.baselines import get_baseline
from tests.accuracy_helpers import tiny_learned

MBV2 = "mobilenet_v2-1.0-224"


@pytest.fixture(scope="module")
def est() -> LearnedEstimator:
    return tiny_learned()


@pytest.fixture(scope="module")
def saved(est: LearnedEstimator, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("est") / "tiny.json"
    est.save(path)
    return path


def mbv2(**block_changes: object) -> ArchConfig:
    """MobileNetV2 1.0 at 224 with every inverted-residual block changed."""
    cfg = get_baseline(MBV2).config
    blocks = tuple(replace(b, **block_changes) if b.kind == "ir" else b for b in cfg.blocks)
    return cfg.with_(blocks=blocks, name=f"mbv2-{block_changes}")


def one_line_error(fn: object, *needles: str) -> str:
    with pytest.raises(EstimatorError) as e:
        fn()
    msg = str(e.value)
    assert "\n" not in msg and all(n in msg for n in needles), msg
    return msg


def test_file_round_trip_predicts_identically(est: LearnedEstimator, saved: Path) -> None:
    cfgs = [get_baseline(MBV2).config, get_baseline("rexnet-1.3-224").config, mbv2(k=5)]
    back = LearnedEstimator.load(saved)
    a, b = est.predict(cfgs), back.predict(cfgs)
    np.testing.assert_array_equal(a.value, b.value)
    np.testing.assert_array_equal(a.uncertainty, b.uncertainty)
    assert back.figures == est.figures and back.calibration.keys() == est.calibration.keys()
    np.testing.assert_array_equal(back.calibration["anb"], est.calibration["anb"])  # the benchmark scale too


def test_truncated_and_non_json_files(saved: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.json"
    cut.write_text(saved.read_text()[:5000])
    one_line_error(lambda: LearnedEstimator.load(cut), str(cut), "not valid JSON")
    junk = tmp_path / "junk.json"
    junk.write_bytes(b"\x00\xffnot json at all")
    one_line_error(lambda: LearnedEstimator.load(junk), str(junk))
    one_line_error(lambda: LearnedEstimator.load(tmp_path / "missing.json"), "cannot read")


def test_wrong_format_and_missing_key(saved: Path, tmp_path: Path) -> None:
    d = json.loads(saved.read_text())
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({**d, "format": "something-else/9"}))
    one_line_error(
        lambda: LearnedEstimator.load(wrong), "not an archsearch estimator file", "something-else/9"
    )
    for key in ("size_term", "design_term", "domain"):
        partial = tmp_path / f"no-{key}.json"
        partial.write_text(json.dumps({k: v for k, v in d.items() if k != key}))
        one_line_error(lambda p=partial: LearnedEstimator.load(p), str(partial), "malformed")


def test_unknown_name() -> None:
    one_line_error(lambda: get_estimator("nope"), "unknown accuracy estimator 'nope'", "available:", "snip")


def test_configs_outside_the_features(est: LearnedEstimator) -> None:
    one_line_error(lambda: est.predict([mbv2(act="none")]), "activation 'none' has no feature")
    cfg = get_baseline(MBV2).config
    last = cfg.blocks[-1]
    deeper = cfg.with_(
        blocks=(*cfg.blocks, Block("ir", last.cout, last.cout, k=3, stride=2, mid=last.cout * 6)), name="os64"
    )
    one_line_error(lambda: est.predict([deeper]), "os64", "output stride 64")


def check_extrapolation(est: LearnedEstimator) -> None:
    pred = est.predict([get_baseline(MBV2).config, mbv2(k=7), mbv2(act="hswish")])
    assert list(pred.extrapolates) == [False, True, True], pred.why
    assert pred.why[0] == "" and "kernel" in pred.why[1] and "act_hswish" in pred.why[2]
    assert np.isfinite(pred.value).all()  # a flag, not a failure


def test_extrapolation_is_flagged(est: LearnedEstimator) -> None:
    check_extrapolation(est)


@pytest.mark.skipif(
    "imagenet" not in list_estimators(), reason="accuracy_estimators/imagenet.json not shipped"
)
def test_shipped_imagenet_loads_predicts_and_flags() -> None:
    imagenet = get_estimator("imagenet")
    assert isinstance(imagenet, LearnedEstimator) and imagenet.unit == "top1" and imagenet.figures
    assert 40 < imagenet.predict([get_baseline(MBV2).config]).value[0] < 90
    check_extrapolation(imagenet)
