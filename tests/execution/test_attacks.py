"""Hostile programs: each attack is contained and reported, and the executor goes on serving the next job.

Every attack runs in the bubblewrap sandbox (skipped where bwrap cannot run), most of them again in the
rlimits-only fallback, with tight limits so the whole module takes seconds.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tracefix.execution import bwrap
from tracefix.execution.limits import MIB, Limits
from tracefix.execution.sandbox import Executor
from tracefix.records import TestResult

LIMITS = Limits(wall_s=1.0, memory_bytes=512 * MIB, processes=24)
PROGRAM = "def f(x):\n    return x + 1\n"

needs_bwrap = pytest.mark.skipif(not bwrap.works()[0], reason=f"bwrap cannot run here: {bwrap.works()[1]}")


@pytest.fixture(scope="module", params=[pytest.param("bwrap", marks=needs_bwrap), "rlimits"])
def executor(request: pytest.FixtureRequest) -> Iterator[Executor]:
    with Executor(LIMITS, workers=2, sandbox=request.param) as ex:
        yield ex


def run(executor: Executor, test: str, program: str = PROGRAM) -> TestResult:
    """Run one attack, then check the pool still answers an honest test."""
    started = time.perf_counter()
    result = executor.run_test(program, test)
    assert time.perf_counter() - started < LIMITS.wall_s + 4, "the attack held the executor up"
    assert all(r.passed for r in executor.run_tests(PROGRAM, ["assert f(1) == 2"] * 2)), "the pool is broken"
    return result


def processes_of(uid: int) -> list[int]:
    """Host pids of processes running as ``uid``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                status = Path(f"/proc/{entry}/status").read_text()
            except OSError:
                continue
            if any(line.split()[1] == str(uid) for line in status.splitlines() if line.startswith("Uid:")):
                found.append(int(entry))
    return found


def job_uids(executor: Executor) -> list[int]:
    """The uids the workers run jobs under (0 where jobs keep the worker's uid)."""
    executor.run_tests(PROGRAM, ["pass"] * executor.size)
    return list(executor.describe()["job_uids"])


def test_an_infinite_loop_times_out(executor: Executor) -> None:
    result = run(executor, "while True:\n    pass")
    assert result.timeout and not result.passed
    assert result.error == "timed out after 1 s"


def test_a_long_sleep_times_out(executor: Executor) -> None:
    result = run(executor, "import time; time.sleep(1e6)")
    assert result.timeout and not result.passed


def test_a_huge_allocation_hits_the_memory_limit(executor: Executor) -> None:
    result = run(executor, "hog = [0] * 2**31")
    assert result.memory_limit and not result.passed
    assert result.error == "MemoryError (test line 1)"


def test_a_growing_memory_bomb_hits_the_memory_limit(executor: Executor) -> None:
    limits = Limits(wall_s=10.0, memory_bytes=256 * MIB)
    bomb = "hog = []\nwhile True:\n    hog.append(bytearray(16 * 1024 * 1024))"
    result = executor.run_test(PROGRAM, bomb, limits=limits)
    assert result.memory_limit and not result.passed


def test_a_fork_bomb_is_stopped_and_swept(executor: Executor) -> None:
    if not all(job_uids(executor)):
        pytest.skip("without a job uid of its own, RLIMIT_NPROC cannot bound a fork bomb")
    result = run(executor, "import os\nwhile True:\n    os.fork()")
    assert not result.passed
    time.sleep(0.2)
    # Between jobs a worker's uid owns at most the spare child forked for the next job.
    assert all(len(processes_of(uid)) <= 1 for uid in job_uids(executor))


def test_a_setsid_grandchild_does_not_outlive_its_job(executor: Executor) -> None:
    if not all(job_uids(executor)):
        pytest.skip("checks leftovers by the job uid, and jobs here keep the worker's uid")
    escape = "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(600)\n"
    result = executor.run_test(PROGRAM, escape + "    os._exit(0)\ntime.sleep(0.1)\nassert True")
    assert result.passed
    # The only process a worker may have under its job uid between jobs is the spare child for the next job.
    for uid in job_uids(executor):
        assert len(processes_of(uid)) <= 1


def skip_unless_files_are_protected(executor: Executor) -> None:
    if executor.mode == "rlimits" and not all(job_uids(executor)):
        pytest.skip("rlimits-only jobs under the worker's own uid can touch its files (docs/sandbox.md)")


def test_writing_outside_the_sandbox_leaves_no_file(executor: Executor, tmp_path: Path) -> None:
    skip_unless_files_are_protected(executor)
    target = tmp_path / "escaped.txt"
    result = run(executor, f"open({str(target)!r}, 'w').write('pwned')")
    assert not result.passed
    assert not target.exists()


@needs_bwrap
def test_a_loopback_port_of_the_host_cannot_be_reached() -> None:
    with socket.socket() as server, Executor(LIMITS, workers=1, sandbox="bwrap") as executor:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.settimeout(0.5)
        port = server.getsockname()[1]
        result = executor.run_test(
            PROGRAM, f"import socket\nsocket.create_connection(('127.0.0.1', {port}), 1)"
        )
        assert not result.passed
        refused = {"ConnectionRefusedError", "OSError", "PermissionError"}  # no route, or seccomp said no
        assert result.exception is not None and result.exception.type in refused
        with pytest.raises(TimeoutError):
            server.accept()


def test_killing_the_parent_is_contained(executor: Executor) -> None:
    result = run(
        executor, "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nimport time; time.sleep(5)"
    )
    assert not result.passed  # either refused (other uid) or the worker died and was replaced


def test_killing_everything_it_can_is_contained(executor: Executor) -> None:
    if not all(job_uids(executor)):
        pytest.skip("kill(-1) from the user's own uid would hit the user's other processes")
    result = run(executor, "import os, signal\nos.kill(-1, signal.SIGKILL)\nassert True")
    assert result.passed  # it killed nothing but processes of its own uid


def test_printing_a_gigabyte_is_cut(executor: Executor) -> None:
    result = run(
        executor, "import sys\nchunk = 'x' * (1 << 20)\nfor _ in range(1024):\n    sys.stdout.write(chunk)"
    )
    assert result.passed
    assert len(result.stdout) < LIMITS.output_bytes + 100
    assert result.stdout.endswith(f"[… cut: {(1 << 30) - LIMITS.output_bytes} more characters]")


def test_printing_a_gigabyte_to_the_raw_descriptor_is_discarded(executor: Executor) -> None:
    result = run(
        executor, "import os\nchunk = b'x' * (1 << 20)\nfor _ in range(1024):\n    os.write(1, chunk)"
    )
    assert result.passed and result.stdout == ""


def test_sys_exit_is_a_failure(executor: Executor) -> None:
    result = run(executor, "import sys; sys.exit(0)")
    assert not result.passed and result.error == "SystemExit: 0 (test line 1)"


def test_os_exit_is_a_failure(executor: Executor) -> None:
    result = run(executor, "import os; os._exit(0)")
    assert not result.passed
    assert result.error == "the program exited (status 0) before the test finished"


def test_deep_recursion_is_a_recursion_error(executor: Executor) -> None:
    result = run(executor, "def down(n):\n    return down(n + 1)\ndown(0)")
    assert result.exception is not None and result.exception.type == "RecursionError"


def test_unbounded_recursion_with_the_limit_lifted_is_contained(executor: Executor) -> None:
    # Python 3.11 keeps pure-Python frames off the C stack, so this runs into time or memory, not SIGSEGV.
    result = run(
        executor, "import sys\nsys.setrecursionlimit(10**8)\ndef down(n):\n    return down(n + 1)\ndown(0)"
    )
    assert not result.passed and (result.killed or result.memory_limit or result.timeout)


def test_reading_stdin_gets_end_of_file_at_once(executor: Executor) -> None:
    result = run(
        executor, "import os, sys\nassert sys.stdin.read() == ''\nassert os.read(0, 10) == b''\ninput()"
    )
    assert result.exception is not None and result.exception.type == "EOFError"
    assert not result.timeout


def test_a_ctypes_null_dereference_is_reported_as_killed(executor: Executor) -> None:
    result = run(executor, "import ctypes\nctypes.string_at(0)")
    assert result.killed and result.error == "killed by signal SIGSEGV"


def test_deleting_files_in_the_working_directory_spares_the_callers_files(
    executor: Executor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    skip_unless_files_are_protected(executor)
    monkeypatch.chdir(tmp_path)
    keep = tmp_path / "precious.txt"
    keep.write_text("keep me")
    wipe = f"import os, shutil\nfor name in os.listdir('.'):\n    shutil.rmtree(name, ignore_errors=True)\nos.remove({str(keep)!r})"
    result = run(executor, wipe)
    assert not result.passed
    assert keep.read_text() == "keep me"


def test_files_a_job_writes_are_gone_for_the_next_job(executor: Executor) -> None:
    assert executor.run_test(PROGRAM, "open('left.txt', 'w').write('x')").passed
    results = executor.run_tests(PROGRAM, ["import os; assert os.listdir('.') == []"] * 4)
    assert all(result.passed for result in results)


def test_the_environment_is_cleared(executor: Executor) -> None:
    os.environ["TRACEFIX_SECRET"] = "hunter2"
    try:
        result = run(executor, "import os\nassert 'TRACEFIX_SECRET' not in os.environ, sorted(os.environ)")
    finally:
        del os.environ["TRACEFIX_SECRET"]
    assert result.passed


def test_jobs_run_without_privileges(executor: Executor) -> None:
    if not all(job_uids(executor)):
        pytest.skip("jobs here keep the worker's uid")
    result = run(executor, "import os\nassert os.getuid() != 0 and os.geteuid() != 0")
    assert result.passed


@needs_bwrap
def test_the_sandbox_sees_no_private_files_of_the_host() -> None:
    with Executor(LIMITS, workers=1, sandbox="bwrap") as executor:
        result = executor.run_test(
            PROGRAM, "import os\nassert not os.path.exists('/work/shared'), os.listdir('/')"
        )
    assert result.passed


def test_a_setsid_grandchild_does_not_outlive_its_job_without_bwrap(tmp_path: Path) -> None:
    """In the fallback the job shares the host's pid space, so the grandchild's pid can be checked directly."""
    pid_file = tmp_path / "pid"
    tmp_path.chmod(0o777)  # a job under a uid of its own must be able to write here
    escape = (
        "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
        f"        open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n        time.sleep(600)\n"
        "    os._exit(0)\ntime.sleep(0.3)\n"
    )
    with Executor(LIMITS, workers=1, sandbox="rlimits") as executor:
        assert executor.run_test(PROGRAM, escape).passed
        pid = int(pid_file.read_text())
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_ip_sockets_are_refused_by_the_seccomp_filter(executor: Executor) -> None:
    run(executor, "pass")
    if not executor.describe()["seccomp"]:
        pytest.skip(f"no seccomp filter here: {executor.describe()['seccomp_errors']}")
    for family in ("AF_INET", "AF_INET6"):
        result = run(executor, f"import socket\nsocket.socket(socket.{family})")
        assert result.error == "PermissionError: [Errno 1] Operation not permitted (test line 2)"


def test_new_namespaces_are_refused(executor: Executor) -> None:
    if not executor.describe()["seccomp"]:
        pytest.skip("no seccomp filter here")
    result = run(
        executor,
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nassert libc.unshare(0x10000000) == -1",
    )
    assert result.passed


def test_multiprocessing_still_works(executor: Executor) -> None:
    pool = "import multiprocessing\nwith multiprocessing.Pool(2) as pool:\n    assert pool.map(abs, [-1, 2]) == [1, 2]"
    assert run(executor, pool).passed


def test_ctypes_cannot_regain_root(executor: Executor) -> None:
    if not all(job_uids(executor)):
        pytest.skip("jobs here keep the worker's uid")
    regain = "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nassert libc.setuid(0) == -1 and libc.seteuid(0) == -1"
    assert run(executor, regain).passed
