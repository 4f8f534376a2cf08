"""Hardware commands as a user runs them: listings in every format, and bad input as one-line errors
with exit code 2."""

from __future__ import annotations

import csv
import io
import json

import pytest

from archsearch.arch import ArchConfig, Block, Head, Stem


def _one_line_error(r, *needles: str) -> None:
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr, r.stderr
    for n in needles:
        assert n in r.stderr, r.stderr


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_profiles_listing(cli, fmt):
    r = cli("profiles", "--format", fmt)
    assert r.returncode == 0, r.stderr
    assert "pixel" in r.stdout and "gpu-b1" in r.stdout


def test_predict_and_baselines_column(cli, tmp_path):
    cfg = ArchConfig((Block("ir", 16, 24, k=3, stride=2, mid=96),), 64, Stem(16), Head(256), 10, name="tiny")
    path = tmp_path / "tiny.json"
    path.write_text(cfg.to_json())
    r = cli(
        "predict",
        "--hw",
        "gpu",
        "--baseline",
        "mobilenet_v2-1.0-224",
        "--config",
        str(path),
        "--format",
        "json",
    )
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert [x["name"] for x in rows] == ["mobilenet_v2-1.0-224", "tiny"] and all(
        x["latency_ms"] > 0 for x in rows
    )
    r = cli("baselines", "--hw", "pixel", "--family", "mobilenet_v2", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert len(rows) == 30 and all(float(x["latency_ms"]) > 0 for x in rows)


def test_unknown_profile(cli):
    _one_line_error(
        cli("predict", "--hw", "nope", "--baseline", "mobilenet_v2-1.0-224"), "nope", "available:", "pixel"
    )


def test_malformed_lut(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "Conv-input:224x224x3-output:112x112x32:\n  mean: 4.0\nexpanded_conv-input:oops:\n  mean: 1.0\n"
    )
    _one_line_error(cli("calibrate", "--from-lut", str(bad), "--name", "x", "--out", str(tmp_path / "x.yaml")),
                    f"{bad}: line 3", "unrecognised key")  # fmt: skip


def test_malformed_csv(cli, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("arch_id,split,ops,dev_ms\n0,calibration,skip skip,3.0\n")
    _one_line_error(
        cli("calibrate", "--from-csv", str(bad), "--column", "dev_ms", "--name", "x"),
        f"{bad}: line 2",
        "FBNet",
    )
    _one_line_error(
        cli("calibrate", "--from-csv", str(bad), "--column", "nope_ms", "--name", "x"), "line 1", "dev_ms"
    )


def test_uncovered_config_names_the_block(cli, tmp_path):
    table = {"kind": "block-table", "network_ms": 0.0, "table": {}}
    prof = {
        "name": "t",
        "device": "d",
        "runtime": "r",
        "precision": "float32",
        "batch": 1,
        "threads": 1,
        "predictor": table,
    }
    path = tmp_path / "t.yaml"
    path.write_text(json.dumps(prof))
    _one_line_error(
        cli("predict", "--hw", str(path), "--baseline", "mobilenet_v2-1.0-224"), "no entry for part 0", "stem"
    )


@pytest.mark.parametrize(
    "args, needle",
    [
        (["calibrate", "--hw", "pixel", "--anchor", "mobilenet_v2-1.0-224"], "NET=MS"),
        (["calibrate", "--hw", "pixel", "--anchor", "nonet-1-2=3"], "unknown baseline"),
        (["calibrate", "--hw", "pixel"], "not measured on this machine"),
        (["calibrate"], "--from-lut"),
        (["measure", "--hw", "gpu", "--baseline", "mobilenet_v2-1.0-224"], "not measured on this machine"),
        (["measure", "--runtime", "cuda", "--baseline", "mobilenet_v2-0.35-96"], "cuda"),
    ],
)
def test_bad_input(cli, args, needle):
    import torch

    if "cuda" in args and torch.cuda.is_available():
        pytest.skip("a GPU is present")
    _one_line_error(cli(*args), needle)


def test_anchor_writes_a_corrected_copy(cli, tmp_path):
    out = tmp_path / "p.yaml"
    r = cli(
        "calibrate",
        "--hw",
        "note10",
        "--anchor",
        "mobilenet_v2-1.0-224=20",
        "--name",
        "mine",
        "--out",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    r = cli("predict", "--hw", str(out), "--baseline", "mobilenet_v2-1.0-224", "--format", "json")
    assert json.loads(r.stdout)[0]["latency_ms"] == pytest.approx(20.0, rel=1e-3)


def test_measure_tiny_network(cli, tmp_path):
    cfg = ArchConfig((Block("ir", 16, 16, k=3, stride=1, mid=32),), 32, Stem(16), Head(64), 10, name="tiny")
    path = tmp_path / "tiny.json"
    path.write_text(cfg.to_json())
    for runtime in ("torch", "onnxruntime"):
        r = cli("measure", "--config", str(path), "--runtime", runtime, "--repeats", "3", "--format", "json")
        assert r.returncode == 0, r.stderr
        row = json.loads(r.stdout)[0]
        assert row["median_ms"] > 0 and row["runtime"] == runtime and row["threads"] == 1


def test_measure_against_a_reference(cli, tmp_path):
    cfg = ArchConfig((Block("ir", 16, 16, k=3, stride=1, mid=32),), 32, Stem(16), Head(64), 10, name="tiny")
    path = tmp_path / "tiny.json"
    path.write_text(cfg.to_json())
    argv = ("measure", "--config", str(path), "--repeats", "3", "--warmup", "1", "--format", "json")
    r = cli(*argv, "--reference", "mobilenet_v1-0.25-128")
    assert r.returncode == 0, r.stderr
    row = json.loads(r.stdout)[0]
    assert row["reference"] == "mobilenet_v1-0.25-128" and row["ratio"] > 0
    assert row["ms"] == pytest.approx(row["ratio"] * row["reference_ms"], rel=1e-3)
    r = cli(*argv, "--reference", "no-such-net")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "no-such-net" in r.stderr
