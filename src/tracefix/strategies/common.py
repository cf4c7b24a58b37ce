"""What the strategies share: the facts of the failing test, as the prompt templates want them."""

from __future__ import annotations

from typing import Any

from tracefix.records import Attempt, TestResult
from tracefix.strategies.engine import LoopState
from tracefix.strategies.tests import describe_failure, first_failing
from tracefix.strategies.view import shown

HISTORY_SHOWN = 2


def _summary(attempt: Attempt) -> str:
    if attempt.program is None:
        return "no new program (" + (attempt.failure or "no code").split(".")[0].lower() + ")"
    failing = first_failing(attempt.test_results)
    if failing is None:
        return "passed"
    return f"a changed program that still fails {failing.test.strip()}: {describe_failure(failing)}"


def problem_values(state: LoopState) -> dict[str, Any]:
    """Values for ``_problem.j2``: the task, the program, the first failing test and recent attempts."""
    failing = first_failing(state.results)
    assert failing is not None, "the loop only runs while a visible test fails"
    return {
        "task": state.task,
        "program": shown(state.program, state.task),
        "failing": failing,
        "failure": describe_failure(failing),
        "history": [_summary(a) for a in state.history[-HISTORY_SHOWN:]],
    }


def failing_test(state: LoopState) -> TestResult:
    failing = first_failing(state.results)
    assert failing is not None
    return failing
