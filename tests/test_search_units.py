"""Budget parsing, Pareto fronts and hypervolume, sampler seeding."""

import pytest

from archsearch.pareto import hypervolume_2d, pareto_mask, spread_pick
from archsearch.search.budget import BudgetError, parse_budget
from archsearch.search.engine import make_sampler, trial_seed


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


def test_samplers_are_seeded_per_trial():
    import optuna

    def draw(name):
        study = optuna.create_study(directions=["maximize", "minimize"])
        out = []
        for k in range(12):
            study.sampler = make_sampler(name, trial_seed(7, k), False, 10)
            t = study.ask()
            x = t.suggest_categorical("x", list(range(50)))
            study.tell(t, [x, -x])
            out.append(x)
        return out

    for name in ("nsga2", "tpe", "random"):
        assert draw(name) == draw(name)
    assert trial_seed(0, 1) != trial_seed(1, 0)
