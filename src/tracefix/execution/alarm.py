"""A wall-clock alarm that keeps ringing: how a run that does not end is stopped from inside its process."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

Handler = Callable[[int, FrameType | None], None]


@contextmanager
def repeating_alarm(seconds: float, interrupt: Handler) -> Iterator[None]:
    """Call ``interrupt`` (a ``SIGALRM`` handler, which may raise into the running code) after ``seconds``
    and then every 50 ms until the block ends: a bare ``except:`` may swallow one alarm, and a handler that
    finds a hook running may only ask it to stop. The previous handler is restored after. Main thread only.

    Someone else's wall timer (pytest-timeout, a harness) is suspended meanwhile and re-armed afterwards with
    what it had left; when it was due sooner, the alarm rings then, and the other timer fires right after."""
    previous = signal.signal(signal.SIGALRM, interrupt)
    other_delay, other_interval = signal.getitimer(signal.ITIMER_REAL)
    delay = min(seconds, other_delay) if other_delay > 0 else seconds
    started = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, delay, 0.05)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if other_delay > 0:
            left = other_delay - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), other_interval)
