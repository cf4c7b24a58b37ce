"""The sandboxed pytest child: outcomes, isolation of the repository, the wall timeout, both sandbox modes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from samples import write_repo

from tracefix.repo.run import Budget, run_pytest, sandbox_mode

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


def test_a_test_that_never_ends_is_stopped_where_it_is_and_the_run_goes_on(repo: Path) -> None:
    nodeids = ["tests/test_side.py::test_spins", "tests/test_side.py::test_sees_its_own_pid"]
    run = run_pytest(str(repo), nodeids, budget=Budget(run_s=60, test_s=1))
    spins, pid = run.tests
    assert run.error is None and spins.timeout and not spins.passed and pid.passed
    assert spins.exc_type == "TestDidNotFinish" and spins.message == "the test did not finish in 1 s"
    assert spins.frames and spins.frames[-1].function == "test_spins"  # where it was when stopped


def test_a_run_past_its_whole_budget_is_killed(repo: Path) -> None:
    run = run_pytest(str(repo), ["tests/test_side.py::test_spins"], budget=Budget(run_s=4, test_s=None))
    assert run.error == "pytest timed out after 4 s" and run.tests == []


def test_a_project_that_turns_warnings_into_errors_still_runs(tmp_path: Path) -> None:
    # toolz and humanize set filterwarnings = error: pytest's warning that the child imported tracefix (a
    # package with a pytest plugin) before it could be rewritten must not stop the run at configuration.
    repo = write_repo(
        tmp_path,
        {
            "pytest.ini": "[pytest]\nfilterwarnings =\n    error\n",
            "tests/test_warn.py": """
                import warnings


                def test_passes():
                    assert 1 + 1 == 2


                def test_a_warning_of_the_project_is_still_an_error():
                    warnings.warn("deprecated", DeprecationWarning)
            """,
        },
    )
    run = run_pytest(str(repo), ["tests/test_warn.py"], sandbox="rlimits")
    assert run.error is None, run.stderr
    outcomes = {test.nodeid.split("::")[1]: test for test in run.tests}
    assert outcomes["test_passes"].passed
    failed = outcomes["test_a_warning_of_the_project_is_still_an_error"]
    assert failed.outcome == "failed" and failed.exc_type == "DeprecationWarning"
