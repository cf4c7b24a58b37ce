"""Helpers for the bench tests: the sandbox (or a minimal child-process executor), a fake strategy, mini data.

:func:`sandbox` is the real ``tracefix.execution.sandbox.Executor``, one per test process. ``ChildExecutor``
runs each program in a fresh ``python`` child process (never in the test process), so its scores are real
too; it lacks the sandbox's limits and tracing, and serves the CLI tests, which open an executor per run.
The fake strategy "fixes" the problems it is told to by returning their canonical solution from
``data/canonical.json``: for orchestration tests only, never a measurement.
"""

from __future__ import annotations

import atexit
import functools
import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracefix.records import Attempt, Reply, Session, Task, TestResult, Usage

DATA = Path(__file__).parent / "data"
MINI_LDB = DATA / "ldb"
MINI_SEEDS = MINI_LDB / "humaneval" / "seed" / "gpt-3.5-turbo-0613" / "seed.jsonl"


def _run(code: str, test: str) -> TestResult:
    try:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        return TestResult(test=test, passed=False, error="timed out", timeout=True)
    error = proc.stderr.strip().splitlines()[-1] if proc.returncode else None
    return TestResult(test=test, passed=proc.returncode == 0, error=error)


class ChildExecutor:
    """Runs every test in its own ``python -c`` child; counts the calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def run_tests(self, program: str, tests: list[str], *, prelude: str = "") -> list[TestResult]:
        self.calls += [("test", t) for t in tests]
        return [_run(f"{prelude}\n{program}\n{t}\n", t) for t in tests]

    def run_check(self, program: str, check_code: str, entry_point: str, *, prelude: str = "") -> TestResult:
        self.calls.append(("check", check_code))
        return _run(f"{prelude}\n{program}\n{check_code}\ncheck({entry_point})\n", "check")

    def __enter__(self) -> ChildExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


@functools.cache
def sandbox() -> Any:
    """The real sandboxed executor, shared by the tests of this process and closed at exit."""
    from tracefix.execution.sandbox import Executor

    executor = Executor()
    atexit.register(executor.close)
    return executor


@dataclass
class OracleStrategy:
    """Returns the canonical solution for the task ids in ``fixes``, the seed unchanged otherwise."""

    name: str
    fixes: set[str]
    seen: list[Task] = field(default_factory=list)

    def __call__(self, task: Task, program: str) -> Session:
        self.seen.append(task)
        canonical = json.loads((DATA / "canonical.json").read_text())
        fixed = task.task_id in self.fixes
        final = canonical[task.task_id] if fixed else program
        # A fix takes one attempt whose reply came from the response cache; a miss takes none.
        attempts = (
            [Attempt(iteration=0, replies=[Reply(text=final, cached=True)], program=final)] if fixed else []
        )
        return Session(
            task=task, strategy=self.name, initial_program=program, final_program=final, attempts=attempts,
            outcome="fixed" if fixed else "failed", calls=2, usage=Usage(prompt_tokens=100, completion_tokens=20),
            duration_s=0.5,
        )  # fmt: skip


def oracle(name: str, fixes: Iterable[str]) -> OracleStrategy:
    return OracleStrategy(name, set(fixes))


def stored_items(run_dir: Path) -> set[tuple[str, str]]:
    """(task id, strategy) of the results a (possibly running) run has committed, read without writing."""
    db = run_dir / "run.sqlite"
    if not db.exists():
        return set()
    try:
        with sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True) as connection:
            return {(r[0], r[1]) for r in connection.execute("SELECT task_id, strategy FROM results")}
    except sqlite3.OperationalError:  # the tables are not there yet
        return set()


def wait_for_item(run_dir: Path, item: tuple[str, str], timeout: float = 60) -> None:
    """Block until the run in ``run_dir`` has committed ``item``."""
    deadline = time.monotonic() + timeout
    while item not in stored_items(run_dir):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{item} not stored within {timeout} s")
        time.sleep(0.05)
