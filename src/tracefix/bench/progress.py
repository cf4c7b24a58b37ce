"""A rich progress bar with ETA for the benchmark harness (on stderr, so ``--json`` output stays clean)."""

from __future__ import annotations

from types import TracebackType

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

    def message(self, text: str) -> None:
        """Print a line above the bars."""
        self._progress.console.print(text)
