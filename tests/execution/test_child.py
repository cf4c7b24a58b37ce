"""The plain child-process tracer: a trace comes back as JSON whatever the program does to stdout."""

from __future__ import annotations

import sys
import time

from tracefix.execution.child import run_in_child
from tracefix.execution.tracer import TraceLimits


def test_a_trace_comes_back_from_the_child() -> None:
    program = "def inc(x):\n    y = x + 1\n    return y\n"
    trace = run_in_child(program, "inc", "assert inc(1) == 2")
    assert trace.passed and [v.state for v in trace.visits] == [{"x": "1", "y": "2"}]
    assert trace.backend == ("monitoring" if sys.version_info >= (3, 12) else "settrace")


def test_writes_to_file_descriptor_1_do_not_corrupt_the_result() -> None:
    program = "import os\n\ndef noisy():\n    os.write(1, b'{not json')\n    print('hello')\n    return 1\n"
    trace = run_in_child(program, "noisy", "noisy()")
    assert trace.passed and trace.return_value == "1" and trace.stdout == "hello\n"


def test_limits_and_backend_reach_the_child() -> None:
    program = "def loop(n):\n    for i in range(n):\n        pass\n"
    trace = run_in_child(
        program, "loop", "loop(50)", limits=TraceLimits(first_visits=1, last_visits=2), backend="settrace"
    )
    assert trace.backend == "settrace" and len(trace.visits) == 4 and trace.total_visits == 101


def test_a_child_that_outlives_its_timeout_is_killed() -> None:
    program = "import time\n\ndef slow():\n    time.sleep(60)\n"
    started = time.monotonic()
    trace = run_in_child(program, "slow", "slow()", timeout_s=1.0)
    assert trace.timeout and not trace.passed and trace.error == "timed out after 1 s"
    assert time.monotonic() - started < 10
