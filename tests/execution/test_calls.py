"""Recording the calls of a program's own functions while a test runs (``execution.calls``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from outer_timer import outer_timer_kept

from tracefix.execution.calls import CallLimits, record_calls
from tracefix.execution.limits import MIB, Limits
from tracefix.execution.sandbox import Executor

PROGRAM = """
def square(x):
    return x * x

def check(x):
    if x > 2:
        raise ValueError("too big")
    return x

def total(xs):
    s = 0
    for x in xs:
        try:
            s += check(square(x))
        except ValueError:
            s += 100
    xs.append(0)
    return s + sum(square(y) for y in [1])
"""


def test_every_call_has_its_arguments_its_result_or_exception_and_its_caller() -> None:
    trace = record_calls(PROGRAM, "assert total([1, 2]) == 6")
    assert not trace.passed and trace.error == "AssertionError (test line 1)"
    shown = [(c.function, c.args, c.result, c.exception, c.parent, c.depth) for c in trace.calls]
    assert shown == [
        ("total", {"xs": "[1, 2]"}, "102", None, None, 0),  # the list as it was given, not as it ended
        ("square", {"x": "1"}, "1", None, 0, 1),
        ("check", {"x": "1"}, "1", None, 0, 1),
        ("square", {"x": "2"}, "4", None, 0, 1),
        ("check", {"x": "4"}, None, "ValueError: too big", 0, 1),
        ("square", {"x": "1"}, "1", None, 0, 1),  # called from a generator expression: a child of total
    ]
    assert trace.counts == {"total": 1, "square": 3, "check": 2}
    assert not trace.truncated


def test_a_caught_exception_inside_a_call_does_not_make_the_call_raise() -> None:
    program = (
        "def f():\n    try:\n        1 / 0\n    except ZeroDivisionError:\n        pass\n    return None\n"
    )
    (call,) = record_calls(program, "f()").calls
    assert call.result == "None" and call.exception is None


def test_calls_are_bounded_per_function_and_counted_exactly() -> None:
    program = "def g(n):\n    return n + 1\n\ndef f():\n    return [g(i) for i in range(100)]\n"
    trace = record_calls(program, "f()", limits=CallLimits(first_calls=3, last_calls=2))
    kept = [c.args["n"] for c in trace.calls if c.function == "g"]
    assert kept == ["0", "1", "2", "98", "99"]
    assert trace.counts["g"] == 100 and trace.truncated
    assert trace.cut == ["g: kept the first 3 and the last 2 of 100 calls"]


def test_a_run_that_never_ends_is_stopped_and_keeps_its_calls() -> None:
    program = "def step(i):\n    return i\n\ndef spin():\n    i = 0\n    while True:\n        i = step(i)\n"
    trace = record_calls(program, "spin()", limits=CallLimits(time_limit_s=0.3, last_calls=1))
    assert trace.timeout and not trace.passed
    assert trace.cut[0].startswith("stopped after 0.3 s")
    spin = trace.calls[0]
    assert spin.function == "spin" and not spin.finished
    # The alarm may ring inside the last step call: it then raised the timeout or was left unfinished.
    steps = [c for c in trace.calls if c.function == "step"]
    assert trace.counts["step"] > 100 and steps
    assert all(c.result == "0" for c in steps[:-1])
    last = steps[-1]
    assert last.result == "0" or (last.exception or "").startswith("CallsTimeout") or not last.finished


def test_a_stopped_run_leaves_another_wall_timer_running() -> None:
    with outer_timer_kept():
        program = "def spin():\n    while True:\n        pass\n"
        trace = record_calls(program, "spin()", limits=CallLimits(time_limit_s=0.1))
        assert trace.timeout


def test_recursion_nests_calls_and_generators_are_left_out() -> None:
    program = (
        "def fact(n):\n    return 1 if n <= 1 else n * fact(n - 1)\n\n"
        "def gen():\n    yield 1\n\ndef use():\n    return list(gen()) + [fact(3)]\n"
    )
    trace = record_calls(program, "assert use() == [1, 6]")
    assert trace.passed
    assert [(c.function, c.depth, c.parent) for c in trace.calls] == [
        ("use", 0, None),
        ("fact", 1, 0),
        ("fact", 2, 1),
        ("fact", 3, 2),
    ]


@pytest.fixture(scope="module")
def executor() -> Iterator[Executor]:
    with Executor(Limits(wall_s=2.0, memory_bytes=512 * MIB), workers=1) as ex:
        yield ex


def test_the_executor_records_calls_in_its_sandbox(executor: Executor) -> None:
    trace = executor.record_calls(PROGRAM, "assert total([3]) == 101")
    assert trace.passed
    assert [(c.function, c.exception) for c in trace.calls][:3] == [
        ("total", None),
        ("square", None),
        ("check", "ValueError: too big"),
    ]


def test_a_job_that_kills_its_process_is_a_recorded_failure(executor: Executor) -> None:
    trace = executor.record_calls("import os\n\ndef f():\n    os._exit(3)\n", "f()")
    assert not trace.passed and trace.calls == []
    assert trace.error == "the program exited (status 3) before the test finished"
