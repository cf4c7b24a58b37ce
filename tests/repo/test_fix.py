"""Fixing a failing pytest test: the patch touches only the changed functions; --apply checks before writing.

The model here is scripted (orchestration only); the real embedded model is in test_model.py.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from samples import SEARCH, SHOP, write_repo

from tracefix.cli import main
from tracefix.models.fake import ScriptedModel
from tracefix.repo.fix import debug_found, examine, merge_functions
from tracefix.repo.run import run_pytest

ORIGINAL = textwrap.dedent(
    '''
    """Module docstring."""
    import functools


    def helper(x):
        # keep this comment
        return x + 1


    class Box:
        # about count
        @functools.cache
        def count(self, n):
            return n * 2  # doubled


    def untouched(y):
        return y  # a comment the model drops
    '''
).lstrip()


def test_only_functions_whose_code_changed_are_replaced_in_the_original_text() -> None:
    candidate = textwrap.dedent(
        """
        import functools
        def untouched(y):
            return y
        def helper(x):
            return x + 2
        class Box:
            @functools.cache
            def count(self, n):
                return n * 3
        def brand_new():
            pass
        """
    )
    merged, changed = merge_functions(ORIGINAL, candidate)
    assert changed == ["helper", "Box.count"]
    expected = ORIGINAL.replace("    # keep this comment\n    return x + 1\n", "    return x + 2\n").replace(
        "        return n * 2  # doubled", "        return n * 3"
    )
    assert merged == expected  # indentation of the method restored; comments outside kept; nothing added
    assert "return y  # a comment the model drops" in merged and "brand_new" not in merged


def test_a_candidate_that_does_not_parse_changes_nothing() -> None:
    assert merge_functions(ORIGINAL, "def helper(:\n") == (ORIGINAL, [])


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return write_repo(tmp_path / "shop", SHOP)


def cart_with(shop: Path, old: str, new: str) -> str:
    text = (shop / "shop/cart.py").read_text()
    assert old in text
    return text.replace(old, new)


def reply(program: str) -> str:
    return f"BLOCK 2: wrong - counts lines\n```python\n{program}```\n"


@pytest.mark.slow  # runs pytest in sandboxed children
def test_the_patch_touches_only_the_method_and_passes_its_test_file(shop: Path) -> None:
    before = (shop / "shop/cart.py").read_text()
    found = examine(str(shop), "tests/test_cart.py::test_count")
    fixed = cart_with(shop, "items += 1  # counts this line", "items += qty")
    model = ScriptedModel([reply(fixed)])
    fix = debug_found(found, model, max_iters=1)

    assert fix.session.outcome == "fixed" and fix.changed == ["Cart.count"]
    changes = [line for line in fix.diff.splitlines()[2:] if line[:1] in "+-"]
    assert changes == ["-            items += 1  # counts this line", "+            items += qty"]
    assert fix.passes and not fix.applied
    assert (shop / "shop/cart.py").read_text() == before  # only --apply writes
    prompt = model.requests[0][0][-1].content
    assert model.requests[0][1].end_of == "count"  # only the method of the reply is read: it ends there
    assert "How many items the cart holds." in prompt and "def test_count():" in prompt
    # ldb's hole format: the loop the trace blames is cut out; the finding comes from the sandboxed pytest run
    assert "        items = 0\n        # TODO: the code that was here is wrong" in prompt
    assert "`items` is returned as 2; it changed in BLOCK 0 (once), BLOCK 2 (2 times)." in prompt


def invoke(monkeypatch: pytest.MonkeyPatch, replies: list[str], *args: str) -> tuple[int, str]:
    import tracefix.cli.common as common

    monkeypatch.setattr(common, "load_model", lambda spec: ScriptedModel(replies))
    result = CliRunner().invoke(main, ["pytest", *args])
    return result.exit_code, result.output


@pytest.mark.slow  # runs pytest in sandboxed children
def test_apply_refuses_a_patch_under_which_the_test_still_fails(
    shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = (shop / "shop/cart.py").read_text()
    wrong = cart_with(shop, "items += 1  # counts this line", "items += 2")
    # ties=newest: the wrong program fails as many tests as the original and must still be the one proposed
    # (the hole format's default, ties=oldest, would keep the original and propose nothing)
    code, output = invoke(
        monkeypatch, [reply(wrong)] * 2, "tests/test_cart.py::test_count", "--root", str(shop),
        "--max-iters", "1", "--apply", "--report", str(shop.parent / "report.html"),
        "--strategy", "ldb[ties=newest]",
    )  # fmt: skip
    assert code == 1
    assert "<html" in (shop.parent / "report.html").read_text().lower()
    assert "function under test: shop/cart.py:Cart.count (found by spectrum: line " in output
    assert "+            items += 2" in output
    assert "tests/test_cart.py::test_count: AssertionError: assert 4 == 5" in output
    assert "did not write: tests still fail with the patch" in output and "report: " in output
    assert (shop / "shop/cart.py").read_text() == before


@pytest.mark.slow  # runs pytest in sandboxed children
def test_apply_writes_a_patch_when_the_test_passes_and_no_other_test_of_its_file_breaks(
    shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fixed = (shop / "shop/pricing.py").read_text().replace("result = line_price", "result += line_price")
    code, output = invoke(
        monkeypatch, [reply(fixed)], "tests/test_pricing.py::test_subtotal", "--root", str(shop),
        "--max-iters", "1", "--apply", "--json",
    )  # fmt: skip
    assert code == 0, output
    out = json.loads(output)
    evidence = out["target"].pop("evidence")
    assert out["target"] == {"file": "shop/pricing.py", "function": "subtotal", "found_by": "spectrum"}
    assert evidence.startswith("line ") and "ran in 1 of the test file's 2 failing tests" in evidence
    assert out["applied"] and out["changed"] == ["subtotal"] and out["check_failures"] == []
    assert "Its fixtures:\n@pytest.fixture\ndef lines():" in out["session"]["task"]["description"]
    assert [line.split(": ")[0] for line in out["failing_before"]] == ["tests/test_pricing.py::test_with_tax"]
    assert (shop / "shop/pricing.py").read_text() == fixed
    after = run_pytest(str(shop), ["tests/test_pricing.py::test_subtotal"])
    assert [t.outcome for t in after.tests] == ["passed"]


@pytest.mark.slow  # runs pytest in sandboxed children
def test_pytest_plugin_prints_the_block_trace_of_each_failing_test_only_when_asked(shop: Path) -> None:
    import subprocess
    import sys

    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_pricing.py"]
    plain = subprocess.run(command, cwd=shop, capture_output=True, text=True, timeout=300)
    assert "2 failed, 1 passed" in plain.stdout and "tracefix" not in plain.stdout
    traced = subprocess.run([*command, "--tracefix"], cwd=shop, capture_output=True, text=True, timeout=600)
    assert "= tracefix =" in traced.stdout
    assert "--- tests/test_pricing.py::test_with_tax" in traced.stdout
    assert "function under test: shop/rates.py:rate (found by spectrum: line " in traced.stdout
    assert "function under test: shop/pricing.py:subtotal (found by spectrum: line " in traced.stdout
    assert "path: 0 -> [1 -> 2] x2 -> 1 -> 3" in traced.stdout


@pytest.mark.slow  # runs pytest in sandboxed children
def test_trace_only_with_target_traces_a_passing_test_without_a_model(shop: Path) -> None:
    args = [
        "pytest",
        "tests/test_cart.py::test_total",
        "--root",
        str(shop),
        "--target",
        "shop.cart:Cart.total",
    ]
    result = CliRunner().invoke(main, [*args, "--trace-only", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["outcome"] == "passed" and out["target"]["found_by"] == "--target"
    assert out["trace"]["return_value"] == "5" and out["trace"]["passed"]
    assert "session" not in out


@pytest.mark.slow  # runs pytest in sandboxed children
def test_the_plugin_fix_section_shows_the_proposed_diff_and_whether_it_passes(shop: Path) -> None:
    from tracefix.pytest_plugin import _explain

    fixed = (shop / "shop/rates.py").read_text().replace("region.upper()", "region.lower()")
    lines = _explain(str(shop), "tests/test_pricing.py::test_with_tax", ScriptedModel([reply(fixed)]), {})
    assert lines[:2] == [
        "--- tests/test_pricing.py::test_with_tax",
        "function under test: shop/rates.py:rate (found by spectrum: line 8 ran in 1 of the test file's 2 failing tests and 0 of its 1 passing tests)",
    ]
    start = lines.index("proposed fix (passes its test file):")
    assert lines[start + 1 :] == [
        "--- a/shop/rates.py",
        "+++ b/shop/rates.py",
        "@@ -5,4 +5,4 @@",
        " ",
        " def rate(region):",
        '     """The tax rate of a region ("eu" or "us")."""',
        "-    return RATES[region.upper()]",
        "+    return RATES[region.lower()]",
    ]


def test_a_test_that_never_ends_is_debugged_from_its_trace_with_every_case_of_its_test_visible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = write_repo(tmp_path / "search", SEARCH)
    source = (repo / "algos" / "search.py").read_text()
    fixed = source.replace("low = mid\n", "low = mid + 1\n")
    half = fixed.replace("return -1", "return None")  # ends, but fails the case looking for a missing value
    args = [
        "tests/test_search.py::test_find",
        "--root",
        str(repo),
        "--test-timeout",
        "1",
        "--apply",
        "--json",
    ]
    code, output = invoke(monkeypatch, [f"```python\n{half}```", f"```python\n{fixed}```"], *args)
    assert code == 0, output
    out = json.loads(output)
    session = out["session"]
    cases = [test.splitlines()[0] for test in session["task"]["visible_tests"]]
    assert cases == [
        "# pytest case test_find[xs2-4-1]: xs=[2, 4], x=4, index=1",  # the failing case first
        "# pytest case test_find[xs0-5-2]: xs=[1, 3, 5, 7], x=5, index=2",
        "# pytest case test_find[xs1-1-0]: xs=[1, 3, 5, 7], x=1, index=0",
        "# pytest case test_find[xs3-3--1]: xs=[2, 4], x=3, index=-1",
    ]  # test_unrelated does not call find
    first = session["attempts"][0]
    assert first["trace"]["timeout"]
    prompt = first["messages"][-1]["content"]
    assert "The test did not finish: the loop at line 7 (`while low <= high:`) ran" in prompt
    assert "`low` stayed 0; `high` stayed 1." in prompt and "(the loop never ended)" in prompt
    assert [r["passed"] for r in first["test_results"]] == [
        True,
        True,
        True,
        False,
    ]  # not fixed: a case fails
    assert session["outcome"] == "fixed" and len(session["attempts"]) == 2
    assert out["applied"] and (repo / "algos" / "search.py").read_text() == fixed


def test_the_check_counts_a_case_of_the_test_that_failed_before_as_well(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = write_repo(tmp_path / "search", SEARCH)
    source = (repo / "algos" / "search.py").read_text()
    half = source.replace("low = mid\n", "low = mid + 1\n").replace("return -1", "return None")
    args = [
        "tests/test_search.py::test_find",
        "--root",
        str(repo),
        "--test-timeout",
        "1",
        "--apply",
        "--json",
    ]
    code, output = invoke(monkeypatch, [f"```python\n{half}```"] * 4, *args, "--max-iters", "1")
    out = json.loads(output)
    assert code == 1 and out["session"]["outcome"] == "failed" and not out["applied"]
    assert any("test_find[xs3-3--1]" in failure for failure in out["check_failures"])
    assert (repo / "algos" / "search.py").read_text() == source


def test_a_test_whose_module_never_finishes_importing_is_not_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {
        "pytest.ini": "[pytest]\n",
        "spin.py": "while True:\n    pass\n",
        "tests/test_spin.py": "import spin\n\n\ndef test_x():\n    assert spin\n",
    }
    repo = write_repo(tmp_path / "spin", files)
    code, output = invoke(
        monkeypatch, [], "tests/test_spin.py::test_x", "--root", str(repo), "--timeout", "3"
    )
    assert code == 1 and "did not run: pytest timed out after 3 s" in output


STATS_REPO = Path(__file__).parents[2] / "examples" / "stats_repo"
"""The shipped repository example: test_report -> report -> sum_of_squares -> squares, where the bug is."""


@pytest.mark.slow  # runs pytest in sandboxed children
def test_hierarchical_finds_the_helper_two_calls_below_the_test_and_fixes_it_on_its_unit_tests(
    tmp_path: Path,
) -> None:
    repo = shutil.copytree(STATS_REPO, tmp_path / "stats_repo")
    found = examine(str(repo), "tests/test_core.py::test_report")
    assert found.target.qualname == "report"  # the function the test calls, not where the bug is
    fixed = "```python\ndef squares(xs):\n    return [x * x for x in xs]\n```"
    # squares([1, 3]) returned [2, 6]: the leaf is judged first, and the three replies agree
    model = ScriptedModel(["1: should be [1, 9]", "1: should be [1, 9]", "1: should be [1, 9]", fixed])
    fix = debug_found(found, model, strategy="hierarchical", max_iters=1)
    record = fix.session.attempts[0].hierarchy
    assert record is not None and record.order == ["squares", "sum_of_squares", "report"]
    assert record.debugged == "squares" and record.tests == ["assert squares([1, 3]) == [1, 9]"]
    assert fix.session.outcome == "fixed" and fix.changed == ["squares"] and fix.passes
    assert not (repo / "tracefix_units_test.py").exists()  # the unit tests lived in the copy only
    judged = model.requests[0][0][1].content  # the module is not shown whole: squares and its caller
    assert "def squares(xs):" in judged and "def sum_of_squares(xs):" in judged and "def report" not in judged


@pytest.mark.slow  # runs pytest in sandboxed children
def test_a_hunk_of_the_reply_the_tests_do_not_need_is_undone_before_the_check(shop: Path) -> None:
    found = examine(str(shop), "tests/test_pricing.py::test_subtotal")
    source = (shop / "shop/pricing.py").read_text()
    fixed = source.replace("result = line_price", "result += line_price")
    noisy = fixed.replace("    result = 0\n", "    result = 0 * 1\n")  # a needless change two lines above
    fix = debug_found(found, ScriptedModel([reply(noisy)]), max_iters=1, suspects=1)
    assert fix.session.outcome == "fixed" and fix.undone == 1
    assert fix.patched == fixed and fix.passes
    assert "0 * 1" in fix.session.final_program  # the session keeps what the model wrote


@pytest.mark.slow  # runs pytest in sandboxed children
def test_a_module_that_imports_what_is_not_installed_runs_with_stand_ins_and_is_fixed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pricing = """\
        import requests_not_installed as requests
        from yaml_not_installed.loader import safe_load


        def subtotal(lines):
            total = 0
            for qty, unit in lines:
                total = qty * unit
            return total
        """
    repo = write_repo(
        tmp_path / "repo",
        {
            "shop/__init__.py": "",
            "shop/pricing.py": pricing,
            "tests/test_pricing.py": """\
                from shop.pricing import subtotal


                def test_subtotal():
                    assert subtotal([(1, 2), (3, 4)]) == 14


                def test_one():
                    assert subtotal([(2, 5)]) == 10
                """,
        },
    )
    fixed = (repo / "shop/pricing.py").read_text().replace("total = qty * unit", "total += qty * unit")
    args = ["tests/test_pricing.py::test_subtotal", "--root", str(repo), "--max-iters", "1", "--apply"]
    code, output = invoke(monkeypatch, [reply(fixed)], *args, "--stand-ins", "off")
    assert code == 1 and "ModuleNotFoundError: No module named 'requests_not_installed'" in output
    code, output = invoke(monkeypatch, [reply(fixed)], *args, "--json")
    assert code == 0, output
    out = json.loads(output)
    assert out["stand_ins"] == ["requests_not_installed", "yaml_not_installed"]  # .loader: served by it
    assert out["trace"]["return_value"] == "12" and out["applied"]
    assert (
        "replaced by invented stand-ins when the tests run: `requests_not_installed`"
        in (out["session"]["task"]["description"])
    )
    assert (
        repo / "shop/pricing.py"
    ).read_text() == fixed  # the imports are kept: the user's environment has them
