"""A wall timer someone else armed (pytest-timeout, a harness), which a run stopped by its own time limit must
leave running: suspended while the run has its alarm, re-armed afterwards with its handler."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


@contextmanager
def outer_timer_kept() -> Iterator[None]:
    """Arm a 300 s outer timer around the block; after it, the timer must still run with its own handler."""

    def outer_handler(signum: int, frame: FrameType | None) -> None:
        raise AssertionError("the outer timer fired during the run")

    previous = signal.signal(signal.SIGALRM, outer_handler)
    saved = signal.setitimer(signal.ITIMER_REAL, 300.0)
    try:
        yield
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 290.0 < left <= 300.0
        assert signal.getsignal(signal.SIGALRM) is outer_handler
    finally:
        signal.setitimer(signal.ITIMER_REAL, *saved)
        signal.signal(signal.SIGALRM, previous)
