"""A test that calls a function the program lacks: found, stubbed for the hole format, and traced once defined."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from fakes import Scripted

from tracefix.records import CFG, ExceptionInfo, Task, TestResult, Trace
from tracefix.strategies.build import build
from tracefix.strategies.engine import Settings, run_loop
from tracefix.strategies.ldb.called import finding, missing_call, stub, under_test
from tracefix.strategies.ldb.cuts import strip_todo

SEED = """\
def rev(num):
    return int(str(num)[::-1])
"""
TEST = "assert check(70) == False"
WRITTEN = (
    SEED
    + """

def check(n):
    return n == 2 * rev(n) - 1
"""
)
TASK = Task(
    description='def rev(num):\n    """Check if a number is one less than twice its reverse."""\n',
    entry_point="rev",
    visible_tests=[TEST],
)


def not_defined(name: str, test: str = TEST) -> TestResult:
    exc = ExceptionInfo(type="NameError", message=f"name '{name}' is not defined", in_test=True, line=1)
    return TestResult(test=test, passed=False, exception=exc, error=f"NameError: {exc.message} (test line 1)")


def test_the_missing_function_is_found_with_the_parameters_the_task_or_the_entry_point_gives() -> None:
    missing = missing_call(not_defined("check"), SEED, description=TASK.description, entry_point="rev")
    assert missing is not None
    assert (missing.name, missing.params, missing.defined) == ("check", ["num"], ["rev"])
    header = "def ncr_modp(n, r, p): \n    '''ncr % p'''\n"
    helper = "def fact(n, p):\n    return 1\n"
    result = not_defined("ncr_modp", "assert ncr_modp(10, 2, 13) == 6")
    named = missing_call(result, helper, description=header, entry_point="ncr_modp")
    assert named is not None and named.params == ["n", "r", "p"]  # the task's header wins
    odd = missing_call(not_defined("pair", "assert pair(1, 2, k=3) == 0"), SEED, entry_point="rev")
    assert odd is not None and odd.params == ["arg1", "arg2", "k"]  # arity differs from rev's


def test_other_failures_are_not_a_missing_function() -> None:
    program_error = not_defined("math").model_copy(
        update={"exception": ExceptionInfo(type="NameError", message="name 'math' is not defined", line=2)}
    )
    assert missing_call(program_error, SEED) is None  # raised in the program, not the test
    assert missing_call(not_defined("rev", "assert rev(12) == 21"), SEED) is None  # it is defined
    assert missing_call(not_defined("other"), SEED) is None  # the test does not call it
    assert missing_call(not_defined("check"), "def rev(:\n") is None  # the program does not parse
    assert missing_call(not_defined("check"), WRITTEN) is None  # a stale result: it is defined
    failed = TestResult(test=TEST, passed=False, actual="True", error="AssertionError")
    assert missing_call(failed, SEED) is None


def test_the_stub_adds_a_header_whose_todo_a_copied_reply_loses() -> None:
    missing = missing_call(not_defined("check"), SEED, entry_point="rev")
    assert missing is not None
    holed = stub(SEED, missing)
    assert holed.endswith(
        "def check(num):\n    # TODO: this function is missing (the test calls it); write it here\n"
    )
    ast.parse(holed + "    pass\n")
    assert strip_todo(holed + "    return True\n").endswith("def check(num):\n    return True\n")
    assert finding(missing) == (
        "The test calls `check`, but the program does not define it (it defines only `rev`), "
        "so none of its code ran."
    )


def test_the_traced_function_is_the_one_the_test_calls() -> None:
    assert under_test(WRITTEN, TEST, "rev") == "check"
    assert under_test(WRITTEN, "assert rev(12) == 21", "rev") == "rev"
    assert under_test(WRITTEN, "assert abs(check(rev(3))) == 0", "rev") == "rev"  # it calls the entry point
    assert under_test(SEED, TEST, "rev") == "rev"  # check is not defined: nothing else to trace


@dataclass
class NameRunner:
    """Fails with the test's NameError until the program defines ``check``; then it passes."""

    traced: list[str] = field(default_factory=list)

    def run_tests(self, program: str, tests: list[str], *, prelude: str = "") -> list[TestResult]:
        if "def check" in program:
            return [TestResult(test=t, passed=True) for t in tests]
        return [not_defined("check", t) for t in tests]

    def trace(
        self, program: str, entry: str, test: str, *, prelude: str = "", cfg: CFG | None = None
    ) -> Trace:
        self.traced.append(entry)
        return Trace(function=entry, test=test, passed=False, error="the function was not called")


def test_ldb_asks_for_the_missing_function_and_off_keeps_the_focused_request() -> None:
    model = Scripted([f"```python\n{WRITTEN}```"])
    runner = NameRunner()
    session = run_loop(build("ldb"), TASK, SEED, model, runner, Settings(max_iters=2))
    assert session.outcome == "fixed" and len(model.requests) == 1
    prompt = model.requests[0][0][-1].content
    assert prompt.startswith(
        "Complete this Python program: a function the test calls is missing (see the TODO)."
    )
    assert "def check(num):\n    # TODO: this function is missing" in prompt
    assert "- The test calls `check`, but the program does not define it" in prompt
    assert session.attempts[0].verdict_parse == "trace"

    off = Scripted([f"```python\n{WRITTEN}```"])
    run_loop(build("ldb[missing=off]"), TASK, SEED, off, NameRunner(), Settings(max_iters=1))
    assert "WRONG BLOCK" in off.requests[0][0][-1].content  # no trace: the focused request, as before


@dataclass
class ThreeWayRunner(NameRunner):
    """NameError until ``check`` is defined; then the test fails, until ``check`` reverses ``rev``."""

    def run_tests(self, program: str, tests: list[str], *, prelude: str = "") -> list[TestResult]:
        if "def check" not in program:
            return [not_defined("check", t) for t in tests]
        passed = "2 * rev(n) - 1" in program
        return [TestResult(test=t, passed=passed, actual="True", error="AssertionError") for t in tests]


def test_a_program_the_test_can_call_wins_the_tie_and_its_new_function_is_traced() -> None:
    wrong = SEED + "\n\ndef check(n):\n    return True\n"
    model = Scripted([f"```python\n{wrong}```", f"```python\n{WRITTEN}```"])
    runner = ThreeWayRunner()
    settings = Settings(max_iters=3)
    assert build("ldb").options.ties == "oldest"  # only getting further wins a tie
    session = run_loop(build("ldb"), TASK, SEED, model, runner, settings)
    assert session.outcome == "fixed"
    assert session.attempts[1].start_program == wrong  # not the seed again, though both pass no test
    assert runner.traced == ["rev", "check"]
