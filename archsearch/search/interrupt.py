"""Ctrl-C that cannot be lost.

Python raises KeyboardInterrupt wherever the main thread happens to be; when that is a weakref callback
or a finalizer (torch and Optuna create many), the interpreter prints "Exception ignored" and the search
runs on to the end. The handler here also records the request, and the engine checks it between
trials and stages, so an interrupt swallowed anywhere still stops the run at the next checkpoint; the
"Exception ignored" traceback of a swallowed interrupt is silenced, since it is not lost."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

_requested = threading.Event()


def _handler(signum: int, frame: FrameType | None) -> None:
    _requested.set()
    raise KeyboardInterrupt


@contextmanager
def interruptible() -> Iterator[None]:
    """Within the block, SIGINT is recorded as well as raised (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _requested.clear()
    previous, previous_hook = signal.signal(signal.SIGINT, _handler), sys.unraisablehook

    def quiet_hook(unraisable: sys.UnraisableHookArgs) -> None:
        if not isinstance(unraisable.exc_value, KeyboardInterrupt):  # other ignored errors still print
            previous_hook(unraisable)

    sys.unraisablehook = quiet_hook
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        sys.unraisablehook = previous_hook


def checkpoint() -> None:
    """Raise KeyboardInterrupt if a Ctrl-C arrived and was swallowed since the block began."""
    if _requested.is_set():
        raise KeyboardInterrupt
