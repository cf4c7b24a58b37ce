"""Finding, extracting and replacing one function in a file, keeping every other byte."""

from __future__ import annotations

import pytest

from tracefix.analysis.source import FunctionNotFound, find_function, function_source, replace_function

FILE = """\
import os  # a comment


@decorator
@other(
    1,
)
def target(x):
    # inside
    return x


class Box:
    @property
    def size(self):
        return 1

    def grow(self):
        text = '''
  keep this indentation
'''
        return text
# trailing comment
"""


def test_find_function_spans_decorators_to_the_last_line_of_the_body() -> None:
    assert find_function(FILE, "target") == (4, 10)
    assert find_function(FILE, "Box.size") == (14, 16)
    assert find_function(FILE, "Box.grow") == (18, 22)


def test_function_source_is_the_exact_text_of_those_lines() -> None:
    assert function_source(FILE, "Box.size") == "    @property\n    def size(self):\n        return 1\n"


def test_replace_keeps_everything_else_byte_for_byte() -> None:
    new = replace_function(FILE, "target", "def target(x):\n    return x + 1\n")
    lines = FILE.splitlines(keepends=True)
    assert new == "".join(lines[:3]) + "def target(x):\n    return x + 1\n" + "".join(lines[10:])


def test_replace_reindents_a_method_and_leaves_multiline_strings_alone() -> None:
    replacement = "def grow(self):\n    text = '''\n  keep this indentation\n'''\n    return text * 2\n"
    new = replace_function(FILE, "Box.grow", replacement)
    assert (
        "    def grow(self):\n        text = '''\n  keep this indentation\n'''\n        return text * 2\n"
        in new
    )
    assert new.endswith("# trailing comment\n")
    assert function_source(new, "Box.size") == function_source(FILE, "Box.size")


def test_replace_accepts_indented_source_and_keeps_crlf_line_endings() -> None:
    source = "x = 1\r\ndef f():\r\n    return 1\r\ny = 2  # end\r\n"
    new = replace_function(source, "f", "    def f():\n        return 2\n")
    assert new == "x = 1\r\ndef f():\r\n    return 2\r\ny = 2  # end\r\n"


def test_replace_at_end_of_file_without_final_newline() -> None:
    assert (
        replace_function("def f():\n    return 1", "f", "def f():\n    return 2\n")
        == "def f():\n    return 2"
    )


def test_a_missing_function_lists_the_functions_in_the_file() -> None:
    with pytest.raises(FunctionNotFound, match=r"functions in the file: target, Box\.size, Box\.grow"):
        find_function(FILE, "nope")
