"""Spaces: YAML validation with clear errors, sample/random/decode API, models build and run."""

import random

import optuna
import pytest
import torch

from archsearch.arch import ArchConfig
from archsearch.models import build_model
from archsearch.spaces import list_spaces, load_space, nasbench_macro_config

EXPECTED = {"mbv2", "mbv1", "rexnet", "nasbench-macro", "ofa", "fbnet", "anb"}


def test_all_spaces_load():
    assert set(list_spaces()) >= EXPECTED
    assert load_space("nasbench-macro").size == 6561


@pytest.mark.parametrize("space", sorted(EXPECTED))
def test_sample_with_optuna_decodes_to_same_config(space):
    s = load_space(space)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(5):
        trial = study.ask()
        cfg = s.sample(trial)
        assert s.decode(trial.params) == cfg
        study.tell(trial, 0.0)


@pytest.mark.parametrize("space", sorted(EXPECTED))
def test_random_configs_build_and_run(space):
    """25 random configs per space build and run a forward pass at low resolution (the fvcore agreement
    test in test_cost.py builds and traces 50 more per space)."""
    torch.set_num_threads(2)
    s, rng = load_space(space), random.Random(7)
    with torch.no_grad():
        for _ in range(25):
            cfg = s.random(rng).with_(resolution=32, num_classes=10)
            model = build_model(cfg).eval()
            out = model(torch.randn(1, 3, 32, 32))
            assert out.shape == (1, 10) and torch.isfinite(out).all()
            assert sum(p.numel() for p in model.parameters()) > 0


def test_nasbench_macro_keys_decode():
    s = load_space("nasbench-macro")
    cfg = s.decode({f"l{i}": c for i, c in enumerate("12121212")})
    assert cfg == nasbench_macro_config("12121212") and cfg.depth == 8
    assert nasbench_macro_config("00000000").depth == 3  # the three stage-opening projections


def test_mbv2_space_centre_is_mobilenet_v2():
    """Picking the MobileNetV2 value of every stage reproduces the baseline exactly."""
    from archsearch.baselines import MBV2_ROWS, get_baseline

    s = load_space("mbv2")
    centre = {"resolution": 224, "alpha": 1.0}
    for i, (t, c, n, st) in enumerate(MBV2_ROWS):
        centre |= {
            f"s{i}.t": t,
            f"s{i}.c": c,
            f"s{i}.n": n,
            f"s{i}.s": st,
            f"s{i}.k": 3,
            f"s{i}.se": False,
            f"s{i}.act": "relu6",
        }
    assert s.decode(centre).blocks == get_baseline("mobilenet_v2-1.0-224").config.blocks


def test_smallest_is_below_random_samples():
    from archsearch.cost import cost, macs_of

    for name in ("mbv2", "rexnet"):
        s, rng = load_space(name), random.Random(0)
        lo = s.smallest(macs_of)[1]
        assert all(cost(s.random(rng)).macs >= lo for _ in range(300))


def test_decode_rejects_values_outside_the_space():
    from archsearch.spaces import SpaceError

    s = load_space("mbv2")
    params = s.random_params(random.Random(0)) | {"alpha": 0.3}
    with pytest.raises(SpaceError, match="alpha=0.3 is not a choice"):
        s.decode(params)


def test_json_config_types():
    """A config survives JSON exactly, for every space: equal value, equal id."""
    for name in list_spaces():
        cfg = load_space(name).random(random.Random(2))
        back = ArchConfig.from_json(cfg.to_json(indent=2))
        assert back == cfg and back.id == cfg.id, name


# --- bad input through the CLI: one line, exit 2, file + key + allowed values, no traceback

BASE = """name: bad
family: stages
block: ir
resolution: [160, 224]
width_mult: [1.0]
stages:
  - {t: 1, c: 16, n: 1, s: 1}
"""


@pytest.mark.parametrize(
    "text, expect",
    [
        ("name: [unclosed\n", "malformed YAML"),
        (BASE + "bogus: 1\n", "bogus: unknown key; allowed:"),
        (BASE.replace("{t: 1,", "{t: 0,"), "stages[0].t: invalid choice 0; allowed: integers >= 1"),
        (BASE.replace("s: 1}", "s: 3}"), "stages[0].s: invalid choice 3; allowed: 1, 2"),
        (BASE.replace("c: 16", "c: 0"), "stages[0].c: invalid choice 0; allowed: integers >= 1"),
        (BASE.replace("[160, 224]", "[16, 224]"), "resolution: invalid choice 16; allowed: integers >= 32"),
        (BASE.replace("family: stages", "family: nope"), "family: invalid choice 'nope'"),
        (
            BASE.replace("  - {t: 1, c: 16, n: 1, s: 1}", "  - {t: 1, c: 16, n: 1, s: 1, q: 2}"),
            "stages[0].q: unknown key",
        ),
    ],
)
def test_bad_space_files(tmp_path, cli, text, expect):
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    r = cli("spaces", "show", str(f))
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert str(f) in r.stderr and expect in r.stderr, r.stderr


@pytest.mark.parametrize(
    "args, expect",
    [
        (["spaces", "show", "nope"], "unknown space 'nope'; available: anb, fbnet, mbv1, mbv2"),
        (["baselines", "--family", "vgg"], "invalid choice"),
    ],
)
def test_unknown_names(cli, args, expect):
    r = cli(*args)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and expect in r.stderr, r.stderr
