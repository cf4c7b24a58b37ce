"""The sandboxed pytest child: outcomes, isolation of the repository, the wall timeout, both sandbox modes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from samples import write_repo

from tracefix.repo.run import run_pytest, sandbox_mode

REPO = {
    "pytest.ini": "[pytest]\n",
    "tests/test_side.py": """
        import os


        def test_writes_into_the_repository():
            with open("written.txt", "w") as f:
                f.write("x")


        def test_sees_its_own_pid():
            print("pid", os.getpid())
            assert os.getpid() > 0


        def test_spins():
            while True:
                pass
    """,
}

pytestmark = pytest.mark.slow  # every test runs pytest in sandboxed children (seconds each)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_repo(tmp_path_factory.mktemp("side"), REPO)


@pytest.mark.skipif(sandbox_mode() != "bwrap", reason="bubblewrap cannot run here")
def test_in_bwrap_the_repository_is_read_only_and_the_test_runs_in_another_pid_namespace(repo: Path) -> None:
    run = run_pytest(
        str(repo),
        ["tests/test_side.py::test_writes_into_the_repository", "tests/test_side.py::test_sees_its_own_pid"],
    )
    assert run.sandbox == "bwrap"
    written, pid = run.tests
    assert (
        written.outcome == "failed"
        and written.exc_type == "OSError"
        and "Read-only file system" in written.message
    )
    assert not (repo / "written.txt").exists()
    assert pid.passed
    assert (
        int(pid.stdout.split()[1]) != os.getpid() and int(pid.stdout.split()[1]) < 10
    )  # a new pid namespace


def test_the_rlimits_fallback_runs_the_same_tests_in_a_child_process(repo: Path) -> None:
    run = run_pytest(str(repo), ["tests/test_side.py::test_sees_its_own_pid"], sandbox="rlimits")
    assert run.sandbox == "rlimits" and [t.outcome for t in run.tests] == ["passed"]
    assert int(run.tests[0].stdout.split()[1]) != os.getpid()


def test_a_test_that_never_ends_is_killed_at_the_wall_timeout(repo: Path) -> None:
    run = run_pytest(str(repo), ["tests/test_side.py::test_spins"], timeout_s=8)
    assert run.error == "pytest timed out after 8 s" and run.tests == []
