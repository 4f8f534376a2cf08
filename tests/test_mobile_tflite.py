"""TF-Lite (LiteRT) export and timing: one real conversion per session (15-20 s), shared by every test.

The sample network covers the block kinds with their trickiest lowering: an inverted residual with SE and
hard-swish, a ReXNet block (partial residual: channel slicing), a depthwise-separable block and a
projection, at a small resolution."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import need_module

from archsearch.arch import ArchConfig
from archsearch.cli import main
from archsearch.export import ExportError

need_module("litert_torch", "the mobile extra (pip install 'archsearch[mobile]')")
need_module("ai_edge_litert", "the mobile extra (pip install 'archsearch[mobile]')")

SAMPLE = {
    "name": "tiny-mobile",
    "resolution": 64,
    "num_classes": 10,
    "stem": {"channels": 16, "k": 3, "stride": 2, "act": "hswish"},
    "head": {"channels": 64, "act": "hswish", "post_pool": 0, "dropout": 0.0},
    "blocks": [
        {"kind": "ir", "cin": 16, "cout": 24, "k": 3, "stride": 2, "mid": 48, "se": 12, "act": "hswish",
         "se_gate": "hsigmoid"},
        {"kind": "rex", "cin": 24, "cout": 32, "k": 3, "mid": 96, "se": 8, "act": "silu", "se_bn": True},
        {"kind": "ds", "cin": 32, "cout": 40, "k": 5, "stride": 2, "mid": 32},
        {"kind": "proj", "cin": 40, "cout": 48, "stride": 1},
    ],
}  # fmt: skip


@pytest.fixture(scope="session")
def sample_cfg() -> ArchConfig:
    return ArchConfig.from_dict(SAMPLE)


@pytest.fixture(scope="session")
def exported(sample_cfg: ArchConfig, tmp_path_factory) -> tuple[Path, str]:
    """The sample exported through the CLI as --format tflite: (file, what the CLI printed)."""
    import contextlib
    import io

    folder = tmp_path_factory.mktemp("tflite")
    cfg_file = folder / "tiny.json"
    cfg_file.write_text(sample_cfg.to_json())
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = main(["export", "--config", str(cfg_file), "--format", "tflite", "--out", str(folder / "out")])
    assert rc == 0
    files = list((folder / "out").glob("*.tflite"))
    assert len(files) == 1
    return files[0], out.getvalue()


def test_export_matches_torch_and_says_so(exported: tuple[Path, str], sample_cfg: ArchConfig) -> None:
    import re

    import numpy as np

    from archsearch.export.tflite_file import TOLERANCE, run_tflite

    path, printed = exported
    diff = float(re.search(r"LiteRT vs torch max \|diff\| (\S+)\)", printed).group(1))
    assert 0 <= diff <= TOLERANCE == 1e-4
    assert not list(path.parent.glob(".*.tmp"))  # written atomically: no staging file left
    x = np.random.default_rng(0).standard_normal((1, 3, 64, 64)).astype(np.float32)
    out = run_tflite(path.read_bytes(), x)
    assert out.shape == (1, sample_cfg.num_classes) and np.isfinite(out).all()


def test_time_a_file_and_a_cached_config(
    exported: tuple[Path, str], sample_cfg: ArchConfig, tmp_path: Path, monkeypatch
) -> None:
    from archsearch.hardware import litert_timing
    from archsearch.hardware.measure import measure

    path, _ = exported
    t = litert_timing.time_tflite(path, threads=1, warmup=1, repeats=5)
    assert t.repeats == 5 and 0 < t.min_ms <= t.median_ms and t.spread_pct >= 0
    # a config whose conversion is in the cache is timed without converting (the name is not in the key)
    monkeypatch.setenv("ARCHSEARCH_CACHE", str(tmp_path))
    cached = litert_timing.cache_dir() / f"{litert_timing.cache_key(sample_cfg.with_(name='other'))}.tflite"
    cached.parent.mkdir(parents=True)
    shutil.copy(path, cached)
    monkeypatch.setattr("archsearch.export.tflite_file.export_tflite", _no_conversion)
    assert measure(sample_cfg, "litert", threads=1, warmup=1, repeats=3).repeats == 3


def _no_conversion(*a, **k):
    raise AssertionError("converted although the cache holds the network")


def test_measure_cli_runtime_litert(exported: tuple[Path, str], sample_cfg, tmp_path, monkeypatch, capsys):
    from archsearch.hardware import litert_timing

    path, _ = exported
    monkeypatch.setenv("ARCHSEARCH_CACHE", str(tmp_path))
    cached = litert_timing.cache_dir() / f"{litert_timing.cache_key(sample_cfg)}.tflite"
    cached.parent.mkdir(parents=True)
    shutil.copy(path, cached)
    cfg_file = tmp_path / "tiny.json"
    cfg_file.write_text(sample_cfg.to_json())
    argv = ["measure", "--config", str(cfg_file), "--runtime", "litert", "--threads", "1", "--repeats", "3"]
    assert main([*argv, "--format", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["runtime"] == "litert" and row["threads"] == 1 and row["median_ms"] > 0


def test_unloadable_tflite_is_one_line(tmp_path: Path) -> None:
    from archsearch.hardware.errors import MeasureError
    from archsearch.hardware.litert_timing import time_tflite

    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"not a flatbuffer")
    with pytest.raises(MeasureError, match="not a loadable TF-Lite model"):
        time_tflite(bad)
    with pytest.raises(MeasureError, match="no such"):
        time_tflite(tmp_path / "missing.tflite")


def test_missing_extra_is_one_line_naming_the_install(monkeypatch, tmp_path: Path, capsys) -> None:
    import sys

    from archsearch.export.tflite_file import export_tflite

    monkeypatch.setitem(sys.modules, "litert_torch", None)  # import fails as if not installed
    with pytest.raises(ExportError, match=r"archsearch\[mobile\]"):
        export_tflite(None, 3, 32)
    cfg_file = tmp_path / "c.json"
    cfg_file.write_text(ArchConfig.from_dict(SAMPLE).to_json())
    rc = main(["export", "--config", str(cfg_file), "--format", "tflite", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "archsearch[mobile]" in err
    assert not (tmp_path / "o").exists()


def test_kit_round_trip_with_this_machines_litert_as_the_phone(
    exported: tuple[Path, str], sample_cfg, tmp_path, monkeypatch, capsys
) -> None:
    """export-set -> `measure --tflite` (real LiteRT) -> manifest -> `calibrate --from-measurements`:
    the sample network under four names (the conversion cache ignores names, so nothing reconverts)."""
    import csv

    from archsearch.hardware import litert_timing, load_profile
    from archsearch.hardware.kit import export_set

    path, _ = exported
    monkeypatch.setenv("ARCHSEARCH_CACHE", str(tmp_path / "cache"))
    cached = litert_timing.cache_dir() / f"{litert_timing.cache_key(sample_cfg)}.tflite"
    cached.parent.mkdir(parents=True)
    shutil.copy(path, cached)
    monkeypatch.setattr("archsearch.export.tflite_file.export_tflite", _no_conversion)
    manifest = export_set(tmp_path / "kit", [sample_cfg.with_(name=f"tiny-{i}") for i in range(4)], log=print)
    with manifest.open(newline="") as f:
        rows = list(csv.DictReader(f))
    files = [x for r in rows for x in ("--tflite", str(manifest.parent / r["file"]))]
    capsys.readouterr()
    assert main(["measure", *files, "--repeats", "5", "--format", "json"]) == 0
    timed = {t["name"]: t["ms"] for t in json.loads(capsys.readouterr().out)}
    for r in rows:
        r["ms"] = timed[r["file"]]
    with manifest.open("w", newline="") as f:
        w = csv.DictWriter(f, list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    out = tmp_path / "phone.yaml"
    argv = ["calibrate", "--from-measurements", str(manifest), "--name", "phone", "--base", "local-litert",
            "--out", str(out), "--plot", str(tmp_path / "plot.html"), "--format", "json"]  # fmt: skip
    assert main(argv) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["validation"] == "held_out" and row["n"] == 1
    phone = load_profile(str(out))
    median = sorted(timed.values())[len(timed) // 2]
    assert phone.predictor.kind == "transfer" and abs(phone.predict(sample_cfg) / median - 1) < 0.3
