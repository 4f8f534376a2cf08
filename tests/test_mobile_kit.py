"""The on-device calibration kit through the CLI, without converting anything: the kit's files are
stand-ins (conversion is covered once in test_mobile_tflite.py), the phone is a synthetic device whose
times are a known power law of the base profile's, and the base is the shipped `local-cpu` profile (any
unanchored kernel-linear profile serves). The real round trip, with this machine's LiteRT as the phone,
is benchmarks/bench_calibration_kit.py."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest
from conftest import need_module

from archsearch.cli import main
from archsearch.hardware import load_profile
from archsearch.hardware.errors import MeasureError

need_module("ai_edge_litert", "the mobile extra (pip install 'archsearch[mobile]')")

BASE = "local-cpu"


@pytest.fixture
def fake_conversion(monkeypatch, tmp_path: Path) -> list[str]:
    """cached_tflite stand-in: a small file per network, the names of the networks converted."""
    done: list[str] = []

    def convert(cfg, cache=None) -> Path:
        done.append(cfg.name)
        p = tmp_path / "fake-cache" / f"{cfg.id}.tflite"
        p.parent.mkdir(exist_ok=True)
        p.write_bytes(b"TFL3" + cfg.id.encode())
        return p

    monkeypatch.setattr("archsearch.hardware.litert_timing.cached_tflite", convert)
    return done


def _rows(manifest: Path) -> list[dict]:
    with manifest.open(newline="") as f:
        return list(csv.DictReader(f))


def _write(manifest: Path, rows: list[dict]) -> None:
    with manifest.open("w", newline="") as f:
        w = csv.DictWriter(f, list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def test_export_set_writes_files_manifest_and_commands(tmp_path, fake_conversion, capsys) -> None:
    kit = tmp_path / "kit"
    assert (
        main(["calibrate", "--export-set", str(kit), "--networks", "6", "--base", BASE, "--threads", "2"])
        == 0
    )
    assert "--from-measurements" in capsys.readouterr().out
    rows = _rows(kit / "manifest.csv")
    assert list(rows[0]) == ["name", "config", "file", "ms"] and len(rows) == 6
    assert all(r["ms"] == "" and (kit / r["file"]).is_file() for r in rows)
    commands = (kit / "benchmark_commands.sh").read_text()
    assert all(f"--graph=/data/local/tmp/archsearch/{r['file']} --num_threads=2" in commands for r in rows)
    # diverse: sorted by the base's predicted time, spanning a wide range
    base = load_profile(BASE)
    pred = [base.predict(_cfg(r)) for r in rows]
    assert pred == sorted(pred) and pred[-1] > 2 * pred[0]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folder left


def _cfg(row: dict):
    from archsearch.arch import ArchConfig

    return ArchConfig.from_json(row["config"])


def test_round_trip_recovers_a_synthetic_phone(tmp_path, fake_conversion, capsys) -> None:
    kit = tmp_path / "kit"
    assert main(["calibrate", "--export-set", str(kit), "--networks", "16", "--base", BASE]) == 0
    base = load_profile(BASE)
    rows = _rows(kit / "manifest.csv")
    for i, r in enumerate(rows):  # the phone: 3 x local^0.9, with +-2% measurement noise
        r["ms"] = f"{3 * base.predict(_cfg(r)) ** 0.9 * (1 + 0.02 * (-1) ** i):.3f}"
    _write(kit / "manifest.csv", rows)
    capsys.readouterr()
    out = tmp_path / "my-phone.yaml"
    argv = ["calibrate", "--from-measurements", str(kit / "manifest.csv"), "--name", "my-phone", "--base", BASE,
            "--out", str(out), "--plot", str(tmp_path / "plot.html"), "--format", "json"]  # fmt: skip
    assert main(argv) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["validation"] == "held_out" and row["n"] == 4 and row["within_10"] == 100.0
    phone = load_profile(str(out))
    assert phone.predictor.kind == "transfer" and phone.provenance["base"] == BASE
    assert abs(phone.predictor.exponent - 0.9) < 0.05
    assert (tmp_path / "plot.html").is_file()


@pytest.mark.parametrize(
    "ms, why",
    [
        ("", "ms is empty"),
        ("-3", "must be a positive number"),
        ("fast", "is not a number"),
        ("nan", "positive"),
    ],
)
def test_bad_manifest_is_one_line_and_writes_nothing(tmp_path, capsys, ms: str, why: str) -> None:
    from archsearch.baselines import get_baseline

    cfgs = [get_baseline(n).config for n in ("mobilenet_v2-1.0-224", "mobilenet_v2-0.5-160",
                                              "mobilenet_v2-0.35-96", "mobilenet_v2-0.75-128")]  # fmt: skip
    rows = [{"name": c.name, "config": c.to_json(), "file": "", "ms": "5.0"} for c in cfgs]
    rows[2]["ms"] = ms
    _write(tmp_path / "m.csv", rows)
    out = tmp_path / "p.yaml"
    argv = ["calibrate", "--from-measurements", str(tmp_path / "m.csv"), "--name", "p", "--base", BASE]
    assert main([*argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "line 4" in err and why in err
    assert not out.exists()
    rows[2]["ms"], rows[1]["config"] = "5.0", '{"blocks": "nope"}'
    _write(tmp_path / "m.csv", rows)
    assert main([*argv, "--out", str(out)]) == 2
    assert "line 3: config" in capsys.readouterr().err and not out.exists()


def test_export_set_refusals_leave_nothing(tmp_path, fake_conversion, monkeypatch, capsys) -> None:
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "x").write_text("mine")
    assert main(["calibrate", "--export-set", str(taken), "--base", BASE]) == 2
    assert "not an empty folder" in capsys.readouterr().err and sorted(p.name for p in taken.iterdir()) == [
        "x"
    ]

    def fails_third(cfg, cache=None):
        if len(fake_conversion) == 2:
            raise MeasureError("TF-Lite conversion failed: boom")
        fake_conversion.append(cfg.name)
        return Path(__file__)

    monkeypatch.setattr("archsearch.hardware.litert_timing.cached_tflite", fails_third)
    assert main(["calibrate", "--export-set", str(tmp_path / "kit"), "--networks", "5", "--base", BASE]) == 2
    assert "boom" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]  # neither the kit nor its staging folder

    monkeypatch.setitem(sys.modules, "ai_edge_litert", None)  # the extra not installed
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)
    assert main(["calibrate", "--export-set", str(tmp_path / "kit"), "--base", BASE]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "archsearch[mobile]" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
