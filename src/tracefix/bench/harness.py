"""The benchmark loop: score the seeds, debug the failing ones with every strategy, score the results.

For each problem: the seed is scored on the hidden tests and run on the visible tests. A seed that fails a
visible test is given to each strategy in turn (all strategies start from the same seed), and each final
program is scored on the hidden tests. A seed that passes every visible test cannot be debugged from them:
its own result stands for every strategy. Strategies only ever receive the problem's
:class:`~tracefix.records.Task`; the hidden tests go to :func:`tracefix.bench.scoring.score` only.

Problems run in parallel on ``jobs`` threads (model calls and sandbox jobs release the GIL; an embedded model
serialises its own calls). Every finished (problem, strategy) is committed to the :class:`RunStore` at once,
so a killed run loses only the items in flight. Ctrl-C stops cleanly: no new item starts, the items in
flight finish and are stored; a second Ctrl-C abandons them (nothing half-written is stored).
"""

from __future__ import annotations

import queue
import random
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypeVar

from tracefix.bench.datasets import BenchProblem
from tracefix.bench.protocols import Strategy, TestExecutor
from tracefix.bench.scoring import HiddenScore, score
from tracefix.bench.seeds import Seed
from tracefix.bench.store import ResultRow, RunStore, SeedRow
from tracefix.records import Session, TestResult

Item = TypeVar("Item")
StopState = Literal["complete", "stopped", "abandoned"]


@dataclass(frozen=True)
class Finished:
    """One (problem, strategy) item the harness finished, and how many items of the phase are left."""

    task_id: str
    strategy: str
    status: str
    """The stored row's status: done, error or not_debuggable."""
    outcome: str | None
    repaired: bool
    """The final program passes the hidden tests its seed failed."""
    calls: int
    seconds: float
    left: int


class Progress(Protocol):
    """Where the harness reports progress (a progress bar or log lines in the CLI, nothing in tests)."""

    def phase(self, description: str, total: int) -> None:
        """Start a phase of ``total`` units."""

    def advance(self, note: str = "") -> None:
        """One unit done; ``note`` is a short running summary."""

    def finished(self, item: Finished) -> None:
        """One (problem, strategy) item stored."""

    def message(self, text: str) -> None:
        """A line for the user (e.g. after Ctrl-C)."""


class NoProgress:
    """Reports nothing."""

    def phase(self, description: str, total: int) -> None:
        pass

    def advance(self, note: str = "") -> None:
        pass

    def finished(self, item: Finished) -> None:
        pass

    def message(self, text: str) -> None:
        pass


RemoteItem = tuple[BenchProblem, SeedRow, str]
"""One item to run elsewhere: the problem, its seed, the strategy's spec."""


class Remote(Protocol):
    """Runs items somewhere else (a cluster) and gives back each one's result as it finishes."""

    def results(
        self, items: Sequence[RemoteItem], stop: threading.Event
    ) -> Generator[tuple[RemoteItem, ResultRow, Session | None], None, None]:
        """Each item with its row and session, in the order they finish; no new item starts once ``stop``
        is set. Closing the generator drops the items in flight."""
        ...


@dataclass
class Selection:
    """Which problems the strategies run on; see :func:`select`."""

    limit: int | None = None
    only_failing: bool = False
    sample: int | None = None
    sample_seed: int = 0
    exclude: frozenset[str] = frozenset()
    """Task ids left out before anything else (a hold-out run leaves out the problems developed on)."""

    @property
    def needs_all_seeds(self) -> bool:
        """Choosing failing seeds needs every seed scored first."""
        return self.only_failing or self.sample is not None


def select(rows: Sequence[SeedRow], selection: Selection) -> list[str]:
    """The task ids to debug, in problem order.

    ``exclude`` drops its task ids first. ``only_failing`` keeps the seeds that fail their hidden tests. ``sample`` (which implies it) then takes a
    fixed sample of them: the failing task ids in problem order, ``random.Random(sample_seed).sample(ids, n)``,
    put back in problem order. ``limit`` finally keeps the first ``limit`` of what is left.
    """
    ids = [
        r.task_id
        for r in rows
        if r.task_id not in selection.exclude and not (selection.needs_all_seeds and r.hidden.passed)
    ]
    if selection.sample is not None and selection.sample < len(ids):
        chosen = set(random.Random(selection.sample_seed).sample(ids, selection.sample))
        ids = [t for t in ids if t in chosen]
    return ids[: selection.limit] if selection.limit is not None else ids


@dataclass
class Harness:
    """One benchmark run's moving parts."""

    problems: Sequence[BenchProblem]
    seed_for: Callable[[BenchProblem], Seed]
    strategies: Mapping[str, Strategy]
    executor: TestExecutor
    store: RunStore
    jobs: int = 1
    progress: Progress = field(default_factory=NoProgress)
    stop: threading.Event = field(default_factory=threading.Event)
    remote: Remote | None = None
    """Where the items run instead of this process's threads (a Ray cluster: ``bench.ray_items``)."""
    _repaired: Counter[str] = field(default_factory=Counter, init=False)
    _left: int = field(default=0, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def run(self, selection: Selection) -> StopState:
        """Score seeds, select, debug; resumes from whatever the store already holds."""
        scope = list(self.problems) if selection.needs_all_seeds else list(self.problems[: selection.limit])
        state = self.score_seeds(scope)
        if state != "complete":
            return state
        chosen = select(self.store.seeds(), selection)
        self.store.select(chosen)
        return self.debug_selected()

    # ------------------------------------------------------------------ seeds

    def score_seeds(self, problems: Sequence[BenchProblem]) -> StopState:
        """Score every seed not yet in the store (hidden and visible tests)."""
        done = {r.task_id for r in self.store.seeds()}
        position = {p.task_id: i for i, p in enumerate(self.problems)}
        todo = [p for p in problems if p.task_id not in done]
        self.progress.phase("scoring seeds", len(todo))

        def work(problem: BenchProblem) -> None:
            self.store.save_seed(self._score_seed(problem, position[problem.task_id]))

        return run_parallel(todo, work, self.jobs, self.stop, self.progress)

    def _score_seed(self, problem: BenchProblem, position: int) -> SeedRow:
        seed = self.seed_for(problem)
        task = problem.task
        visible = self.executor.run_tests(seed.program, task.visible_tests, prelude=task.prelude)
        return SeedRow(
            task_id=problem.task_id,
            position=position,
            program=seed.program,
            source=seed.source,
            claimed_solved=seed.claimed_solved,
            category=problem.category,
            hidden=self._score(problem, seed.program),
            visible_passed=sum(r.passed for r in visible),
            visible_total=len(visible),
            visible_errors=[_failure_line(r) for r in visible if not r.passed],
        )

    def _score(self, problem: BenchProblem, program: str) -> HiddenScore:
        return score_hidden(self.executor, problem, program)

    # ------------------------------------------------------------------ strategies

    def debug_selected(self) -> StopState:
        """Run every strategy on every selected problem that is not finished yet."""
        seeds = {r.task_id: r for r in self.store.seeds()}
        by_id = {p.task_id: p for p in self.problems}
        finished = self.store.finished()
        for row in self.store.results():  # the running count includes what a resumed run already did
            if row.status == "done" and row.hidden.passed and not seeds[row.task_id].hidden.passed:
                self._repaired[row.strategy] += 1
        todo = [
            (by_id[t], seeds[t])
            for t in self.store.selected()
            if any((t, name) not in finished for name in self.strategies)
        ]
        self._left = sum((p.task_id, name) not in finished for p, _ in todo for name in self.strategies)
        if self.remote is not None:
            items = [(p, s, n) for p, s in todo for n in self.strategies if (p.task_id, n) not in finished]
            return self._debug_remote(self.remote, items)
        self.progress.phase("debugging", len(todo))

        def work(item: tuple[BenchProblem, SeedRow]) -> None:
            problem, seed = item
            for name, strategy in self.strategies.items():
                if self.stop.is_set():
                    return
                if (problem.task_id, name) not in finished:
                    self._run_one(problem, seed, name, strategy)

        return run_parallel(todo, work, self.jobs, self.stop, self.progress, note=self._note)

    def _note(self) -> str:
        with self._lock:
            return "repaired: " + ", ".join(f"{n} {self._repaired[n]}" for n in self.strategies)

    def _debug_remote(self, remote: Remote, items: list[RemoteItem]) -> StopState:
        """Hand the items to ``remote`` and store each result as it comes back (this process alone writes
        the store). Ctrl-C: no new item is handed out; a second one drops those in flight."""
        self.progress.phase("debugging", len(items))
        results = remote.results(items, self.stop)
        while True:
            try:
                found = next(results, None)
                if found is None:
                    break
                (_, seed, _), row, session = found
                self.store.save_result(row, session)
                self._report(row, seed)
                self.progress.advance(self._note())
            except KeyboardInterrupt:
                if self.stop.is_set():
                    self.progress.message(
                        "stopping now: the items in flight are dropped (they rerun on --resume)"
                    )
                    results.close()
                    return "abandoned"
                self.stop.set()
                self.progress.message("stopping: finishing the items in flight (Ctrl-C again to drop them)")
        return "stopped" if self.stop.is_set() else "complete"

    def _run_one(self, problem: BenchProblem, seed: SeedRow, name: str, strategy: Strategy) -> None:
        self._report(self._result_of(problem, seed, name, strategy), seed)

    def _report(self, row: ResultRow, seed: SeedRow) -> None:
        name = row.strategy
        repaired = row.hidden.passed and not seed.hidden.passed
        with self._lock:
            self._repaired[name] += repaired
            self._left -= 1
            left = self._left
        self.progress.finished(
            Finished(
                task_id=row.task_id,
                strategy=name,
                status=row.status,
                outcome=row.outcome,
                repaired=repaired,
                calls=row.calls,
                seconds=row.duration_s or 0.0,
                left=left,
            )
        )

    def _result_of(self, problem: BenchProblem, seed: SeedRow, name: str, strategy: Strategy) -> ResultRow:
        """Run one item and store its row (an exception is stored as an error row, retried on resume)."""
        row, session = result_of(problem, seed, name, strategy, self.executor)
        self.store.save_result(row, session)
        return row


def result_of(
    problem: BenchProblem, seed: SeedRow, name: str, strategy: Strategy, executor: TestExecutor
) -> tuple[ResultRow, Session | None]:
    """One item's result row and session: ``strategy`` debugs the seed, the final program is scored on the
    hidden tests. An exception is an error row (retried on resume), a seed that cannot be debugged keeps its
    own result. It runs where the item runs (a thread here, a worker of a cluster); the row is stored by the
    caller."""
    base = {"task_id": problem.task_id, "strategy": name, "final_program": seed.program}
    if not seed.debuggable:
        return ResultRow(status="not_debuggable", hidden=seed.hidden, **base), None
    started = time.monotonic()
    try:
        session = strategy(problem.task, seed.program)
        hidden = score_hidden(executor, problem, session.final_program)
    # One broken item must not end a long run: it is stored as an error and retried on resume.
    except Exception as exc:
        error = ResultRow(
            status="error",
            hidden=seed.hidden,
            error=_error_text(exc),
            duration_s=time.monotonic() - started,
            **base,
        )
        return error, None
    return _result_row(problem.task_id, name, session, hidden), session


def score_hidden(executor: TestExecutor, problem: BenchProblem, program: str) -> HiddenScore:
    """``program`` scored on ``problem``'s hidden tests (the only place a strategy's result meets them)."""
    task = problem.task
    return score(executor, program, problem.hidden, entry_point=task.entry_point, prelude=task.prelude)


def _result_row(task_id: str, strategy: str, session: Session, hidden: HiddenScore) -> ResultRow:
    return ResultRow(
        task_id=task_id,
        strategy=strategy,
        # A session the model failed (server down, context overflow) is kept but retried on resume: with the
        # response cache the retry replays what was paid for and continues where the model failed.
        status="error" if session.outcome == "error" else "done",
        outcome=session.outcome,
        hidden=hidden,
        final_program=session.final_program,
        calls=session.calls,
        cached_calls=sum(reply.cached for attempt in session.attempts for reply in attempt.replies),
        prompt_tokens=session.usage.prompt_tokens,
        completion_tokens=session.usage.completion_tokens,
        iterations=len(session.attempts),
        duration_s=session.duration_s,
        error=session.error,
    )


def _failure_line(result: TestResult) -> str:
    return f"{result.test.splitlines()[0] if result.test else ''}  ->  {result.error or 'failed'}"


def _error_text(exc: BaseException) -> str:
    where = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    at = f" at {where[0].filename.rsplit('/', 1)[-1]}:{where[0].lineno}" if where else ""
    return f"{type(exc).__name__}: {exc}{at}"


# --------------------------------------------------------------------------- parallel runner


def run_parallel(
    items: Iterable[Item],
    work: Callable[[Item], None],
    jobs: int,
    stop: threading.Event,
    progress: Progress,
    *,
    note: Callable[[], str] = str,
) -> StopState:
    """Run ``work`` on every item with ``jobs`` daemon threads, in order of the items.

    The first Ctrl-C sets ``stop``: no new item starts, items in flight finish (``work`` may also look at
    ``stop`` between its own steps). A second Ctrl-C returns at once, abandoning the items in flight; the
    threads are daemons, so they do not keep the process alive.
    """
    pending: queue.Queue[Item] = queue.Queue()
    for item in items:
        pending.put(item)
    total = pending.qsize()
    finished: queue.Queue[BaseException | None] = queue.Queue()

    def worker() -> None:
        while not stop.is_set():
            try:
                item = pending.get_nowait()
            except queue.Empty:
                return
            try:
                work(item)
                finished.put(None)
            except BaseException as exc:  # reported to the main thread, which re-raises it
                finished.put(exc)
                return

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, min(jobs, total)))]
    for thread in threads:
        thread.start()
    return _wait(threads, finished, total, stop, progress, note)


def _wait(
    threads: list[threading.Thread],
    finished: queue.Queue[BaseException | None],
    total: int,
    stop: threading.Event,
    progress: Progress,
    note: Callable[[], str],
) -> StopState:
    done = 0
    while (done < total and any(t.is_alive() for t in threads)) or not finished.empty():
        try:
            try:
                outcome = finished.get(timeout=0.2)
            except queue.Empty:
                continue
            if outcome is not None:
                stop.set()
                raise outcome
            done += 1
            progress.advance(note())
        except KeyboardInterrupt:
            if stop.is_set():
                progress.message("stopping now: the items in flight are dropped (they rerun on --resume)")
                return "abandoned"
            stop.set()
            progress.message("stopping: finishing the items in flight (Ctrl-C again to drop them)")
    return "stopped" if stop.is_set() and done < total else "complete"
