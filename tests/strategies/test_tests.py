import pytest

from tracefix.records import ExceptionInfo, TestResult
from tracefix.strategies.tests import broken_reason, describe_failure, first_failing, split_assert


def test_split_assert() -> None:
    expectation = split_assert("assert f([1, 2]) == 3")
    assert expectation is not None
    assert (expectation.call, expectation.expected) == ("f([1, 2])", "3")
    assert split_assert("assert f(1)") is None
    assert split_assert("x = f(1)\nassert x == 2") is None
    assert split_assert("assert f(") is None


def test_describe_wrong_value() -> None:
    result = TestResult(test="assert f(2) == 4", passed=False, actual="5", error="AssertionError")
    assert describe_failure(result) == "f(2) returned 5, but the test expects 4."


def test_describe_exception_in_program() -> None:
    exc = ExceptionInfo(type="ZeroDivisionError", message="division by zero", line=7)
    result = TestResult(test="assert f(0) == 1", passed=False, exception=exc)
    assert describe_failure(result) == "It raised ZeroDivisionError: division by zero at line 7."


def test_describe_exception_without_a_message() -> None:
    # e.g. an assert of the program's own, at module level
    exc = ExceptionInfo(type="AssertionError", message="", line=14)
    result = TestResult(test="assert f(0) == 1", passed=False, exception=exc)
    assert describe_failure(result) == "It raised AssertionError at line 14."


def test_describe_timeout() -> None:
    result = TestResult(test="assert f(0) == 1", passed=False, timeout=True)
    assert "did not finish in time" in describe_failure(result)


def test_first_failing_is_in_test_order() -> None:
    results = [
        TestResult(test="a", passed=True),
        TestResult(test="b", passed=False),
        TestResult(test="c", passed=False),
    ]
    failing = first_failing(results)
    assert failing is not None and failing.test == "b"
    assert first_failing(results[:1]) is None


@pytest.mark.parametrize(
    ("test", "words"),
    [
        ("assert f('ab', 2) == abab", "`abab`"),  # a string printed without quotes
        ("assert f([10], 0) == -inf", "`inf`"),
        ("assert f('a', 'b') == (x, 3)", "`x`"),
        ("assert f('011', '11') == 0122", "not valid Python"),  # a number printed with its leading zero
    ],
)
def test_a_test_no_program_can_pass_is_broken(test: str, words: str) -> None:
    reason = broken_reason(test, entry_point="f", setup="def f(*a):\n    return a\n")
    assert reason is not None and words in reason


@pytest.mark.parametrize(
    ("test", "setup"),
    [
        ("assert f(1) == 2", ""),
        ("assert f([10], 0) == -inf", "from math import inf\n"),  # the program defines it
        ("assert f(1) == LIMIT", "LIMIT = 3\n"),
        ("assert f(1) == Pair(1, 2)", ""),  # a program may define the class
        ("assert math.isclose(f(1), math.pi)", ""),  # ... or import the module
        ("assert f(1) == [y for y in range(3)]", ""),  # bound by the test itself
        ("assert f(1) == anything", "from helpers import *\n"),  # a star import may define any name
        ("assert f(1) == f", ""),  # the function under test
        ("assert f(1) == zz", "def f(:\n"),  # a program that does not parse says nothing about the test
    ],
)
def test_a_test_some_program_may_pass_is_not_broken(test: str, setup: str) -> None:
    assert broken_reason(test, entry_point="f", setup=setup) is None


def test_first_failing_skips_broken_tests() -> None:
    results = [
        TestResult(test="assert f(1) == a", passed=False, broken="its expected value uses `a`"),
        TestResult(test="assert f(2) == 3", passed=False),
    ]
    chosen = first_failing(results)
    assert chosen is not None and chosen.test == "assert f(2) == 3"
