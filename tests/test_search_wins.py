"""The search stays where its estimator is valid, starts at the baselines and states its finalists
against them."""

from __future__ import annotations

import csv

import pytest

from archsearch.baselines import comparison_baselines, get_baseline
from archsearch.search.compare import WIN_MARGIN, compare, verdict
from archsearch.search.engine import execute, start
from archsearch.search.options import RunOptions
from archsearch.search.seeding import baseline_params
from archsearch.spaces import load_space


def rows(path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("space, family", [("mbv2", "mobilenet_v2"), ("rexnet", "rexnet")])
def test_seeds_decode_to_the_very_baselines(space, family):
    sp = load_space(space)
    seeds = baseline_params(sp)
    names = {n for n, _ in seeds}
    assert names and all(n.startswith(family) for n in names)
    for name, params in seeds:
        assert sp.decode(params).id == get_baseline(name).config.id
    # what the space cannot express is skipped, not an error
    assert not baseline_params(load_space("nasbench-macro"))
    assert len(names) < len(comparison_baselines())


def test_compare_picks_the_best_no_slower_baseline():
    base = [
        {"name": "a", "score": 70.0, "latency_ms": 10.0, "published_top1": 69.0},
        {"name": "b", "score": 72.0, "latency_ms": 20.0, "published_top1": ""},
        {"name": "c", "score": 75.0, "latency_ms": 40.0},
    ]
    fin = [
        {"name": "trial 1", "score": 73.5, "latency_ms": 25.0, "extrapolates": False},
        {"name": "trial 2", "score": 70.5, "latency_ms": 12.0, "extrapolates": "true"},
        {"name": "trial 3", "score": 60.0, "latency_ms": 5.0},
    ]
    c1, c2, c3 = compare(fin, base)
    assert (c1.baseline, round(c1.margin, 2), c1.wins) == ("b", 1.5, True)
    assert (c2.baseline, c2.extrapolates, c2.wins) == ("a", True, False)
    assert c3.baseline is None and c3.wins and "no baseline is this fast" in c3.line()
    assert c1.line() == "trial 1: 73.5% at 25.0 ms | b: 72.0% at 20.0 ms | +1.5 pts"
    assert "(published 69.0%)" in c2.line()
    # an extrapolating finalist never counts as a win
    assert verdict([c1, c2]).startswith(
        f"1 of 2 finalists beat every no-slower baseline by >= {WIN_MARGIN:.1f} pt"
    )


def test_extrapolating_candidates_are_infeasible_unless_allowed(tmp_path):
    common = dict(space="mbv2", budget="300M", hw="pixel", trials=12, finalists=0, baselines=False,
                  seed_baselines=False, out=str(tmp_path))  # fmt: skip
    strict = rows(execute(start(RunOptions(**common, name="strict"), argv=[]), progress=False).run.trials_csv)
    loose = rows(execute(start(RunOptions(**common, name="loose", allow_extrapolation=True), argv=[]),
                         progress=False).run.trials_csv)  # fmt: skip
    out = [t for t in strict if t["extrapolates"] == "true"]
    assert out and all(t["feasible"] == "false" and t["extrapolation"] for t in out)
    assert any(t["extrapolates"] == "true" and t["feasible"] == "true" for t in loose)


def test_seeded_search_begins_with_the_baselines(tmp_path):
    opts = RunOptions(space="mbv2", budget="300M", hw="pixel", trials=5, finalists=0, baselines=False,
                      out=str(tmp_path), name="seeded")  # fmt: skip
    search = start(opts, argv=[])
    first = [p for _, p in search.seeding][:5]
    trials = rows(execute(search, progress=False).run.trials_csv)
    space = load_space("mbv2")
    import json

    assert [space.decode(json.loads(t["params_json"])).id for t in trials] == [
        space.decode(p).id for p in first
    ]


def test_cifar10_score_on_nasbench_macro(tmp_path):
    opts = RunOptions(space="nasbench-macro", budget="60M", hw="pixel", score="cifar10", trials=10, finalists=2,
                      objectives="score,macs", baselines=False, out=str(tmp_path), name="nbm")  # fmt: skip
    result = execute(start(opts, argv=[]), progress=False)
    scored = [t for t in rows(result.run.trials_csv) if t["score"]]
    assert scored and all(80 < float(t["score"]) < 100 for t in scored)
    assert not result.trained and result.finalists


def test_one_seed_gives_the_same_finalists(tmp_path):
    def finalists(name: str) -> list[tuple[str, str, str]]:
        opts = RunOptions(
            space="mbv2", budget="300M", hw="pixel", trials=40, finalists=3, out=str(tmp_path), name=name
        )
        result = execute(start(opts, argv=[]), progress=False)
        return [
            (t["config_id"], t["baseline"], t["margin"])
            for t in rows(result.run.trials_csv)
            if t["finalist"] == "true"
        ]

    first = finalists("a")
    assert first and first == finalists("b")
