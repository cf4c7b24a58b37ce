"""The findings of ldb's hints, from real traces taken in the sandbox (no model)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tracefix.analysis.cfg import build_cfg
from tracefix.execution.limits import Limits
from tracefix.execution.sandbox import Executor
from tracefix.strategies.ldb.findings import (
    findings,
    first_difference,
    same_value,
    type_finding,
)

DOUBLES = """\
def doubles(xs):
    out = []
    for x in xs:
        y = x + x if x > 1 else x
        out.append(y)
    return out
"""

GROUPS = """\
def groups(text):
    found = []
    depth = 0
    for char in text:
        depth += 1 if char == "(" else -1
    return found
"""


@pytest.fixture(scope="module")
def executor() -> Iterator[Executor]:
    with Executor() as running:
        yield running


def facts(executor: Executor, program: str, entry: str, test: str, expected: str) -> list[str]:
    trace = executor.trace(program, entry, test)
    assert trace.visits, trace.error
    return [f.text for f in findings(program, build_cfg(program, entry), trace, ["xs", "text"], expected)]


def test_the_first_wrong_element_is_traced_to_the_run_that_added_it(executor: Executor) -> None:
    found = facts(executor, DOUBLES, "doubles", "assert doubles([2, 1, 3]) == [4, 2, 6]", "[4, 2, 6]")
    assert found[0].startswith("`out` is returned as [4, 1, 6]; it changed in BLOCK")
    assert found[1].startswith("The first wrong element of `out` is at index 1: 1, where the test expects 2.")
    assert "on its run 2" in found[1] and "x = 1" in found[1] and "y = 1" in found[1]


def test_a_result_that_never_changed_is_said_to_be_untouched(executor: Executor) -> None:
    found = facts(executor, GROUPS, "groups", "assert groups('(()) ()') == [2, 1]", "[2, 1]")
    assert found == ["`found` is returned as [], the value BLOCK 0 gave it; no later block changed it."]


LARGEST = """\
def largest_neg(xs):
    negatives = [x for x in xs if x < 0]
    return max(negatives)
"""


def test_a_variable_the_return_computes_from_is_not_said_to_be_returned(executor: Executor) -> None:
    found = facts(executor, LARGEST, "largest_neg", "assert largest_neg([1, -4, -6]) == -6", "-6")
    assert found == [
        "`negatives` is [-4, -6] when `return max(negatives)` runs, the value BLOCK 0 gave it; "
        "no later block changed it."
    ]


def test_first_difference() -> None:
    assert first_difference([1, 2, 3], [1, 5, 3]) == 1
    assert first_difference("abc", "abd") == 2
    assert first_difference([1], [1, 2]) == 1
    assert first_difference([1, 2], [1, 2]) is None
    assert first_difference([1], (1,)) is None and first_difference(3, 4) is None


def test_the_blamed_block_is_named_with_why(executor: Executor) -> None:
    test = "assert doubles([2, 1, 3]) == [4, 2, 6]"
    cfg = build_cfg(DOUBLES, "doubles")
    found = findings(DOUBLES, cfg, executor.trace(DOUBLES, "doubles", test), ["xs"], "[4, 2, 6]")
    body = next(b.id for b in cfg.blocks if 5 in b.lines)
    assert found[0].culprit is None and found[1].culprit == body
    assert found[1].why == "it put 1 at index 1 of `out`, where the test expects 2"


@pytest.mark.parametrize(
    ("returned", "expected", "text"),
    [
        (
            "inf",
            "2147483647",
            "The function returned a float (inf), but the test expects an int (2147483647).",
        ),
        (
            "20276",
            "2.02e+40",
            "The function returned an int (20276), but the test expects a float (2.02e+40).",
        ),
        (
            "'101'",
            "101",
            "The function returned a string ('101'), but the test expects an int (101): the value is right, only "
            "its type is wrong.",
        ),
        ("16", "None", "The function returned an int (16), but the test expects None."),
        (
            "['2', '1']",
            "[2, 1]",
            "The function returned a list of str elements (['2', '1']), but the test expects int elements "
            "([2, 1]).",
        ),
        ("3", "4", None),  # same type: the value is wrong, which the failure line says already
        ("[]", "[1]", None),
        ("<object at 0x1>", "3", None),  # not a literal: nothing sure to say
        ("3", "f(2)", None),
    ],
)
def test_type_finding(returned: str, expected: str, text: str | None) -> None:
    found = type_finding(returned, expected)
    assert (found.text if found else None) == text


@pytest.mark.parametrize(
    ("got", "want", "same"),
    [
        ("100011", 100011, True),  # a number as a string
        (7, "7", True),
        (20276890389709399862928998568254641025700, 2.027689038970942e40, True),  # // where / was meant
        ([1, 2], (1, 2), True),
        ([(3.0, 4.0)], "[(3.0, 4.0)]", True),  # the str of the right list
        (4.5, 4, False),  # another value
        ("abc", 3, False),
        (True, 0, False),  # a bool is no number here
        (None, 0, False),
        (3, 3, False),  # the same type: not this finding's case
    ],
)
def test_same_value_is_the_expected_value_but_for_its_type(got: object, want: object, same: bool) -> None:
    assert same_value(got, want) is same


INDEX_OF = """\
def index_of(xs, x):
    i = 0
    while i < len(xs):
        if xs[i] == x:
            return i
    return -1
"""


def test_a_run_that_never_ends_names_its_loop_and_the_variables_that_did_not_move(executor: Executor) -> None:
    test = "assert index_of([3, 1, 2], 2) == 2"
    trace = executor.trace(INDEX_OF, "index_of", test, limits=Limits(wall_s=0.4))
    assert trace.timeout
    cfg = build_cfg(INDEX_OF, "index_of")
    (found,) = findings(INDEX_OF, cfg, trace, ["xs", "x"], "2")
    assert found.text.startswith("The test did not finish: the loop at line 3 (`while i < len(xs):`) ran ")
    assert found.text.endswith("times before it was stopped; `i` stayed 0; `xs` stayed [3, 1, 2].")
    assert found.culprit == next(b.id for b in cfg.blocks if b.kind == "while")
    assert found.why == "the loop never ended"


def test_a_for_loop_over_a_growing_list_says_how_its_target_moved(executor: Executor) -> None:
    program = "def grow(xs):\n    for x in xs:\n        xs.append(x + 1)\n    return xs\n"
    trace = executor.trace(program, "grow", "assert grow([1]) == [1, 2]", limits=Limits(wall_s=0.4))
    (found,) = findings(program, build_cfg(program, "grow"), trace, ["xs"], "[1, 2]")
    assert "the loop at line 2 (`for x in xs:`) ran" in found.text and "`x` went ... " in found.text
