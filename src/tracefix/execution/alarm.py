"""A wall-clock alarm that keeps ringing: how a run that does not end is stopped from inside its process."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

Handler = Callable[[int, FrameType | None], None]


@contextmanager
def repeating_alarm(seconds: float, interrupt: Handler) -> Iterator[None]:
    """Call ``interrupt`` (a ``SIGALRM`` handler, which may raise into the running code) after ``seconds``
    and then every 50 ms until the block ends: a bare ``except:`` may swallow one alarm, and a handler that
    finds a hook running may only ask it to stop. The previous handler is restored after. Main thread only."""
    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.05)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
