"""Profiles: the search engine's interface, plain-text round trip, shipped profiles and lookups."""

from __future__ import annotations

import pytest
import yaml

from archsearch.baselines import get_baseline
from archsearch.hardware import list_profiles, load_profile
from archsearch.hardware.calibrate import anchor_scale
from archsearch.hardware.datasets import read_csv
from archsearch.hardware.errors import DataError, ProfileError
from archsearch.hardware.profile import read_profile
from archsearch.resources import UnknownNameError
from archsearch.spaces import load_space

SHIPPED = ("pixel", "note10", "gpu", "gpu-b1", "a50", "local-cpu", "zcu102", "vck190")


def test_shipped_profiles_load_and_predict_every_space():
    assert set(SHIPPED) <= set(list_profiles())
    import random

    rng = random.Random(0)
    cfgs = [
        load_space(s).random(rng) for s in ("mbv2", "rexnet", "mbv1", "ofa", "fbnet", "nasbench-macro", "anb")
    ]
    for name in SHIPPED:
        p = load_profile(name)
        assert p.name == name and p.device
        assert p.provenance["samples"] > 0 and p.validation
        preds = p.predict_many(cfgs)
        assert all(x > 0 for x in preds)
        assert preds[0] == pytest.approx(p.predict(cfgs[0]))


def test_latency_grows_with_width_and_resolution():
    p = load_profile("pixel")
    ms = [
        p.predict(get_baseline(f"mobilenet_v2-{a}-{r}").config)
        for a, r in [(0.5, 160), (0.5, 224), (1.0, 224), (1.4, 224)]
    ]
    assert ms == sorted(ms)


def test_pixel_is_a_transfer_with_held_out_figures():
    """pixel: local LiteRT kernel model corrected to the phone (hardware/transfer.py); MobileNetV2-1.0-224 is one
    fitted point among 26, not an exact anchor, and the file states its leave-one-out error on the MnasNet grid."""
    p = load_profile("pixel")
    assert p.predictor.kind == "transfer" and p.provenance["source"] == "transfer"
    assert p.predict(get_baseline("mobilenet_v2-1.0-224").config) == pytest.approx(73.8, rel=0.15)
    assert p.validation["leave_one_out"]["n"] == 25 and p.validation["leave_one_out"]["mape"] <= 8.0
    for k in ("leave_one_width_out", "leave_one_resolution_out", "mbv2_unseen", "proxylessnas_mobile"):
        assert k in p.validation


def test_round_trip(tmp_path):
    p = load_profile("gpu")
    out = p.save(tmp_path / "copy.yaml")
    q = read_profile(out)
    assert q.to_dict() == p.to_dict()
    cfg = get_baseline("mobilenet_v2-0.75-192").config
    assert q.predict(cfg) == p.predict(cfg)


def test_anchor_scale_maps_prediction_onto_measurement():
    p = load_profile("note10")
    cfg = get_baseline("mobilenet_v2-1.0-224").config
    assert anchor_scale(p.predictor, [(cfg, 2 * p.predictor.predict(cfg))]) == pytest.approx(2.0)


def test_unknown_profile_lists_available():
    with pytest.raises(UnknownNameError, match="available: .*pixel"):
        load_profile("nope")


@pytest.mark.parametrize(
    "change, message",
    [
        ({"batch": 0}, "batch"),
        ({"scale": -1}, "scale"),
        ({"extra": 1}, "unknown key"),
        ({"predictor": {"kind": "kernel-linear", "coefficients": {"bogus": 1.0}}}, "unknown coefficient"),
    ],
)
def test_malformed_profile(tmp_path, change, message):
    d = load_profile("gpu").to_dict() | change
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(d))
    with pytest.raises(ProfileError, match=message):
        read_profile(path)


def _write(path, header, rows):
    path.write_text("\n".join([",".join(header), *(",".join(r) for r in rows)]) + "\n")
    return path


def test_any_csv_with_a_config_json_column(tmp_path):
    """A user's own whole-network CSV: configs as JSON, any latency column, no split (a seeded 20% held out)."""
    cfgs = [get_baseline(f"mobilenet_v2-{a}-{r}").config for a in (0.5, 0.75, 1.0) for r in (128, 160, 192)]
    rows = [['"' + c.to_json().replace('"', '""') + '"', f"{i + 1.5}"] for i, c in enumerate(cfgs)]
    adapter, got = read_csv(_write(tmp_path / "mine.csv", ["net", "my_ms"], rows), "my_ms", "net")
    assert adapter == "config" and [r.config for r in got] == cfgs and got[3].ms == 4.5
    assert sum(r.split == "holdout" for r in got) == len(cfgs) // 5
    with pytest.raises(DataError, match="no config column 'cfg'"):
        read_csv(tmp_path / "mine.csv", "my_ms", "cfg")
    _write(tmp_path / "bad.csv", ["config", "ms"], [[c, "1"] for c in (rows[0][0], '"{""blocks"": 3}"')])
    with pytest.raises(DataError, match=r"bad.csv: line 3: malformed architecture config"):
        read_csv(tmp_path / "bad.csv", "ms")


def test_accel_nasbench_encoding(shared_data, tmp_path):
    from archsearch.accuracy.anb import load_anb

    lines = (shared_data / "accel-nasbench/accel_nasbench_imagenet.csv").read_text().splitlines()[:4]
    path = tmp_path / "anb.csv"
    path.write_text("\n".join(lines) + "\n")
    adapter, rows = read_csv(path, "zcu102_latency_ms")
    assert adapter == "anb"
    assert [r.config.with_(name="") for r in rows] == [a.config().with_(name="") for a in load_anb(path)]
    assert [r.ms for r in rows] == [a.measured["zcu102_latency_ms"] for a in load_anb(path)]


@pytest.mark.parametrize("name", ["zcu102", "vck190"])
def test_fpga_profiles_state_their_holdout(name):
    p = load_profile(name)
    assert p.provenance["column"] == f"{name}_latency_ms"
    hold = p.validation["holdout"]
    assert hold["n"] == 822 and hold["mape"] < 10
