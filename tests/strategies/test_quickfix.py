"""Quick fixes of a misnamed function or a missing standard import, on test results from the sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tracefix.execution.sandbox import Executor
from tracefix.strategies.ldb.quickfix import quick_fix

MISNAMED = "def rearrange(s):\n    return s if len(s) < 2 else rearrange(s[1:]) + s[0]\n\n\ndef helper():\n    return 1\n"
NO_IMPORT = '''"""Roots."""
from __future__ import annotations


def root(x):
    return math.sqrt(x)
'''


@pytest.fixture(scope="module")
def executor() -> Iterator[Executor]:
    with Executor() as running:
        yield running


def test_a_misnamed_function_is_renamed_with_its_recursive_calls(executor: Executor) -> None:
    test = "assert rearange('ab') == 'ba'"
    (failed,) = executor.run_tests(MISNAMED, [test])
    fix = quick_fix(MISNAMED, failed, "rearange")
    assert fix is not None
    assert (
        fix.note
        == "renamed `rearrange` to `rearange`: the test calls `rearange`, which the program did not define"
    )
    assert (
        "def rearange(s):" in fix.program and "rearange(s[1:])" in fix.program and "def helper" in fix.program
    )
    (passed,) = executor.run_tests(fix.program, [test])
    assert passed.passed


def test_a_missing_standard_import_is_added_after_the_docstring_and_future_imports(
    executor: Executor,
) -> None:
    (failed,) = executor.run_tests(NO_IMPORT, ["assert root(4) == 2"])
    fix = quick_fix(NO_IMPORT, failed, "root")
    assert fix is not None and fix.note.startswith("added `import math`")
    assert fix.program.splitlines()[:3] == [
        '"""Roots."""',
        "from __future__ import annotations",
        "import math",
    ]
    assert executor.run_tests(fix.program, ["assert root(4) == 2"])[0].passed


def test_other_failures_get_no_quick_fix(executor: Executor) -> None:
    unknown = "def f(x):\n    return y\n"
    (result,) = executor.run_tests(unknown, ["assert f(1) == 1"])
    assert result.exception is not None and result.exception.type == "NameError"
    assert quick_fix(unknown, result, "f") is None  # `y` is no module: the trace and the model handle it
    (wrong,) = executor.run_tests("def root(x):\n    return x\n", ["assert root(4) == 2"])
    assert quick_fix("def root(x):\n    return x\n", wrong, "root") is None
    assert quick_fix("def f(:\n", result, "f") is None


def test_only_a_look_alike_name_or_the_only_function_is_renamed(executor: Executor) -> None:
    two = "def similar_elements(a):\n    return a\n\n\ndef other(b):\n    return b\n"
    (failed,) = executor.run_tests(two, ["assert lps('x') == 'x'"])
    assert quick_fix(two, failed, "lps") is None  # neither name is like `lps`
    one = "def similar_elements(a):\n    return a\n"
    fix = quick_fix(one, failed, "lps")
    assert fix is not None and fix.program.startswith("def lps(a):")
