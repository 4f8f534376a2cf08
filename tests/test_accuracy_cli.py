"""Accuracy on the command line as a user runs it: `predict --accuracy`, `proxies eval --bench
accel-nasbench`, `estimators list|show|fit`, and bad input as one-line errors with exit code 2.

Most run in process (one import of torch for all) with a tiny estimator fitted here, passed as a file;
the name lookup runs as a user runs it, in a folder whose accuracy_estimators/imagenet.json is that tiny
estimator (the working directory's folder comes first). No test depends on the shipped file's figures."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest

from archsearch.baselines import get_baseline
from archsearch.cli import main
from tests.accuracy_helpers import fast_proxies, tiny_learned, write_anb_csv  # noqa: F401 (fixture)

MBV2 = "mobilenet_v2-1.0-224"
pytestmark = pytest.mark.usefixtures("fast_proxies")


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working directory with a tiny `imagenet` estimator (`est_file`) and MobileNetV2 configs with 7x7
    kernels and with an activation the features do not know."""
    d = tmp_path_factory.mktemp("work")
    (d / "accuracy_estimators").mkdir()
    tiny_learned("imagenet").save(d / "accuracy_estimators" / "imagenet.json")
    cfg = get_baseline(MBV2).config
    k7 = cfg.with_(blocks=tuple(replace(b, k=7) if b.kind == "ir" else b for b in cfg.blocks), name="mbv2-k7")
    (d / "k7.json").write_text(k7.to_json())
    none = cfg.with_(
        blocks=tuple(replace(b, act="none") if b.kind == "ir" else b for b in cfg.blocks), name="x"
    )
    (d / "act-none.json").write_text(none.to_json())
    return d


def est_file(work: Path) -> str:
    return str(work / "accuracy_estimators" / "imagenet.json")


def run(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    """In process; main() turns user errors into exit code 2 (anything else would raise here)."""
    rc = main(list(args))
    out = capsys.readouterr()
    return rc, out.out, out.err


def one_line_error(rc: int, err: str, *needles: str) -> None:
    assert rc == 2, err
    assert len(err.strip().splitlines()) == 1 and err.startswith("archsearch: error: "), err
    assert "Traceback" not in err and all(n in err for n in needles), err


def test_predict_accuracy_without_hw(cli, work: Path) -> None:
    r = cli("predict", "--accuracy", "imagenet", "--baseline", MBV2, "--format", "csv", cwd=work)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert list(rows[0]) == ["name", "resolution", "macs", "predicted_top1", "uncertainty", "extrapolates",
                             "extrapolation", "published_top1"]  # fmt: skip
    assert (
        rows[0]["name"] == MBV2 and rows[0]["published_top1"] == "71.8" and rows[0]["extrapolates"] == "False"
    )
    assert 0 < float(rows[0]["predicted_top1"]) < 100
    assert abs(float(rows[0]["uncertainty"]) - 1.0) < 0.1  # the tiny estimator's noise: the folder here won


def test_predict_accuracy_and_latency_of_a_config(capsys, work: Path) -> None:
    rc, out, err = run(capsys, "predict", "--accuracy", est_file(work), "--hw", "gpu", "--baseline", MBV2,
                       "--config", str(work / "k7.json"), "--format", "json")  # fmt: skip
    assert rc == 0, err
    base, k7 = json.loads(out)
    assert base["latency_ms"] > 0 and k7["latency_ms"] > 0 and k7["profile"] == "gpu"
    assert base["extrapolates"] is False and base["extrapolation"] == ""
    assert k7["extrapolates"] is True and "kernel" in k7["extrapolation"] and k7["published_top1"] is None


def test_predict_table_footer_reads_the_file(capsys, work: Path) -> None:
    rc, out, err = run(capsys, "predict", "--accuracy", est_file(work), "--baseline", MBV2)
    assert rc == 0, err
    assert (
        "predicted_top1" in out
        and "test top-1 (%)" in out
        and "anb_holdout: kendall 0.5, mae 1.5, n 10" in out
    )


def test_predict_with_a_proxy_names_the_column_score(capsys) -> None:
    rc, out, err = run(capsys, "predict", "--accuracy", "macs", "--baseline", "mobilenet_v2-0.35-96",
                       "--format", "json")  # fmt: skip
    assert rc == 0, err
    (row,) = json.loads(out)
    assert row["score"] == row["macs"] and row["uncertainty"] is None and "predicted_top1" not in row


@pytest.mark.parametrize(
    "args, needles",
    [
        (["--baseline", MBV2], ["give --hw PROFILE, --accuracy NAME or both"]),
        (["--accuracy", "ensemble", "--baseline", MBV2], ["population estimator", "cannot score a list alone"]),
        (["--accuracy", "nope", "--baseline", MBV2], ["unknown accuracy estimator 'nope'", "available:"]),
        (["--accuracy", "{work}/cut.json", "--baseline", MBV2], ["cut.json", "not valid JSON"]),
        (["--accuracy", "{work}/accuracy_estimators/imagenet.json", "--config", "{work}/act-none.json"],
         ["x: activation 'none' has no feature"]),
    ],
)  # fmt: skip
def test_predict_errors(capsys, work: Path, args: list[str], needles: list[str]) -> None:
    (work / "cut.json").write_text((work / "accuracy_estimators" / "imagenet.json").read_text()[:300])
    rc, _, err = run(capsys, "predict", *(a.format(work=work) for a in args))
    one_line_error(rc, err, *needles)


def test_eval_on_an_accel_nasbench_csv(capsys, work: Path, tmp_path: Path) -> None:
    path = write_anb_csv(tmp_path / "anb.csv", n=5)
    rc, out, err = run(capsys, "proxies", "eval", "--bench", "accel-nasbench", "--csv", str(path), "--proxies",
                       f"{est_file(work)},macs", "--format", "json")  # fmt: skip
    assert rc == 0, err
    learned, macs = json.loads(out)
    assert [learned["proxy"], macs["proxy"]] == [est_file(work), "macs"]
    assert learned["n"] == macs["n"] == 5 and learned["failed"] == macs["failed"] == 0
    assert learned["mae"] >= 0 and -1 <= learned["kendall_full_scale"] <= 1  # on the 'anb' scale, and not
    assert macs["mae"] is None and macs["kendall_full_scale"] is None and macs["s_per_net"] > 0
    assert -1 <= macs["kendall"] <= 1 and macs["top10_regret"] >= 0


def test_eval_corrupt_csv_row(capsys, tmp_path: Path) -> None:
    path = write_anb_csv(tmp_path / "anb.csv", n=3)
    lines = path.read_text().splitlines()
    lines[2] = lines[2].replace(lines[2].split(",")[6], "abc")  # val_top1 of the second network
    path.write_text("\n".join(lines) + "\n")
    rc, _, err = run(
        capsys, "proxies", "eval", "--bench", "accel-nasbench", "--csv", str(path), "--proxies", "macs"
    )
    one_line_error(rc, err, "anb.csv: line 3", "val_top1 'abc' is not a number")
    rc, _, err = run(capsys, "proxies", "eval", "--csv", str(path), "--proxies", "macs")
    one_line_error(rc, err, "--csv is for --bench accel-nasbench")


def test_estimators_list(capsys) -> None:
    rc, out, err = run(capsys, "estimators", "list", "--format", "json")
    assert rc == 0, err
    rows = {x["name"]: x for x in json.loads(out)}
    assert rows["snip"]["kind"] == "proxy" and rows["snip"]["unit"] == "score"
    assert rows["ensemble"]["kind"] == "ensemble" and rows["training"]["kind"] == "training"
    assert all(x["unit"] == "top1" and x["held_out"] for x in rows.values() if x["kind"] == "learned")


def test_estimators_show(capsys, work: Path) -> None:
    rc, out, err = run(capsys, "estimators", "show", est_file(work), "--format", "json")
    assert rc == 0, err
    d = json.loads(out)
    assert d["kind"] == "learned" and {"provenance", "calibration", "domain", "validation"} <= set(d)
    assert d["domain"]["kernel32"] == [3.0, 5.0] and "models" not in d["design_term"]
    rc, out, err = run(capsys, "estimators", "show", est_file(work))
    assert rc == 0 and "domain.log_macs" in out and "validation.anb_holdout.kendall" in out, err
    rc, out, _ = run(capsys, "estimators", "show", "ensemble", "--format", "csv")
    assert rc == 0 and out.startswith("field,value\n") and "\nmembers," in out


def test_estimators_fit(capsys, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from archsearch.accuracy import fitting
    from archsearch.accuracy.learned import LearnedEstimator

    monkeypatch.setattr(fitting, "FITTERS", {"tiny": tiny_learned})
    rc, out, err = run(
        capsys, "estimators", "fit", "tiny", "--out", str(tmp_path / "new"), "--format", "json"
    )
    assert rc == 0, err
    assert json.loads(out)["validation"]["anb_holdout"]["kendall"] == 0.5
    assert LearnedEstimator.load(tmp_path / "new" / "tiny.json").name == "tiny"
    assert not list((tmp_path / "new").glob("*.tmp"))
    one_line_error(*run(capsys, "estimators", "fit", "nope")[::2], "no fitter for 'nope'", "fittable: tiny")
