"""The in-process runner: what one test run reports (trusted snippets only; untrusted code runs in the sandbox)."""

from __future__ import annotations

from tracefix.execution.runner import CappedWriter, run_check, run_test

PROGRAM = """\
def add(a, b):
    return a + b


def div(a, b):
    total = a
    return total / b
"""


def test_a_passing_assert_records_the_actual_value() -> None:
    result = run_test(PROGRAM, "assert add(1, 2) == 3")
    assert (result.passed, result.error, result.actual) == (True, None, "3")


def test_a_failing_assert_names_the_test_line_and_keeps_the_actual_value() -> None:
    result = run_test(PROGRAM, "assert add(1, 2) == 4")
    assert not result.passed
    assert result.error == "AssertionError (test line 1)"
    assert result.actual == "3"
    assert result.exception is not None and result.exception.in_test


def test_the_assert_message_is_part_of_the_error() -> None:
    result = run_test(PROGRAM, "assert add(1, 2) == 4, 'add is off'")
    assert result.error == "AssertionError: add is off (test line 1)"


def test_the_left_side_is_evaluated_once() -> None:
    program = "calls = []\ndef f():\n    calls.append(1)\n    return len(calls)\n"
    assert run_test(program, "assert f() == 1").passed


def test_an_exception_in_the_program_names_the_program_line() -> None:
    result = run_test(PROGRAM, "assert div(1, 0) == 0")
    assert result.error == "ZeroDivisionError: division by zero (program line 7)"
    assert result.exception is not None
    assert (result.exception.line, result.exception.in_test) == (7, False)
    assert result.actual is None


def test_a_multi_line_test_runs_as_code_without_an_actual_value() -> None:
    result = run_test(PROGRAM, "x = add(1, 1)\nassert x == 3")
    assert (result.passed, result.error, result.actual) == (False, "AssertionError (test line 2)", None)


def test_a_syntax_error_in_the_program_names_its_line() -> None:
    result = run_test("def f(:\n    pass\n", "assert f() is None")
    assert result.error == "SyntaxError: invalid syntax (program line 1)"


def test_the_prelude_runs_first_and_keeps_program_line_numbers() -> None:
    result = run_test(
        "def f(x):\n    return helper(x) / 0\n", "f(1)", prelude="def helper(x):\n    return x\n"
    )
    assert result.error == "ZeroDivisionError: division by zero (program line 2)"


def test_a_main_guard_in_the_program_does_not_run() -> None:
    assert run_test("if __name__ == '__main__':\n    raise SystemExit(1)\n", "pass").passed


def test_system_exit_is_a_failure() -> None:
    result = run_test(PROGRAM, "import sys; sys.exit(0)")
    assert not result.passed and result.error == "SystemExit: 0 (test line 1)"


def test_output_is_captured_and_cut_with_a_mark() -> None:
    result = run_test("print('x' * 10000)\n", "import sys; print('err', file=sys.stderr)", output_cap=100)
    assert result.stdout.startswith("x" * 100)
    assert "[… cut: 9901 more characters]" in result.stdout
    assert result.stderr == "err\n"


def test_input_reads_an_empty_stdin() -> None:
    result = run_test(PROGRAM, "input()")
    assert result.error == "EOFError: EOF when reading a line (test line 1)"


def test_a_memory_error_sets_the_memory_flag() -> None:
    result = run_test(PROGRAM, "raise MemoryError()")
    assert result.memory_limit and not result.passed


def test_run_check_calls_check_with_the_entry_point() -> None:
    check = "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(2, 2) == 5\n"
    result = run_check(PROGRAM, check, "add")
    assert (result.test, result.passed, result.error) == ("check(add)", False, "AssertionError (test line 3)")


def test_run_check_accepts_mbpp_style_code_that_calls_check_itself() -> None:
    check = "def check(candidate):\n    assert add(1, 2) == 3\ncheck(add)\n"
    assert run_check(PROGRAM, check, "add").passed


def test_capped_writer_counts_what_it_drops() -> None:
    writer = CappedWriter(4)
    writer.write("ab")
    writer.write("cdef")
    assert writer.getvalue() == "abcd\n[… cut: 2 more characters]"


def test_an_error_in_the_prelude_names_the_prelude_line() -> None:
    result = run_test("def f():\n    return 1\n", "assert f() == 1", prelude="x = 1\ny = 1 / 0\n")
    assert result.error == "ZeroDivisionError: division by zero (prelude line 2)"
