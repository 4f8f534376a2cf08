"""The `anb` space and the Accel-NASBench loader: every published parameter count reproduced, the space
decodes EfficientNet-B0, Optuna parameters round-trip, corrupt files fail at their line."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from archsearch.accuracy.anb import AnbDataError, load_anb
from archsearch.cost import cost
from archsearch.spaces import AnbSpace, SpaceError, anb_config, load_space, parse_space

ANB_CSV = "accel-nasbench/accel_nasbench_imagenet.csv"
B0 = dict(
    expand=(1, 6, 6, 6, 6, 6, 6), kernel=(3, 3, 5, 3, 5, 5, 3), layers=(1, 2, 2, 3, 3, 4, 1), se=(1,) * 7
)


def test_params_equal_published_on_every_row(shared_data: Path) -> None:
    """`params_m` is printed to 6 decimals, i.e. exact parameters: all 4110 rows match exactly. The
    authors' `macs_m` counts more than conv + linear multiply-adds: 3.8-16.7% above ours."""
    rows = load_anb(shared_data / ANB_CSV)
    assert len(rows) == 4110
    for r in rows:
        c = cost(r.config())
        assert round(c.params / 1e6, 6) == r.params_m, r.arch_id
        assert 1.03 < r.macs_m / (c.macs / 1e6) < 1.17, r.arch_id


def test_splits_and_fields(shared_data: Path) -> None:
    assert len(load_anb(split="calibration")) == 3288 and len(load_anb(split="holdout")) == 822
    r = load_anb()[0]
    assert r.config().name == f"anb-{r.arch_id}" and 40 < r.val_top1 < 70
    assert {"val_top5", "a100_throughput", "vck190_latency_ms"} <= set(r.measured)
    assert any("tpuv3_throughput" not in x.measured for x in load_anb())  # unmeasured: absent, not NaN
    with pytest.raises(ValueError, match="unknown Accel-NASBench split 'test'"):
        load_anb(split="test")


def test_space_decodes_efficientnet_b0() -> None:
    space = load_space("anb")
    cfg = space.decode(AnbSpace.params_of(**B0))
    assert cfg == anb_config(**B0)
    assert cost(cfg).params == 5_288_548 and round(cost(cfg).params / 1e6, 2) == 5.29
    assert len(cfg.blocks) == 16 and cfg.stem.act == cfg.blocks[0].act == "silu"
    assert space.size == 3**7 * 2**7 * 3**6 * 4 * 2**7


def test_params_of_round_trips() -> None:
    space, rng = load_space("anb"), random.Random(0)
    for _ in range(50):
        params = space.random_params(rng)
        cfg = space.decode(params)
        values = [[params[f"{p}{i}"] for i in range(7)] for p in ("e", "k", "l", "se")]
        assert AnbSpace.params_of(*values) == params
        assert cfg == anb_config(*values)


def test_torch_build_has_the_analytic_param_count() -> None:
    from archsearch.models import build_model

    cfg = anb_config(**B0)
    assert sum(p.numel() for p in build_model(cfg).parameters()) == cost(cfg).params


def test_anb_config_rejects_bad_values() -> None:
    with pytest.raises(SpaceError, match="needs 7 values"):
        anb_config((1,) * 6, (3,) * 7, (1,) * 7, (0,) * 7)
    with pytest.raises(SpaceError, match="expand and layers must be >= 1"):
        anb_config((0,) * 7, (3,) * 7, (1,) * 7, (0,) * 7)


GOOD = (
    "0,calibration,6 4 6 6 6 1 1,3 5 3 5 5 3 3,1 2 3 3 2 2 2,0 0 0 0 0 0 0,59.368,415.361072,2.50116,7034.9"
)
HEADER = "arch_id,split,expand,kernel,layers,se,val_top1,macs_m,params_m,a100_throughput"


@pytest.mark.parametrize(
    "bad, expect",
    [
        (GOOD + ",1", "11 values for 10 columns"),
        (GOOD.replace("59.368", "high"), "val_top1 'high' is not a number"),
        (GOOD.replace("7034.9", "nan"), "a100_throughput 'nan' is not a finite number"),
        (GOOD.replace("6 4 6 6 6 1 1", "6 4 6 6 6 1"), "expand '6 4 6 6 6 1' is not 7 space-separated"),
        (GOOD.replace("1 2 3 3 2 2 2", "1 2 3 3 2 2 x"), "is not 7 space-separated integers"),
        (GOOD.replace("6 4 6 6 6 1 1", "6 4 6 6 3 1 1"), "expand[4] = 3 is outside the anb space"),
        (GOOD.replace("1 2 3 3 2 2 2", "1 2 3 3 2 4 4"), "layers[6] = 4 is outside the anb space"),
        (GOOD.replace("calibration", "test"), "split 'test' is not one of"),
        (GOOD.replace("59.368", ""), "val_top1 '' is not a number"),
    ],
)
def test_corrupt_rows_name_file_and_line(tmp_path: Path, bad: str, expect: str) -> None:
    f = tmp_path / "anb.csv"
    f.write_text("\n".join([HEADER, GOOD, GOOD.replace("0,", "1,", 1), bad.replace("0,", "2,", 1)]) + "\n")
    with pytest.raises(AnbDataError) as e:
        load_anb(f)
    msg = str(e.value)
    assert msg.startswith(f"{f}: line 4: ") and expect in msg and "\n" not in msg, msg


def test_missing_column_and_duplicate_id(tmp_path: Path) -> None:
    f = tmp_path / "anb.csv"
    f.write_text(HEADER.replace(",params_m", "") + "\n")
    with pytest.raises(AnbDataError, match="line 1: missing required column"):
        load_anb(f)
    f.write_text(f"{HEADER}\n{GOOD}\n\n{GOOD}\n")
    with pytest.raises(AnbDataError, match="line 4: duplicate arch_id '0'"):
        load_anb(f)


def test_bad_space_file() -> None:
    yaml = Path(load_space("anb").path).read_text()
    with pytest.raises(SpaceError, match=r"expand: expected a list of 7 stages"):
        parse_space(yaml.replace("expand: [[1, 4, 6], ", "expand: ["))
    with pytest.raises(SpaceError, match=r"kernel\[0\]: invalid choice 4; allowed: 3, 5, 7"):
        parse_space(yaml.replace("kernel: [[3, 5],", "kernel: [[3, 4],"))
    with pytest.raises(SpaceError, match="act: invalid value"):
        parse_space(yaml.replace("act: silu", "act: [silu, relu]"))


def test_cli_shows_the_space(cli) -> None:
    r = cli("spaces", "show", "anb")
    assert r.returncode == 0, r.stderr
    assert "anb (anb)" in r.stdout and "se6" in r.stdout and "l5" in r.stdout
