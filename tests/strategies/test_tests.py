from tracefix.records import ExceptionInfo, TestResult
from tracefix.strategies.tests import describe_failure, first_failing, split_assert


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
