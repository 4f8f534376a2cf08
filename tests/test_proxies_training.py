"""Short proxy training learns the synthetic set well above chance, within its budget."""

from __future__ import annotations

import pytest

from archsearch.proxies import ProxyError, load_dataset, train_budgets, train_config
from archsearch.proxies.training import wsd_rate
from tests.proxies_helpers import tiny_config


def test_short_training_learns_the_synthetic_set() -> None:
    data = load_dataset("synthetic")
    r = train_config(
        tiny_config(num_classes=1000), data, steps=80, batch=32, progress=False, evals=2, threads=1
    )
    chance = 100 / data.num_classes
    assert r.steps == 80 and [s for s, _, _ in r.curve] == [40, 80]
    assert r.top1 == r.curve[-1][2] and r.top1 > 2.5 * chance
    again = train_config(tiny_config(), data, steps=80, batch=32, progress=False, evals=2, threads=1)
    assert again.top1 == r.top1  # reproducible under the seed


def test_seconds_budget_is_respected() -> None:
    r = train_config(tiny_config(), None, seconds=1.5, batch=16, progress=False, evals=3, threads=1)
    assert len(r.curve) == 3 and 1.5 <= r.seconds < 3.0 and r.steps > 1


@pytest.mark.parametrize("kwargs", [{}, {"steps": 5, "seconds": 1.0}, {"steps": 0}, {"seconds": -1.0}])
def test_bad_budgets(kwargs: dict) -> None:
    with pytest.raises(ProxyError):
        train_config(tiny_config(), None, progress=False, **kwargs)


def test_budgets_share_a_trunk_and_equal_separate_runs() -> None:
    """train_budgets forks each budget's decay off one constant-rate trunk: every result is the run that
    train_config would do alone for that budget (same accuracy, same weights' outcome), and the learning
    rate schedule is warmup-stable-decay."""
    data = load_dataset("synthetic")
    shared = train_budgets(tiny_config(), data, [30, 12, 20], batch=16, threads=1)
    assert [r.steps for r in shared] == [12, 20, 30]
    for r in shared:
        alone = train_config(tiny_config(), data, steps=r.steps, batch=16, progress=False, evals=1, threads=1)
        assert alone.top1 == r.top1 and r.cpu_seconds > 0


def test_a_narrow_stand_in_trains_faster_and_keeps_no_weights() -> None:
    """width < 1 trains `cfg.with_width(width)`: more steps in the same seconds, weights that are not the
    network's (so none are returned); a width outside (0, 1] is a one-line error."""
    data = load_dataset("synthetic")
    cfg = tiny_config().with_width(4)  # 32-channel stem: a quarter of it is tiny_config again
    full = train_config(cfg, data, seconds=1.0, batch=16, progress=False, evals=1, threads=1)
    narrow = train_config(cfg, data, seconds=1.0, batch=16, progress=False, evals=1, threads=1, width=0.25)
    assert full.state_dict is not None and narrow.state_dict is None
    assert narrow.steps > full.steps
    for width in (0, 1.5):
        with pytest.raises(ProxyError, match="width"):
            train_config(cfg, data, steps=2, progress=False, width=width)


def test_wsd_rate() -> None:
    assert [wsd_rate(1.0, s, 10) for s in (0, 7, 8, 9, 10)] == pytest.approx([1, 1, 1, 0.5, 0])
