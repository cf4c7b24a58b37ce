"""The executor's contract: results in order, in parallel, limits per call, crashes reported, modes chosen."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracefix.cli import main
from tracefix.execution import bwrap, sandbox
from tracefix.execution.limits import MIB, Limits
from tracefix.execution.sandbox import Executor, SandboxFallbackWarning

PROGRAM = "def add(a, b):\n    return a + b\n"
LIMITS = Limits(wall_s=2.0, memory_bytes=512 * MIB)
needs_bwrap = pytest.mark.skipif(not bwrap.works()[0], reason=f"bwrap cannot run here: {bwrap.works()[1]}")


@pytest.fixture(scope="module")
def executor() -> Iterator[Executor]:
    with Executor(LIMITS, workers=2) as ex:
        yield ex


def test_results_come_back_in_the_order_of_the_tests(executor: Executor) -> None:
    tests = [f"assert add({i}, 1) == {i + 1 if i % 2 else 0}" for i in range(8)]
    results = executor.run_tests(PROGRAM, tests)
    assert [r.test for r in results] == tests
    assert [r.passed for r in results] == [i % 2 == 1 for i in range(8)]
    assert results[0].actual == "1"


def test_tests_run_in_parallel_across_the_pool(executor: Executor) -> None:
    started = time.perf_counter()
    results = executor.run_tests(PROGRAM, ["import time; time.sleep(0.4)"] * 4)
    assert all(r.passed for r in results)
    assert time.perf_counter() - started < 1.4  # 4 x 0.4 s on 2 workers, not 1.6 s in a row


def test_limits_can_be_given_per_call(executor: Executor) -> None:
    result = executor.run_test(PROGRAM, "import time; time.sleep(1)", limits=Limits(wall_s=0.3))
    assert result.timeout and result.error == "timed out after 0.3 s"
    assert 0.3 <= result.duration_s < 1.0


def test_the_cpu_limit_stops_a_busy_loop_before_the_wall_limit(executor: Executor) -> None:
    result = executor.run_test(PROGRAM, "while True:\n    pass", limits=Limits(wall_s=10.0, cpu_s=1.0))
    assert result.timeout and not result.killed
    assert result.error == "CPU time limit of 1 s exceeded"


def test_the_prelude_is_available_to_the_program(executor: Executor) -> None:
    program = "def twice(x):\n    return helper(x) * 2\n"
    assert executor.run_test(
        program, "assert twice(2) == 6", prelude="def helper(x):\n    return x + 1\n"
    ).passed


def test_run_check_scores_with_a_humaneval_check_function(executor: Executor) -> None:
    check = "METADATA = {}\n\ndef check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(0, 0) == 1\n"
    result = executor.run_check(PROGRAM, check, "add")
    assert (result.test, result.passed, result.error) == ("check(add)", False, "AssertionError (test line 5)")


def test_a_crashed_worker_is_replaced_and_its_job_reported(executor: Executor) -> None:
    victims = list(executor._all)

    def kill_workers_soon() -> None:
        time.sleep(0.5)
        for worker in victims:
            worker.proc.kill()

    threading.Thread(target=kill_workers_soon).start()
    results = executor.run_tests(PROGRAM, ["import time; time.sleep(1.5)"] * 2)
    assert all(not r.passed and r.killed for r in results)
    assert all("sandbox worker died" in (r.error or "") and "replaced" in (r.error or "") for r in results)
    assert all(r.passed for r in executor.run_tests(PROGRAM, ["assert add(1, 1) == 2"] * 4))


def test_a_hung_worker_is_replaced_after_the_grace_period(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "_GRACE_S", 0.3)
    with Executor(Limits(wall_s=0.5), workers=1, sandbox="rlimits") as ex:
        assert ex.run_test(PROGRAM, "pass").passed
        (worker,) = ex._all
        assert worker.hello is not None
        os.kill(worker.hello["pid"], signal.SIGSTOP)  # outside bwrap the worker's pid is a host pid
        result = ex.run_test(PROGRAM, "pass")
        assert not result.passed and result.killed
        assert (result.error or "").startswith("sandbox worker stopped answering")
        assert ex.run_test(PROGRAM, "assert add(1, 1) == 2").passed


def test_trace_runs_in_the_sandbox_with_scaled_limits(executor: Executor) -> None:
    assert Limits(wall_s=2.0, trace_factor=5.0).traced().wall_s == 10.0
    if importlib.util.find_spec("tracefix.execution.tracer") is None:
        trace = executor.trace(PROGRAM, "add", "assert add(1, 2) == 3")
        assert not trace.passed and "tracer could not be imported" in (trace.error or "")
        return
    trace = executor.trace(PROGRAM, "add", "assert add(1, 2) == 4")
    assert trace.function == "add" and not trace.passed and trace.visits


def test_cpu_seconds_default_to_the_wall_limit_plus_one() -> None:
    assert Limits(wall_s=2.5).cpu_seconds() == 4
    assert Limits(wall_s=2.5, cpu_s=1.2).cpu_seconds() == 2


def test_limits_survive_the_trip_to_the_worker() -> None:
    limits = Limits(wall_s=1.5, open_files=10)
    assert Limits.from_dict({**limits.to_dict(), "from_a_newer_version": 1}) == limits


def test_auto_mode_falls_back_to_rlimits_with_one_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bwrap, "works", lambda: (False, "bwrap is not installed"))
    monkeypatch.setattr(sandbox, "_warned", False)
    with pytest.warns(SandboxFallbackWarning, match="bwrap is not installed"):
        assert sandbox.resolve_mode("auto") == "rlimits"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sandbox.resolve_mode("auto") == "rlimits"


def test_asking_for_bwrap_where_it_cannot_run_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bwrap, "works", lambda: (False, "no user namespaces"))
    with pytest.raises(RuntimeError, match="no user namespaces"):
        sandbox.resolve_mode("bwrap")


@needs_bwrap
def test_auto_mode_uses_bwrap_where_it_runs() -> None:
    assert sandbox.resolve_mode("auto") == "bwrap"


def test_the_rlimits_fallback_without_seccomp_does_not_isolate_the_network() -> None:
    """A documented gap (docs/sandbox.md): with neither a network namespace nor the seccomp filter, loopback
    ports are reachable."""
    with socket.socket() as server, Executor(LIMITS, workers=1, sandbox="rlimits", seccomp=False) as ex:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        result = ex.run_test(
            PROGRAM, f"import socket\nsocket.create_connection(('127.0.0.1', {port}), 1).close()"
        )
        assert result.passed


def test_default_executor_is_shared() -> None:
    assert sandbox.default_executor() is sandbox.default_executor()


def test_a_closed_executor_refuses_jobs() -> None:
    ex = Executor(LIMITS, workers=1)
    ex.close()
    with pytest.raises(RuntimeError, match="closed"):
        ex.run_test(PROGRAM, "pass")


def test_cli_run_reports_each_test_as_json(tmp_path: Path) -> None:
    program = tmp_path / "prog.py"
    program.write_text(PROGRAM)
    outcome = CliRunner().invoke(
        main,
        ["run", str(program), "--test", "assert add(1, 2) == 3", "--test", "assert add(1, 2) == 4", "--json"],
    )
    assert outcome.exit_code == 1
    results = json.loads(outcome.output)["results"]
    assert [(r["test"], r["passed"], r["error"], r["timeout"]) for r in results] == [
        ("assert add(1, 2) == 3", True, None, False),
        ("assert add(1, 2) == 4", False, "AssertionError (test line 1)", False),
    ]
    assert all(isinstance(r["duration_s"], float) for r in results)


def test_cli_run_reads_a_tests_file_and_exits_zero_when_all_pass(tmp_path: Path) -> None:
    program = tmp_path / "prog.py"
    program.write_text(PROGRAM)
    tests = tmp_path / "tests.txt"
    tests.write_text("# visible tests\nassert add(1, 2) == 3\nassert add(2, 2) == 4\n")
    outcome = CliRunner().invoke(main, ["run", str(program), "--tests-file", str(tests)])
    assert outcome.exit_code == 0, outcome.output
    assert outcome.output.splitlines()[-1] == "2/2 passed"


def test_cli_run_without_tests_is_a_usage_error(tmp_path: Path) -> None:
    program = tmp_path / "prog.py"
    program.write_text(PROGRAM)
    outcome = CliRunner().invoke(main, ["run", str(program)])
    assert outcome.exit_code == 2 and "--test" in outcome.output


def test_an_import_path_entry_of_tmp_or_root_is_not_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    # A script run from /tmp puts /tmp on sys.path; bound read-only over the sandbox's private /tmp, it left
    # the worker no temporary directory and every job failed.
    monkeypatch.setattr(sys, "path", ["/tmp", "/tmp/", "/", *sys.path])
    paths = bwrap.python_paths()
    assert not {"/tmp", "/tmp/", "/"} & set(paths)
    source = str(Path(bwrap.tracefix.__file__).resolve().parent.parent)
    # The source tree is bound itself or through a parent (a checkout whose root is on the import path).
    assert any(source == path or bwrap._inside(source, path) for path in paths)


@needs_bwrap
def test_jobs_run_while_tmp_is_on_the_import_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", ["/tmp", *sys.path])
    with Executor(workers=1, sandbox="bwrap") as executor:
        [result] = executor.run_tests("def f():\n    return 1\n", ["assert f() == 1"])
    assert result.passed, result.error
