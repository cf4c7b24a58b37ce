"""Visible tests read from the examples in a docstring."""

from __future__ import annotations

import pytest

from tracefix.bench.docstring_tests import docstring_tests


def doc(body: str, signature: str = "def f(x):") -> str:
    return f'{signature}\n    """\n{body}\n    """\n'


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("    >>> f(1)\n    2", ["assert f(1) == 2"]),
        ("    >>> f([1,\n    ... 2])\n    [3,\n    4]", ["assert f([1, 2]) == [3, 4]"]),
        ("    >>> f('a')  # a comment\n    'b'", ["assert f('a') == 'b'"]),
        ("    >>> f(1) == 2", ["assert f(1) == 2"]),
        ("    >>> f(1)\n    2\n    >>> f(1)\n    2", ["assert f(1) == 2"]),  # duplicates dropped
    ],
)
def test_doctest_examples(body: str, expected: list[str]) -> None:
    assert docstring_tests(doc(body), "f") == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("f(1) ==> 2", "assert f(1) == 2"),
        ("f(1) => true", "assert f(1) == True"),
        ("f([1, 2]) ➞ [2]", "assert f([1, 2]) == [2]"),
        ("f('x') returns 'y'", "assert f('x') == 'y'"),
        ("f(3) should return 16.", "assert f(3) == 16"),
        ("* f(0) -> False", "assert f(0) == False"),
        ("f(5) returns [1, 5] # because ...", "assert f(5) == [1, 5]"),
        ("f(1.5) == 6.00", "assert f(1.5) == 6.0"),
    ],
)
def test_arrow_examples(line: str, expected: str) -> None:
    assert docstring_tests(doc(f"    {line}"), "f") == [expected]


@pytest.mark.parametrize(
    "line",
    [
        "f(n) = 1 + n / 2, if n is even.",  # not literal arguments
        'f("5 apples", 19) -> 19 - 5 - 6 = 8',  # the result is arithmetic prose, not a literal
        "f(a) => False",  # a bare name is not an argument we can know
        "g(1) == 2",  # another function
    ],
)
def test_prose_is_not_an_example(line: str) -> None:
    assert docstring_tests(doc(f"    {line}"), "f") == []


def test_named_argument_examples_follow_the_signature() -> None:
    body = "    For lst = [1,2,3] the output should be 6\n    Example:\n        Input: arr = [3, 1], k = 1\n        Output: [3]"
    assert docstring_tests(doc(body, "def f(lst):"), "f") == ["assert f([1, 2, 3]) == 6"]
    assert docstring_tests(doc(body, "def f(arr, k):"), "f") == ["assert f([3, 1], 1) == [3]"]
