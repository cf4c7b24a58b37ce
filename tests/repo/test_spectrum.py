"""Spectrum-based fault localization: ranking functions by the lines failing and passing tests ran."""

from __future__ import annotations

import math
import os
import textwrap
from pathlib import Path

import pytest
from samples import write_repo

from tracefix.repo.fix import examine, task_for, visible_cases
from tracefix.repo.run import Spectrum
from tracefix.repo.spectrum import ochiai, rank

MODULE = textwrap.dedent(
    """
    def helper(x):
        if x > 1:
            return 0
        return x


    def caller(values):
        return [helper(v) for v in values]


    def unrelated():
        return 1
    """
).lstrip("\n")


@pytest.fixture
def module(tmp_path: Path) -> str:
    path = tmp_path / "m.py"
    path.write_text(MODULE, encoding="utf-8")
    return os.path.realpath(path)


def test_ochiai_is_the_share_of_failing_tests_over_the_tests_that_ran_a_line() -> None:
    assert ochiai(2, 0, 2) == 1.0
    assert ochiai(1, 3, 2) == pytest.approx(1 / math.sqrt(2 * 4))
    assert ochiai(0, 5, 2) == 0.0 and ochiai(1, 0, 0) == 0.0


def test_the_function_with_the_line_only_failing_tests_ran_ranks_first(module: str) -> None:
    tests = ["t::fail", "t::pass_a", "t::pass_b"]
    # line 2 (the `if`) and 4 ran in every test; line 3 (`return 0`) only in the failing one
    spectrum = Spectrum(tests, {module: {2: [0, 1, 2], 3: [0], 4: [1, 2], 8: [0, 1, 2], 12: [1]}})
    passed = {"t::fail": False, "t::pass_a": True, "t::pass_b": True}
    ranked = rank(spectrum, passed, os.path.dirname(module), "t::fail")
    assert [(s.qualname, s.line, s.score) for s in ranked] == [
        ("helper", 3, 1.0),
        ("caller", 8, pytest.approx(1 / math.sqrt(3))),
    ]  # `unrelated` did not run in the failing test: no candidate
    assert (
        ranked[0].why() == "line 3 ran in 1 of the test file's 1 failing tests and 0 of its 2 passing tests"
    )
    assert rank(spectrum, passed, os.path.dirname(module), "t::pass_a") == []  # not a failing test


def test_functions_the_same_tests_ran_tie_and_the_preferred_one_wins(module: str) -> None:
    spectrum = Spectrum(["t::fail", "t::pass"], {module: {2: [0], 3: [0], 8: [0]}})
    passed = {"t::fail": False, "t::pass": True}
    root = os.path.dirname(module)
    assert [s.qualname for s in rank(spectrum, passed, root, "t::fail")] == ["helper", "caller"]  # file order
    preferred = rank(spectrum, passed, root, "t::fail", prefer=[(module, "caller")])
    assert [s.qualname for s in preferred] == ["caller", "helper"]


STATS = {
    "calc/__init__.py": "",
    "calc/stats.py": '''
        """Means of clipped values."""


        def _clip(x, low, high):
            if x < low:
                return low
            if x > high:
                return low
            return x


        def clipped_mean(values, low, high):
            """The mean of the values, each clipped to [low, high]."""
            clipped = [_clip(v, low, high) for v in values]
            return sum(clipped) / len(clipped)
    ''',
    "tests/test_stats.py": """
        from calc.stats import clipped_mean


        def test_mean_inside():
            assert clipped_mean([1, 2, 3], 0, 10) == 2


        def test_mean_low():
            assert clipped_mean([-5, 5], 0, 10) == 2.5


        def test_mean_high():
            assert clipped_mean([5, 15], 0, 10) == 7.5
    """,
}


@pytest.mark.slow  # runs pytest in sandboxed children
def test_a_bug_in_a_helper_the_test_never_names_is_found_and_every_test_running_it_is_visible(
    tmp_path: Path,
) -> None:
    repo = write_repo(tmp_path / "stats", STATS)
    found = examine(str(repo), "tests/test_stats.py::test_mean_high")
    # The assertion fails in the test and the test calls clipped_mean; the line `return low` under `x > high`
    # ran in the failing test only.
    assert (found.target.file, found.target.qualname, found.target.how) == (
        "calc/stats.py",
        "_clip",
        "spectrum",
    )
    assert (
        found.target.why == "line 8 ran in 1 of the test file's 1 failing tests and 0 of its 2 passing tests"
    )
    cases = visible_cases(found)
    assert [case.nodeid for case in cases] == [
        "tests/test_stats.py::test_mean_high",
        "tests/test_stats.py::test_mean_inside",
        "tests/test_stats.py::test_mean_low",
    ]  # none of them calls _clip by name
    said = {(s.line, s.code): (s.failed, s.passed) for s in task_for(found, cases).suspicions}
    assert said == {
        (5, "if x < low:"): (1, 2),
        (7, "if x > high:"): (1, 2),
        (8, "return low"): (1, 0),  # the other `return low` (line 6) did not run in the failing test
        (9, "return x"): (1, 2),
    }


@pytest.mark.slow  # runs pytest in sandboxed children
def test_when_the_first_suspect_is_not_fixed_the_next_one_is_debugged_and_its_fix_applied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from click.testing import CliRunner

    import tracefix.cli.common as common
    from tracefix.cli import main
    from tracefix.models.fake import ScriptedModel

    repo = write_repo(tmp_path / "stats", STATS)
    wrong_clip = "def _clip(x, low, high):\n    return x\n"  # the first suspect, "fixed" wrongly
    own_clip = (
        "def clipped_mean(values, low, high):\n    clipped = [min(max(v, low), high) for v in values]\n"
        "    return sum(clipped) / len(clipped)\n"
    )
    replies = [f"```python\n{wrong_clip}```", f"```python\n{own_clip}```"]
    monkeypatch.setattr(common, "load_model", lambda spec: ScriptedModel(replies))
    args = ["pytest", "tests/test_stats.py::test_mean_high", "--root", str(repo), "--max-iters", "1"]
    result = CliRunner().invoke(main, [*args, "--apply", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert [(d["function"], d["passes"]) for d in out["debugged"]] == [
        ("_clip", False),
        ("clipped_mean", True),
    ]
    assert (
        out["debugged"][1]["found_by"] == "spectrum" and out["applied"] and out["changed"] == ["clipped_mean"]
    )
    assert "min(max(v, low), high)" in (repo / "calc/stats.py").read_text()

    again = write_repo(tmp_path / "again", STATS)
    monkeypatch.setattr(common, "load_model", lambda spec: ScriptedModel(replies[:1]))
    args[3] = str(again)
    result = CliRunner().invoke(main, [*args, "--suspects", "1", "--json"])
    assert result.exit_code == 1 and [d["function"] for d in json.loads(result.output)["debugged"]] == [
        "_clip"
    ]
