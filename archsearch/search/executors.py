"""Executors run a batch of evaluations and return one `Outcome` per item, in order.

A failing item (exception, NaN, out of memory, a crashed worker) becomes a failed outcome with its
reason; it never stops the batch. `local` runs in this process; `ray` dispatches the batch to a Ray
cluster as plain Ray tasks, one task per chunk of items, so the per-task overhead is paid once per chunk
rather than once per trial (Optuna drives the search, so Ray Tune's own trial loop is not needed)."""

from __future__ import annotations

import math
import traceback
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from archsearch.registry import Registry
from archsearch.runs import RunError


@dataclass(frozen=True)
class Outcome:
    ok: bool
    value: Any = None
    error: str = ""


def run_safely(fn: Callable[[Any], Any], item: Any) -> Outcome:
    """Call fn(item); turn any failure into a one-line reason (OOM says so)."""
    try:
        value = fn(item)
    except MemoryError:
        return Outcome(False, error="out of memory (MemoryError)")
    except Exception as e:  # any failure of one trial is recorded, not raised
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        if "out of memory" in msg.lower():
            return Outcome(False, error=f"out of memory: {msg}")
        frame = traceback.extract_tb(e.__traceback__)[-1]
        return Outcome(
            False, error=f"{type(e).__name__}: {msg} ({frame.filename.rsplit('/', 1)[-1]}:{frame.lineno})"
        )
    if isinstance(value, float) and not math.isfinite(value):
        return Outcome(False, error=f"non-finite result {value}")
    return Outcome(True, value)


def _run_chunk(fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Outcome]:
    return [run_safely(fn, it) for it in items]


class Executor(ABC):
    """Runs `fn` over items; `workers` is how many items may run at once."""

    name = ""

    def __init__(self, workers: int = 1, address: str | None = None):
        self.workers = max(1, workers)
        self.address = address

    @abstractmethod
    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Outcome]:
        """One outcome per item, in the items' order."""

    def close(self) -> None:  # noqa: B027 - optional hook: most executors hold nothing
        """Release resources (idempotent)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalExecutor(Executor):
    """In-process, one item after another (zero overhead; `workers` > 1 is accepted and ignored)."""

    name = "local"

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Outcome]:
        return _run_chunk(fn, items)


class RayExecutor(Executor):
    """Plain Ray tasks on a local cluster (started here) or an existing one (`address`)."""

    name = "ray"

    def __init__(self, workers: int = 2, address: str | None = None):
        super().__init__(workers, address)
        import ray

        self._ray = ray
        self._started = not ray.is_initialized()
        if self._started:
            kwargs: dict[str, Any] = {
                "include_dashboard": False,
                "log_to_driver": False,
                "configure_logging": False,
            }
            if address:
                ray.init(address=address, **kwargs)
            else:
                ray.init(num_cpus=self.workers, **kwargs)
        self._remote = ray.remote(num_cpus=1, max_retries=0)(_run_chunk)

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Outcome]:
        if not items:
            return []
        n = min(self.workers, len(items))
        chunks = [list(range(i, len(items), n)) for i in range(n)]  # round robin keeps chunks balanced
        fn_ref = self._ray.put(fn)
        refs = [self._remote.remote(fn_ref, [items[i] for i in idx]) for idx in chunks]
        out: list[Outcome | None] = [None] * len(items)
        for idx, ref in zip(chunks, refs, strict=True):
            try:
                results = self._ray.get(ref)
            except Exception as e:  # a crashed worker fails its chunk, not the search
                reason = f"worker failed: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
                results = [Outcome(False, error=reason)] * len(idx)
            for i, r in zip(idx, results, strict=True):
                out[i] = r
        return out  # type: ignore[return-value]

    def close(self) -> None:
        if self._started and self._ray.is_initialized():
            self._ray.shutdown()
            self._started = False


EXECUTORS: Registry[type[Executor]] = Registry("executor", RunError)
for _cls in (LocalExecutor, RayExecutor):
    EXECUTORS.add(_cls.name, _cls)


def make_executor(name: str, workers: int = 1, address: str | None = None) -> Executor:
    return EXECUTORS.get(name)(workers, address)
