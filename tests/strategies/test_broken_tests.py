"""Tests no program can pass, run in the real sandbox: the loop leaves them aside and says why."""

from __future__ import annotations

from fakes import Scripted

from tracefix.execution.sandbox import Executor
from tracefix.records import Task
from tracefix.strategies.build import build
from tracefix.strategies.engine import Settings, run_loop

PROGRAM = "def repeat(s, n):\n    return s * n\n"
TESTS = [
    "assert repeat('ab', 2) == 'abab'",
    "assert repeat('ab', 3) == ababab",  # the expected string printed without quotes
    "assert repeat('01', 2) == 0101",  # ... and a number with a leading zero
]


def test_a_faithful_program_failing_only_broken_tests_is_left_alone_without_a_call() -> None:
    task = Task(description="Repeat s n times.", entry_point="repeat", visible_tests=TESTS)
    with Executor(workers=1) as executor:
        session = run_loop(build("ldb"), task, PROGRAM, Scripted([]), executor, Settings())
    assert session.outcome == "broken_tests" and session.calls == 0
    passed, unquoted, zero = session.initial_results
    assert passed.passed and passed.broken is None
    assert not unquoted.passed and "`ababab`" in (unquoted.broken or "")
    assert not zero.passed and "not valid Python" in (zero.broken or "")
