"""The two things the benchmark harness needs from the rest of tracefix, as structural types.

The harness is written against these protocols rather than the concrete classes, so it can be tested with a
small stand-in executor and a scripted strategy, and so the bench stage depends on the signatures only.
"""

from __future__ import annotations

from typing import Protocol

from tracefix.records import Session, Task, TestResult


class TestExecutor(Protocol):
    """What the harness uses of ``tracefix.execution.sandbox.Executor``: run untrusted code in a child."""

    def run_tests(self, program: str, tests: list[str], *, prelude: str = "") -> list[TestResult]:
        """Run each test (e.g. ``assert f(1) == 2``) against the program; one result per test."""
        ...

    def run_check(self, program: str, check_code: str, entry_point: str, *, prelude: str = "") -> TestResult:
        """Run HumanEval-style ``check(candidate)`` code against the program's ``entry_point``."""
        ...


class Strategy(Protocol):
    """One debugging strategy, bound to its model and settings: a task and a seed program in, a session out.

    The harness only ever passes a :class:`~tracefix.records.Task`, which holds visible tests only.
    """

    def __call__(self, task: Task, program: str) -> Session: ...
