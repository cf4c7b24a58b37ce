"""Scoring on hidden tests: the only module of tracefix that reads them.

Hidden tests are held in :class:`HiddenTests`, an opaque object: its text is kept in private attributes,
its ``repr`` shows only how many tests it holds, it is not a pydantic record (so it cannot be dumped into a
session or a prompt by accident), and the only code that reads its contents is :func:`score` below.
Strategies receive a :class:`~tracefix.records.Task` (visible tests only), and nothing under
``tracefix.strategies`` imports this module (a test checks both).
"""

from __future__ import annotations

from collections.abc import Sequence

from tracefix.bench.protocols import TestExecutor
from tracefix.records import Record, TestResult


class HiddenTests:
    """The hidden tests of one problem: either HumanEval-style ``check(candidate)`` code or a list of asserts.

    Build it with :func:`hidden_check` or :func:`hidden_asserts`; read it only through :func:`score`.
    """

    __slots__ = ("_asserts", "_check")

    def __init__(self, *, check: str | None = None, asserts: Sequence[str] = ()) -> None:
        if (check is None) == (not asserts):
            raise ValueError("HiddenTests needs exactly one of check code or a non-empty list of asserts")
        self._check = check
        self._asserts = tuple(asserts)

    @property
    def kind(self) -> str:
        """Either ``check`` (``check(candidate)`` code) or ``asserts`` (a list of assert tests)."""
        return "check" if self._check is not None else "asserts"

    def __len__(self) -> int:
        return 1 if self._check is not None else len(self._asserts)

    def __repr__(self) -> str:
        return f"HiddenTests(<{self.kind}: {len(self)} hidden>)"


def hidden_check(check_code: str) -> HiddenTests:
    """Hidden tests given as code defining ``check(candidate)`` (HumanEval, TransCoder)."""
    return HiddenTests(check=check_code)


def hidden_asserts(tests: Sequence[str]) -> HiddenTests:
    """Hidden tests given as independent assert snippets, each calling the function by name (MBPP)."""
    return HiddenTests(asserts=tests)


class HiddenScore(Record):
    """The outcome of a program on the hidden tests: pass/fail and counts, never the tests themselves."""

    passed: bool
    tests: int
    """How many hidden test units ran (1 for ``check(candidate)`` code, which stops at its first failure)."""
    failed: int
    error: str | None = None
    """One-line summary of the first failure (e.g. "AssertionError", "timed out after 5.0 s")."""
    duration_s: float = 0.0


def score(
    executor: TestExecutor, program: str, hidden: HiddenTests, *, entry_point: str, prelude: str = ""
) -> HiddenScore:
    """Run ``program`` (after ``prelude``) against its hidden tests in the executor's sandbox."""
    if hidden._check is not None:
        results = [executor.run_check(program, hidden._check, entry_point, prelude=prelude)]
    else:
        results = executor.run_tests(program, list(hidden._asserts), prelude=prelude)
    return _summarise(results)


def _summarise(results: list[TestResult]) -> HiddenScore:
    failures = [r for r in results if not r.passed]
    return HiddenScore(
        passed=not failures,
        tests=len(results),
        failed=len(failures),
        # The error line names the exception only: the failing hidden assert's text stays out of the record.
        error=_short_error(failures[0]) if failures else None,
        duration_s=sum(r.duration_s for r in results),
    )


def _short_error(result: TestResult) -> str:
    if result.timeout:
        return "timed out"
    if result.memory_limit:
        return "memory limit"
    if result.exception is not None:
        return result.exception.type
    return "failed"
