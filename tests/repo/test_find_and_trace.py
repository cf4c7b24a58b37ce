"""Finding the function under test of a failing pytest test, and tracing it while the test runs (sandboxed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from samples import SHOP, write_repo

from tracefix.repo.fix import examine, trace_found
from tracefix.repo.locate import RepoError
from tracefix.repo.run import CallsSpec, run_pytest

pytestmark = pytest.mark.slow  # every test runs pytest in sandboxed children (seconds each)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_repo(tmp_path_factory.mktemp("shop"), SHOP)


def line_of(repo: Path, relative: str, text: str) -> int:
    lines = (repo / relative).read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def test_a_wrong_value_is_traced_in_the_function_the_test_calls_with_a_fixture(shop: Path) -> None:
    found = examine(str(shop), "tests/test_pricing.py::test_subtotal")
    assert found.result.outcome == "failed" and "assert 6 == 8" in found.result.message
    assert (found.target.file, found.target.qualname, found.target.how) == (
        "shop/pricing.py",
        "subtotal",
        "spectrum",
    )
    assert found.test.startswith("def test_subtotal(lines):")

    trace = trace_found(found)
    cfg = found.cfg
    body = cfg.line_to_block()[line_of(shop, "shop/pricing.py", "result = line_price(qty, unit)")]
    assert trace.block_counts[body] == 2  # the loop body ran once per line of the fixture's order
    states = [visit.state["result"] for visit in trace.visits if visit.block == body]
    assert states == ["2", "6"]  # overwritten, not summed: the evidence of the bug
    assert trace.return_value == "6" and not trace.passed
    assert trace.exception is not None and trace.exception.in_test


def test_an_exception_in_a_helper_of_another_module_makes_the_helper_the_target(shop: Path) -> None:
    found = examine(str(shop), "tests/test_pricing.py::test_with_tax")
    assert (found.target.file, found.target.qualname, found.target.how) == (
        "shop/rates.py",
        "rate",
        "spectrum",
    )
    trace = trace_found(found)
    assert trace.visits[0].state == {"region": "'eu'"}
    assert trace.exception is not None and trace.exception.type == "KeyError"
    assert not trace.exception.in_test
    assert trace.exception.line == line_of(shop, "shop/rates.py", "return RATES[region.upper()]")
    assert trace.visits[-1].exception is not None and "KeyError" in trace.visits[-1].exception


def test_a_decorated_method_is_found_through_its_wrapper_and_traced(shop: Path) -> None:
    found = examine(str(shop), "tests/test_cart.py::test_count")
    assert (found.target.file, found.target.qualname) == ("shop/cart.py", "Cart.count")
    trace = trace_found(found)
    body = found.cfg.line_to_block()[line_of(shop, "shop/cart.py", "items += 1")]
    assert trace.block_counts[body] == 2
    assert [v.state["items"] for v in trace.visits if v.block == body] == ["1", "2"]
    assert trace.return_value == "2"


def test_a_test_that_does_not_exist_is_a_user_error(shop: Path) -> None:
    with pytest.raises(RepoError, match="cannot find the test function"):
        examine(str(shop), "tests/test_pricing.py::test_nothing")
    with pytest.raises(RepoError, match="no test file"):
        examine(str(shop), "tests/test_missing.py::test_x")


UNITTEST_REPO = {
    "pytest.ini": "[pytest]\n",
    "calc/__init__.py": "",
    "calc/ops.py": """
        def double(x):
            return x + x if x != 3 else 7
    """,
    "tests/__init__.py": """
        from calc.ops import double


        class DoubleMixin:
            def test_double_inherited(self):
                self.assertEqual(double(3), 6)
    """,
    "tests/test_ops.py": """
        import unittest

        from calc.ops import double
        from tests import DoubleMixin


        class DoubleTest(unittest.TestCase, DoubleMixin):
            def test_double_in_subtests(self):
                for x in range(5):
                    with self.subTest(x=x):
                        self.assertEqual(double(x), 2 * x)
    """,
}


@pytest.fixture(scope="module")
def unittest_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_repo(tmp_path_factory.mktemp("calc"), UNITTEST_REPO)


def test_a_test_failing_only_in_a_subtest_fails_with_the_subtests_failure(unittest_repo: Path) -> None:
    # pytest reports the test itself as passed when only a subTest failed; the repository mode must not.
    found = examine(str(unittest_repo), "tests/test_ops.py::DoubleTest::test_double_in_subtests")
    assert found.result.outcome == "failed" and "7 != 6" in found.result.message
    assert (found.target.file, found.target.qualname) == ("calc/ops.py", "double")


def test_an_inherited_test_method_is_found_in_its_base_class(unittest_repo: Path) -> None:
    found = examine(str(unittest_repo), "tests/test_ops.py::DoubleTest::test_double_inherited")
    assert found.test.startswith("def test_double_inherited(self):")
    assert found.result.outcome == "failed" and (found.target.file, found.target.qualname) == (
        "calc/ops.py",
        "double",
    )


def test_the_calls_of_the_target_files_functions_are_recorded_while_the_test_runs(shop: Path) -> None:
    found = examine(str(shop), "tests/test_pricing.py::test_subtotal")
    spec = CallsSpec(found.nodeid, str(shop / "shop/pricing.py"), found.test)
    run = run_pytest(str(shop), [found.nodeid], calls=spec)
    assert run.calls is not None and not run.calls.passed
    assert [(c.function, c.args, c.result, c.parent) for c in run.calls.calls] == [
        ("subtotal", {"lines": "[(1, 2), (2, 3)]"}, "6", None),
        ("line_price", {"qty": "1", "unit": "2"}, "2", 0),
        ("line_price", {"qty": "2", "unit": "3"}, "6", 0),
    ]
