"""`archsearch proxies list|eval` and `archsearch train` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def test_list(cli) -> None:
    r = cli("proxies", "list", "--format", "csv")
    names = [line.split(",")[0] for line in r.stdout.splitlines()[1:]]
    assert r.returncode == 0 and {"synflow", "jacob_cov", "rank", "zen", "ensemble", "depth"} <= set(names)


def test_eval_on_a_small_sample(cli, shared_data: Path) -> None:
    r = cli("proxies", "eval", "--bench", "nasbench-macro", "--proxies", "macs,depth", "ensemble",
            "--sample", "6", "--batch", "4", "--format", "json")  # fmt: skip
    assert r.returncode == 0, r.stderr
    rows = {row["proxy"]: row for row in json.loads(r.stdout)}
    assert rows["macs"]["n"] == 6 and -1 <= rows["macs"]["kendall"] <= 1
    assert any(p.startswith("ensemble(") for p in rows)


def test_train_a_nasbench_key(cli) -> None:
    r = cli(
        "train",
        "--nbm",
        "10010000",
        "--steps",
        "4",
        "--batch",
        "8",
        "--evals",
        "2",
        "--no-progress",
        "--format",
        "json",
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["steps"] == 4 and len(out["curve"]) == 2 and out["data"] == "synthetic"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("proxies", "eval", "--proxies", "nope"), "unknown accuracy estimator 'nope'"),
        (("train", "--steps", "2", "--data", "npz:/no/such/file.npz"), "dataset path not found"),
        (("train", "--steps", "2", "--data", "cifar"), "unknown dataset"),
        (("train", "--steps", "2", "--resolution", "16"), "minimum 32"),
        (("train", "--steps", "2", "--config", "/no/such/config.json"), "cannot read config"),
        (("train", "--steps", "2", "--width", "0"), "training width 0 must be in (0, 1]"),
    ],
)
def test_bad_input_is_one_line_exit_2(cli, args: tuple[str, ...], message: str) -> None:
    r = cli(*args)
    assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_malformed_config_file(cli, tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text('{"blocks": [{"kind": "ir"}]}')
    r = cli("train", "--steps", "2", "--config", str(tmp_path / "c.json"))
    assert r.returncode == 2 and "malformed" in r.stderr
