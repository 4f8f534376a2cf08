"""Each calibration path on small data: per-block LUT, whole-network CSV, measurements here (a fake
timer standing in for the machine), anchoring; and the additivity check on the LUT-sum columns."""

from __future__ import annotations

import csv
import random

import pytest
from synthetic_device import device_ms, kernels_ms

from archsearch.arch import Block
from archsearch.hardware import calibrate, measure
from archsearch.hardware.calibrate import calibrate_here, fit_csv, fit_lut
from archsearch.hardware.datasets import read_csv, read_lut, row_samples, split_rows
from archsearch.hardware.features import block_part
from archsearch.hardware.measure import ReferenceTimer, Relative, Timing
from archsearch.hardware.metrics import accuracy
from archsearch.hardware.predictors import BlockTable
from archsearch.spaces import ofa_config


def _lut_text() -> str:
    """A ProxylessNAS-style table of the synthetic device: blocks at several widths and sides."""
    lines = []
    for h, cin, cout, s in [
        (112, 16, 24, 2),
        (56, 24, 24, 1),
        (28, 40, 80, 2),
        (14, 80, 96, 1),
        (14, 96, 96, 1),
        (7, 192, 320, 1),
    ]:
        for e in (1, 3, 6):
            for k in (3, 5, 7):
                skip = int(s == 1 and cin == cout)
                b = Block("ir", cin, cout, k=k, stride=s, mid=cin * e, se=0, act="relu6", skip=bool(skip))
                ho = (h - 1) // s + 1
                ms = kernels_ms(block_part(b, h).kernels)
                key = f"expanded_conv-input:{h}x{h}x{cin}-output:{ho}x{ho}x{cout}-expand:{e}-kernel:{k}-stride:{s}-idskip:{skip}"
                lines += [f"{key}:", "  count: 10", f"  mean: {ms}", "  var: 0.01"]
    return "\n".join(lines) + "\n"


def test_lut_path_generalises_to_unseen_blocks(tmp_path):
    path = tmp_path / "lut.yaml"
    path.write_text(_lut_text())
    fit = fit_lut([path])
    assert fit.samples == 54 and fit.validation["lut_cv"]["n"] == 54
    unseen = Block(
        "ir", 48, 64, k=5, stride=1, mid=48 * 4, se=0, act="relu6"
    )  # width, side and expansion the table never had
    part = block_part(unseen, 20)
    from archsearch.hardware.predictors import Sample

    assert fit.predictor.predict_sample(Sample((part,), 0, False)) == pytest.approx(
        kernels_ms(part.kernels), rel=0.02
    )


def _ofa_csv(path, n: int) -> None:
    rng = random.Random(0)
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["arch_id", "split", "resolution", "depths", "kernel_sizes", "expand_ratios", "dev_8_ms"])
        for i in range(n):
            res = rng.choice([160, 192, 224])
            depths = [rng.choice([2, 3, 4]) for _ in range(5)]
            ks, es = [rng.choice([3, 5, 7]) for _ in range(20)], [rng.choice([3, 4, 6]) for _ in range(20)]
            ms = device_ms(ofa_config(res, depths, ks, es))
            w.writerow([i, "calibration" if i < n // 2 else "holdout", res, " ".join(map(str, depths)),
                        " ".join(map(str, ks)), " ".join(map(str, es)), f"{ms:.6f}"])  # fmt: skip


def test_csv_path_fits_calibration_rows_and_scores_holdout(tmp_path):
    path = tmp_path / "ofa.csv"
    _ofa_csv(path, 120)
    fit = fit_csv(path, "dev_8_ms")
    assert fit.samples == 60
    hold = fit.validation["holdout"]
    assert hold["n"] == 60 and hold["within_5"] == 100.0 and hold["mape"] < 0.5


class _FakeReferenceTimer:
    """Every network's ratio to a 2 ms reference is exact (the runner is the config itself)."""

    reference_ms = 2.0

    def relative(self, cfg, warmup=3, repeats=10):
        return Relative(device_ms(cfg) / self.reference_ms, 1.0, repeats)


@pytest.mark.parametrize("reference", [None, "mobilenet_v2-1.0-224"])
def test_local_path_with_a_fake_timer(monkeypatch, reference):
    monkeypatch.setattr(  # the runner is the config itself; timing it reads the synthetic device
        measure, "time_runner", lambda cfg, *a, **k: Timing(device_ms(cfg), 1.0, 3, device_ms(cfg))
    )
    monkeypatch.setattr(calibrate, "reference_timer", lambda *a: _FakeReferenceTimer())
    monkeypatch.setattr(calibrate, "runner", lambda cfg, *a: cfg)
    profile, sets, pred = calibrate_here(
        "test-cpu", n_cal=40, n_val=8, repeats=3, log=lambda _: None, reference=reference
    )
    val = profile.validation["unseen_random"]
    assert val["n"] == 8 and val["within_5"] == 100.0
    assert sets["validation"][0].ms == pytest.approx(device_ms(sets["validation"][0].config))
    assert profile.provenance.get("reference") == reference
    assert profile.provenance["source"] == "local" and profile.batch == 1
    assert not {m.config.id for m in sets["validation"]} & {m.config.id for m in sets["calibration"]}


@pytest.mark.parametrize("column", ["pixel3_ms", "raspi4_ms", "fpga_ms", "eyeriss_ms"])
def test_lut_sum_columns_are_additive(shared_data, column):
    """These columns are sums of a per-layer table: an additive per-block model reproduces them."""
    _, rows = read_csv(shared_data / "latency/fbnet_space_cifar100_latency.csv", column)
    table = BlockTable().fit(row_samples(split_rows(rows, "calibration")))
    hold = split_rows(rows, "holdout")
    pred = table.predict_many([r.config for r in hold])
    within_2 = sum(abs(p - r.ms) <= 0.02 * r.ms for p, r in zip(pred, hold, strict=True)) / len(hold)
    assert within_2 >= 0.99, accuracy(pred, [r.ms for r in hold])


def test_shared_luts_parse(shared_data):
    assert len(read_lut(shared_data / "latency/pixel1_proxylessnas_block_lut.yaml")) == 72
    assert len(read_lut(shared_data / "latency/note10_ofa_block_lut/224_lookup_table.yaml")) == 96


def test_reference_timer_cancels_a_slow_spell():
    """A host slow spell that slows the reference and the workload alike leaves the ratio as it was, and
    the reference's fastest run (its quiet time) scales every ratio back to milliseconds."""
    now, speed = [0.0], [1.0]

    def work(ms):
        return lambda: now.__setitem__(0, now[0] + ms * speed[0] / 1e3)

    timer = ReferenceTimer(work(2.0), clock=lambda: now[0], warmup=1)
    quiet = timer.relative(work(6.0), warmup=1, repeats=4)
    speed[0] = 4.0  # a slow spell: everything takes 4x as long
    slow = timer.relative(work(6.0), warmup=1, repeats=4)
    assert quiet.ratio == pytest.approx(3.0) and slow.ratio == pytest.approx(3.0)
    assert slow.spread_pct == pytest.approx(0.0, abs=1e-9)
    assert slow.ratio * timer.reference_ms == pytest.approx(6.0)
