"""`archsearch export` end to end: baselines, config files and search runs (a run directory written here
in the search engine's format), trained weights, and every bad-input path (one line, exit 2, nothing
written)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch
from export_helpers import _one_thread, load_source, randomize_  # noqa: F401 (fixture)

from archsearch.arch import ArchConfig
from archsearch.baselines import get_baseline
from archsearch.cli import main
from archsearch.cost import cost
from archsearch.export import ExportError
from archsearch.export.exporter import write_files
from archsearch.models import build_model
from archsearch.runs import load_run
from archsearch.spaces import load_space

RUN_ID = "20261123-000000-test"


def trial_row(number: int, cfg: ArchConfig | None, state: str = "COMPLETE", **kw) -> dict:
    c = cost(cfg) if cfg else None
    row = {
        "number": number, "state": state, "config_id": cfg.id if cfg else "", "config_json": cfg.to_json() if cfg else "",
        "macs": c.macs if c else "", "params": c.params if c else "", "peak_bytes": c.peak_bytes if c else "",
        "latency_ms": "", "feasible": False, "finalist": False, "pareto": False, "score": "", "trained_top1": "",
        "wall_s": 1.5,  # an extra column the reader must ignore
    }  # fmt: skip
    row.update(kw)
    return row


def write_run(runs: Path, run_id: str, rows: list[dict], weights: dict[str, dict] | None = None) -> Path:
    d = runs / run_id
    d.mkdir(parents=True)
    meta = {"id": run_id, "name": "test search", "command": "archsearch run ...", "seed": 7, "space": "mbv2",
            "profile": "pixel", "budget": {"latency_ms": 30}, "proxies": ["synflow"]}  # fmt: skip
    (d / "run.json").write_text(json.dumps(meta))
    pd.DataFrame(rows).to_csv(d / "trials.csv", index=False)
    for config_id, state in (weights or {}).items():
        (d / "weights").mkdir(exist_ok=True)
        torch.save(state, d / "weights" / f"{config_id}.pt")
    return d


@pytest.fixture(scope="module")
def configs() -> list[ArchConfig]:
    rng = random.Random(11)
    space = load_space("mbv2")
    return [space.random(rng).with_(resolution=128) for _ in range(4)]


@pytest.fixture
def runs(tmp_path: Path, configs: list[ArchConfig]) -> Path:
    """runs/ with a finished run (two trained finalists, one with weights) and one without finalists."""
    c0, c1, c2, c3 = configs
    w0 = randomize_(build_model(c0), seed=5).state_dict()
    rows = [
        trial_row(
            0, c0, latency_ms=10.0, feasible=True, finalist=True, pareto=True, score=0.5, trained_top1=70.0
        ),
        trial_row(
            1, c1, latency_ms=20.0, feasible=True, finalist=True, pareto=True, score=0.9, trained_top1=72.5
        ),
        trial_row(2, c2, latency_ms=5.0, feasible=True, score=0.1),
        trial_row(3, c3, state="FAIL"),
        trial_row(4, None, state="PRUNED"),
    ]
    write_run(tmp_path / "runs", RUN_ID, rows, {c0.id: w0})
    write_run(tmp_path / "runs", "early", [trial_row(0, c2, latency_ms=5.0, feasible=True, score=0.1)])
    return tmp_path / "runs"


def export(runs: Path, *args: str) -> int:
    return main(["export", *args, "--runs-dir", str(runs)])


def one_line_error(capsys, *needles: str) -> None:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("archsearch: error: "), err
    for n in needles:
        assert n in err, err


def test_a_table_written_elsewhere_reads_typed(runs: Path) -> None:
    """pandas' True/False, empty cells and an unknown column: the run model's one reading of each."""
    trials = load_run(runs / RUN_ID).trials
    assert [t.number for t in trials] == [0, 1, 2, 3, 4]
    assert [t.finalist for t in trials] == [True, True, False, False, False]
    assert trials[2].trained_top1 is None and trials[1].trained_top1 == 72.5 and trials[4].macs is None


def test_trial_py_with_weights(runs: Path, configs, capsys) -> None:
    assert export(runs, RUN_ID, "--trial", "0", "--format", "py") == 0
    out = runs / RUN_ID / "exports"
    assert sorted(p.name for p in out.iterdir()) == ["trial_0.pt", "trial_0.py"]
    source = (out / "trial_0.py").read_text()
    for fact in (f"run:               {RUN_ID} (test search)", "trial:             0 (COMPLETE, finalist, Pareto",
                 "predicted latency: 10.000 ms (pixel)", "trained top-1:     70.00", "space:             mbv2"):  # fmt: skip
        assert fact in source
    net = load_source(source).build().eval()
    net.load_state_dict(torch.load(out / "trial_0.pt", weights_only=True))
    ours = build_model(configs[0])
    ours.load_state_dict(torch.load(runs / RUN_ID / "weights" / f"{configs[0].id}.pt", weights_only=True))
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(net(x), ours.eval()(x))


def test_trial_onnx_embeds_weights(runs: Path, configs, tmp_path: Path) -> None:
    import numpy as np
    import onnxruntime as ort

    assert export(runs, RUN_ID, "--trial", "0", "--format", "onnx", "--out", str(tmp_path / "o")) == 0
    cfg = configs[0]
    ours = build_model(cfg)
    ours.load_state_dict(torch.load(runs / RUN_ID / "weights" / f"{cfg.id}.pt", weights_only=True))
    x = torch.randn(3, 3, cfg.resolution, cfg.resolution)
    session = ort.InferenceSession(str(tmp_path / "o" / "trial_0.onnx"), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"input": x.numpy()})
    with torch.no_grad():
        assert np.abs(got - ours.eval()(x).numpy()).max() <= 1e-4


def test_best_under_latency_and_pareto(runs: Path, configs, capsys) -> None:
    assert export(runs, RUN_ID, "--best-under-latency", "15", "--format", "json") == 0
    assert "trial_0.json" in capsys.readouterr().out  # the only finalist within 15 ms
    assert export(runs, RUN_ID, "--best-under-latency", "25", "--format", "json", "--force") == 0
    assert "trial_1.json" in capsys.readouterr().out  # higher trained top-1 wins
    assert export(runs, RUN_ID, "--pareto", "--format", "json", "--force") == 0
    out = runs / RUN_ID / "exports"
    for n in (0, 1):
        assert ArchConfig.from_json((out / f"trial_{n}.json").read_text()) == configs[n]


def test_config_json_round_trip_through_cli(tmp_path: Path, capsys) -> None:
    cfg = get_baseline("rexnet-1.3-224").config
    assert main(["export", "--baseline", "rexnet-1.3-224", "--format", "json", "--out", str(tmp_path)]) == 0
    path = tmp_path / "rexnet_1_3_224.json"
    assert ArchConfig.from_json(path.read_text()) == cfg
    assert main(["export", "--config", str(path), "--format", "py", "--out", str(tmp_path / "py")]) == 0
    module = load_source((tmp_path / "py" / "rexnet_1_3_224.py").read_text())
    assert sum(p.numel() for p in module.build().parameters()) == cost(cfg).params


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        ([RUN_ID, "--trial", "99"], ["no trial 99", "trials 0..4"]),
        (["early", "--best-under-latency", "100"], ["no finalists"]),
        ([RUN_ID, "--best-under-latency", "1"], ["no feasible finalist", "fastest: 10 ms"]),
        (["early", "--pareto"], ["no Pareto-front trials"]),
        (["nosuchrun", "--trial", "0"], ["no run 'nosuchrun'", "early"]),
        (["--trial", "0"], ["need a RUN"]),
        ([RUN_ID, "--best-under-latency", "-3"], ["positive"]),
        (["--baseline", "rexnet-1.0-224", "--format", "timm"], ["ReXNet blocks", "partial residual"]),
        (["--baseline", "nosuch-1.0-224"], ["unknown baseline"]),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    runs: Path, tmp_path: Path, capsys, args, needles
) -> None:
    out = tmp_path / "new" / "exports"
    assert export(runs, *args, "--out", str(out)) == 2
    one_line_error(capsys, *needles)
    assert not (tmp_path / "new").exists()
    assert not (runs / RUN_ID / "exports").exists()


def test_bad_config_file(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"blocks": [{"kind": "ir", "cin": 3}]}')
    assert main(["export", "--config", str(bad), "--out", str(tmp_path / "o")]) == 2
    one_line_error(capsys, "bad.json")
    assert main(["export", "--config", str(tmp_path / "missing.json"), "--out", str(tmp_path / "o")]) == 2
    one_line_error(capsys, "cannot read config")
    assert not (tmp_path / "o").exists()


def test_existing_output_needs_force(runs: Path, capsys) -> None:
    assert export(runs, RUN_ID, "--trial", "1", "--format", "py") == 0
    target = runs / RUN_ID / "exports" / "trial_1.py"
    target.write_text("# edited by the user\n")
    capsys.readouterr()
    assert export(runs, RUN_ID, "--trial", "1", "--format", "py") == 2
    one_line_error(capsys, "trial_1.py exists", "--force")
    assert target.read_text() == "# edited by the user\n"
    assert export(runs, RUN_ID, "--trial", "1", "--format", "py", "--force") == 0
    assert target.read_text().startswith('"""')
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".")]  # no temporary files left


@pytest.mark.parametrize("bad", ["garbage", "other config"])
def test_weights_that_do_not_fit_are_refused(runs: Path, configs, capsys, bad: str) -> None:
    path = runs / RUN_ID / "weights" / f"{configs[1].id}.pt"
    if bad == "garbage":
        path.write_bytes(b"not a checkpoint")
    else:
        torch.save(build_model(configs[2]).state_dict(), path)
    assert export(runs, RUN_ID, "--trial", "1", "--format", "py") == 2
    one_line_error(capsys, "do not fit the config")
    assert not (runs / RUN_ID / "exports").exists()


def test_failed_write_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    """A write that fails half-way (disk full...) removes what it staged and the folder it created."""
    real = Path.write_bytes
    calls = []

    def flaky(self: Path, data: bytes) -> int:
        calls.append(self)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", flaky)
    with pytest.raises(ExportError, match="No space left"):
        write_files({"a.py": b"x", "a.pt": b"y"}, tmp_path / "deep" / "out", force=False)
    assert not (tmp_path / "deep").exists()


def test_cli_subprocess_exit_code(cli, tmp_path: Path) -> None:
    """As a user runs it: exit status 2 and a single stderr line, no traceback."""
    r = cli("export", "--baseline", "rexnet-1.0-224", "--format", "timm", "--out", str(tmp_path / "x"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr
    r = cli("export", "--baseline", "mobilenet_v2-0.5-160", "--format", "timm", "--out", str(tmp_path / "x"))
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "x" / "mobilenet_v2_0_5_160_timm.py").read_text()
    assert '["ds_r1_k3_s1_c8"]' in text and "stem_size=16" in text


HIDE_ARCHSEARCH = """
import importlib.abc, sys
class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "archsearch" or name.startswith("archsearch."):
            raise ModuleNotFoundError(f"No module named {name!r} (hidden by the test)")
sys.meta_path.insert(0, Hide())
try:
    import archsearch
    raise SystemExit("archsearch is still importable")
except ModuleNotFoundError:
    pass
sys.path.insert(0, sys.argv[1])
import torch
mod = __import__(sys.argv[2])
net = mod.build(num_classes=10).eval()
with torch.no_grad():
    y = net(torch.randn(2, mod.STEM[0], 64, 64))
assert tuple(y.shape) == (2, 10), y.shape
assert not [m for m in sys.modules if m.split(".")[0] == "archsearch"]
print(sum(p.numel() for p in mod.build().parameters()))
"""


@pytest.mark.parametrize("space", ["rexnet", "fbnet", "ofa"])
def test_exported_file_imports_without_archsearch(tmp_path: Path, space: str) -> None:
    """In a fresh, isolated interpreter (-I: no PYTHONPATH, no cwd on sys.path) where importing archsearch
    fails, the exported file builds and runs its network."""
    cfg = load_space(space).random(random.Random(3))
    cfg_file = tmp_path / "cfg.json"
    cfg_file.write_text(cfg.to_json())
    assert main(["export", "--config", str(cfg_file), "--format", "py", "--out", str(tmp_path / "out")]) == 0
    (name,) = [p.stem for p in (tmp_path / "out").glob("*.py")]
    r = subprocess.run([sys.executable, "-I", "-c", HIDE_ARCHSEARCH, str(tmp_path / "out"), name],
                       capture_output=True, text=True, cwd=tmp_path, timeout=120)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert int(r.stdout.strip()) == cost(cfg).params


@pytest.mark.slow
def test_exports_from_a_real_search_run(cli, tmp_path: Path, capsys) -> None:
    """The reader against the search engine's own output (a small real run; no finalist training, which
    would take minutes: the finalist paths are covered by the fixture run above)."""
    r = cli("run", "--space", "nasbench-macro", "--budget", "60M", "--hw", "pixel", "--score", "synflow",
            "--trials", "6", "--finalists", "0", "--no-baselines", "--out", str(tmp_path), "--name", "real",
            "--no-progress")  # fmt: skip
    assert r.returncode == 0, r.stderr
    trials = load_run(tmp_path / "real").trials
    front = [t for t in trials if t.pareto]
    assert len(trials) == 6 and len(front) >= 1
    args = ["export", "real", "--runs-dir", str(tmp_path), "--format", "py"]
    assert main([*args, "--best-under-latency", "1e6"]) == 2
    one_line_error(capsys, "no finalists")
    assert main([*args, "--pareto"]) == 0
    assert main([*args, "--trial", str(trials[-1].number), "--force"]) == 0
    exports = tmp_path / "real" / "exports"
    for row in front:
        cfg = ArchConfig.from_json(row.config_json)
        net = load_source((exports / f"trial_{row.number}.py").read_text()).build()
        assert sum(p.numel() for p in net.parameters()) == cost(cfg).params == row.params
