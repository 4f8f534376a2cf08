"""Budget parsing, Pareto fronts and hypervolume, sampler seeding."""

import pytest

from archsearch.pareto import hypervolume_2d, pareto_mask, spread_pick
from archsearch.search.budget import BudgetError, parse_budget
from archsearch.search.options import RunOptions
from archsearch.search.samplers import SAMPLERS, make_sampler, trial_seed
from archsearch.spaces import load_space


@pytest.mark.parametrize("text", ["300MFLOPs", "300M", "0.3GFLOPs", "3e8", "300mflops", "300MMACs"])
def test_budget_forms(text):
    assert parse_budget(text) == 300_000_000


@pytest.mark.parametrize("text", ["300MFLOP", "-1", "abc", "0", "3e8M", "", "300 MFLOPs x"])
def test_budget_rejects(text):
    with pytest.raises(BudgetError, match="accepted: 300MFLOPs, 300M, 0.3GFLOPs, 3e8"):
        parse_budget(text)


def test_pareto_mask_mixed_directions():
    pts = [[0.9, 10], [0.8, 5], [0.7, 20], [0.9, 12], [0.95, 30]]
    assert pareto_mask(pts, ["maximize", "minimize"]).tolist() == [True, True, False, False, True]


def test_hypervolume_2d_rectangles():
    # one point: a rectangle; two points: the union of two rectangles
    assert hypervolume_2d([[2, 1]], ["maximize", "minimize"], [0, 3]) == 4.0
    assert hypervolume_2d([[2, 1], [3, 2]], ["maximize", "minimize"], [0, 3]) == 4.0 + 1.0 * 1.0
    assert hypervolume_2d([[-1, 1]], ["maximize", "minimize"], [0, 3]) == 0.0


def test_spread_pick_keeps_ends():
    assert spread_pick([5, 1, 3, 4, 2], 3) == [1, 2, 0]
    assert sorted(spread_pick([1, 2], 5)) == [0, 1]


def _draws(make, space, n: int = 40) -> list[dict]:
    """Params of n trials on `space`, one fresh sampler per trial (as the engine does); every 7th fails."""
    import optuna

    study = optuna.create_study(directions=["maximize", "minimize"])
    out = []
    for k in range(n):
        study.sampler = make(k)
        t = study.ask()
        space.sample(t)
        if k % 7 == 3:
            study.tell(t, state=optuna.trial.TrialState.FAIL)
        else:
            study.tell(t, [sum(map(hash, map(str, t.params.values()))) % 97, len(str(t.params)) % 13])
        out.append(t.params)
    return out


def test_samplers_are_seeded_per_trial():
    space = load_space("nasbench-macro")
    for name in SAMPLERS:
        assert _draws(lambda k, n=name: make_sampler(n, trial_seed(7, k), 10, space), space) == _draws(
            lambda k, n=name: make_sampler(n, trial_seed(7, k), 10, space), space
        )
    assert trial_seed(0, 1) != trial_seed(1, 0)


def test_known_space_samplers_draw_what_optunas_own_draw():
    """Telling TPE / NSGA-II the space up front changes their cost, not a single draw."""
    import optuna

    space = load_space("mbv2")
    plain = {
        "tpe": lambda k: optuna.samplers.TPESampler(seed=trial_seed(3, k), multivariate=True),
        "nsga2": lambda k: optuna.samplers.NSGAIISampler(population_size=10, seed=trial_seed(3, k)),
    }
    for name, make_plain in plain.items():
        ours = _draws(lambda k, n=name: make_sampler(n, trial_seed(3, k), 10, space), space)
        assert ours == _draws(make_plain, space)


def test_recorded_options_keep_what_old_runs_did():
    """A run.json from before --train-width resumes with full-width finalist training, as it started;
    a new run defaults to the quarter-width stand-in."""
    assert RunOptions().train_width == 0.25
    assert RunOptions.recorded({"space": "mbv2"}).train_width == 1.0
    assert RunOptions.recorded({"space": "mbv2", "train_width": 0.5}).train_width == 0.5
