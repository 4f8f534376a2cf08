"""`archsearch spaces` / `archsearch baselines` output in every format, and the installed package."""

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from archsearch.baselines import baseline_names, get_baseline
from archsearch.resources import UnknownNameError


def test_baselines_formats(cli):
    rows = json.loads(cli("baselines", "--format", "json").stdout)
    assert len(rows) == len(baseline_names()) == 52
    mb = next(r for r in rows if r["name"] == "mobilenet_v2-1.0-224")
    assert mb == {"name": "mobilenet_v2-1.0-224", "resolution": 224, "macs": 300774272, "params": 3504872,
                  "peak_act_bytes": mb["peak_act_bytes"], "top1": 71.8}  # fmt: skip
    table = list(csv.DictReader(io.StringIO(cli("baselines", "--format", "csv").stdout)))
    assert table[0].keys() >= {"name", "resolution", "macs", "params", "peak_act_bytes", "top1"}
    assert next(r for r in table if r["name"] == "rexnet-1.0-224")["macs"] == "398370392"
    out = cli("baselines").stdout
    assert "mobilenet_v2-1.4-224" in out and "rexnet-3.0-224" in out and "MMACs" in out


def test_spaces_listing(cli):
    rows = json.loads(cli("spaces", "--format", "json").stdout)
    sizes = {r["space"]: r["size"] for r in rows}
    assert sizes["nasbench-macro"] == 6561 and isinstance(sizes["mbv2"], int)
    shown = cli("spaces", "show", "mbv2")
    assert shown.returncode == 0 and "s3.k" in shown.stdout


def test_unknown_baseline_names():
    for bad in ("resnet-1.0-224", "mobilenet_v2-1.0-16", "mobilenet_v2-x-224"):
        with pytest.raises(UnknownNameError):
            get_baseline(bad)


def test_installed_package_finds_spaces_from_any_directory(tmp_path):
    """`pip install .` (what `make` does) ships spaces; the console script works from elsewhere."""
    exe = Path(sys.executable).parent / "archsearch"
    if not exe.exists():
        pytest.skip("archsearch is not installed (run through `make test`)")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    r = subprocess.run(
        [str(exe), "spaces", "--format", "json"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    assert {"mbv2", "rexnet", "mbv1", "nasbench-macro"} <= {x["space"] for x in json.loads(r.stdout)}
