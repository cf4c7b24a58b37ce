"""How ``tracefix bench`` reports progress, on stderr (so ``--json`` output stays clean): a rich progress bar
with ETA on a terminal, one line per finished item elsewhere (a log file, ``nohup``, a cluster job, CI), where
a live bar prints nothing."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from tracefix.bench.harness import Finished


def item_line(item: Finished) -> str:
    """``HumanEval/3 ldb: fixed, repaired, 2 calls, 48 s``."""
    if item.status == "not_debuggable":
        return f"{item.task_id} {item.strategy}: not debuggable (its seed passes every visible test)"
    said = [item.outcome or item.status] + (["repaired"] if item.repaired else [])
    if item.status == "error":
        said = ["error (retried on --resume)"]
    return f"{item.task_id} {item.strategy}: {', '.join(said)}, {item.calls} calls, {item.seconds:.0f} s"


class RichProgress:
    """Implements :class:`tracefix.bench.harness.Progress` with one bar per phase."""

    def __init__(self, *, enabled: bool = True) -> None:
        self._console = Console(stderr=True)
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[note]}"),
            console=self._console,
            disable=not enabled,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    def phase(self, description: str, total: int) -> None:
        """Start a new bar for ``total`` units."""
        self._task = self._progress.add_task(description, total=total, note="")

    def advance(self, note: str = "") -> None:
        """One unit done."""
        if self._task is not None:
            self._progress.update(self._task, advance=1, note=note)

    def finished(self, item: Finished) -> None:
        """Print the item's line above the bars."""
        self._progress.console.print(item_line(item), highlight=False, markup=False)

    def message(self, text: str) -> None:
        """Print a line above the bars."""
        self._progress.console.print(text)


class LineProgress:
    """One line per finished item with the items left and an ETA, for a log that a person reads as it grows.

    The ETA is the phase's wall time so far per finished item times the items left (parallel jobs included)."""

    def __init__(self, stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._stream = stream
        self._clock = clock
        self._started = clock()
        self._done = 0

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        pass

    def phase(self, description: str, total: int) -> None:
        self._started, self._done = self._clock(), 0
        self._say(f"{description}: {total} to do")

    def advance(self, note: str = "") -> None:
        pass

    def finished(self, item: Finished) -> None:
        self._done += 1
        per_item = (self._clock() - self._started) / self._done
        eta = f", ETA {_duration(per_item * item.left)}" if item.left else ""
        self._say(f"{item_line(item)}; {item.left} left{eta}")

    def message(self, text: str) -> None:
        self._say(text)

    def _say(self, text: str) -> None:
        stream = self._stream or sys.stderr
        stream.write(text + "\n")
        stream.flush()


def _duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``3.4 h``."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
