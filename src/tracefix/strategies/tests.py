"""Reading visible tests: what a test calls and what it expects, for prompts that compare the two."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from tracefix.records import TestResult


@dataclass(frozen=True)
class Expectation:
    """An ``assert <call> == <expected>`` test split into its sides, as source text."""

    call: str
    expected: str


def split_assert(test: str) -> Expectation | None:
    """Split a one-statement equality assert; None for any other kind of test."""
    try:
        tree = ast.parse(test.strip())
    except SyntaxError:
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Assert):
        return None
    test_expr = tree.body[0].test
    if (
        isinstance(test_expr, ast.Compare)
        and len(test_expr.ops) == 1
        and isinstance(test_expr.ops[0], ast.Eq)
    ):
        return Expectation(ast.unparse(test_expr.left), ast.unparse(test_expr.comparators[0]))
    return None


def describe_failure(result: TestResult) -> str:
    """One or two lines that say how a test failed, in the words a prompt uses."""
    if result.timeout:
        return "The program did not finish in time (probably an infinite loop or far too slow)."
    if result.memory_limit:
        return "The program ran out of memory."
    expectation = split_assert(result.test)
    exception = result.exception
    if exception is not None and not (exception.in_test and exception.type == "AssertionError"):
        where = f" at line {exception.line}" if exception.line and not exception.in_test else ""
        what = f"{exception.type}: {exception.message}" if exception.message.strip() else exception.type
        return f"It raised {what}{where}."
    if expectation is not None and result.actual is not None:
        return f"{expectation.call} returned {result.actual}, but the test expects {expectation.expected}."
    if result.error:
        return f"It failed: {result.error}."
    return "The assertion failed."


def first_failing(results: list[TestResult]) -> TestResult | None:
    """The first failing test in the tests' own order: a deterministic choice."""
    return next((r for r in results if not r.passed), None)
