"""A Ctrl-C swallowed where Python cannot raise it (a weakref callback, a finalizer) still stops the run."""

import contextlib
import os
import signal
import weakref

import pytest

from archsearch.search.interrupt import checkpoint, interruptible


def test_a_swallowed_interrupt_is_raised_at_the_next_checkpoint():
    with interruptible():
        checkpoint()  # nothing pending
        with contextlib.suppress(KeyboardInterrupt):  # = "Exception ignored in <weakref callback>"
            os.kill(os.getpid(), signal.SIGINT)
        with pytest.raises(KeyboardInterrupt):
            checkpoint()


def test_the_previous_handler_comes_back_and_a_new_block_starts_clean():
    before = signal.getsignal(signal.SIGINT)
    with interruptible(), pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is before
    with interruptible():
        checkpoint()


def test_an_interrupt_raised_in_a_weakref_callback_prints_no_traceback(capsys):
    class Node:
        pass

    def callback(_ref: weakref.ref) -> None:
        raise KeyboardInterrupt

    with interruptible():
        node = Node()
        ref = weakref.ref(node, callback)
        del node  # the callback's KeyboardInterrupt goes to sys.unraisablehook
        assert ref() is None
    assert "Traceback" not in capsys.readouterr().err
