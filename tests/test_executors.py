"""One conformance suite that every executor passes (local in-process, Ray on a real local cluster)."""

from __future__ import annotations

import math
import sys

import pytest

from archsearch.runs import RunError
from archsearch.search.executors import EXECUTORS, Executor, make_executor


def square(x: int) -> int:
    return x * x


def sometimes_fails(x: int) -> float:
    if x == 2:
        raise ValueError("bad config 2")
    if x == 3:
        return math.nan
    if x == 4:
        raise MemoryError
    if x == 5:
        raise RuntimeError("CUDA out of memory. Tried to allocate 2 GiB")
    return float(x)


@pytest.fixture(scope="module", params=sorted(EXECUTORS))
def executor(request) -> Executor:
    if request.param == "ray":
        import ray.cloudpickle

        ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import tests/
    ex = make_executor(request.param, workers=2)
    yield ex
    ex.close()


def test_one_outcome_per_item_in_order(executor):
    out = executor.map(square, list(range(7)))
    assert [o.value for o in out] == [x * x for x in range(7)] and all(o.ok for o in out)


def test_empty_batch(executor):
    assert executor.map(square, []) == []


def test_failures_are_recorded_with_reasons_and_do_not_stop_the_batch(executor):
    out = executor.map(sometimes_fails, [1, 2, 3, 4, 5, 6])
    assert [o.ok for o in out] == [True, False, False, False, False, True]
    assert "ValueError: bad config 2" in out[1].error
    assert "non-finite" in out[2].error
    assert out[3].error.startswith("out of memory") and out[4].error.startswith("out of memory")
    assert out[5].value == 6.0


def test_unknown_executor():
    with pytest.raises(RunError, match="available: local, ray"):
        make_executor("dask")
