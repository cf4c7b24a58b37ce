"""Where a reply's function ends (``GenParams.end_of``): the cut keeps the function whole and nothing after."""

from __future__ import annotations

import pytest

from tracefix.models.ending import cut, function_end
from tracefix.records import Task
from tracefix.strategies.view import merged

HEAD = "Here is the fix:\n```python\nimport math\n\n"
AREA = "def area(r):\n    return math.pi * r ** 2\n"


def test_the_function_ends_at_the_next_line_as_shallow_as_its_def() -> None:
    text = HEAD + AREA + "\n\ndef _helper():\n    return [2, 3, 5,"
    end = function_end(text, "area")
    assert end is not None and text[end:].startswith("def _helper")
    assert cut(text, "area") == HEAD + AREA + "```"


@pytest.mark.parametrize(
    "text",
    [
        HEAD + AREA,  # nothing after it yet: it may go on
        HEAD + AREA + "    # still the body?\n",
        "```python\ndef area(r):\n    x = '''\nat column 0, inside a string\n",  # does not parse yet
        "no code block: def area(r):\n    return 1\nx = 1\n",
        "```python\ndef other():\n    return 1\n```\nand then\n",  # the block closed without it
    ],
)
def test_not_known_to_have_ended(text: str) -> None:
    assert function_end(text, "area") is None
    assert cut(text, "area") == text


def test_a_comment_at_column_0_does_not_end_it_but_code_does() -> None:
    text = HEAD + AREA + "# a note\nprint(area(2))\n"
    assert cut(text, "area") == HEAD + AREA + "# a note\n```"


def test_a_method_under_its_class_ends_at_the_next_method_and_strings_at_column_0_stay_inside() -> None:
    method = "    def total(self):\n        note = '''\nat column 0\n'''\n        return sum(self.items)\n"
    text = "```python\nclass Cart:\n    ...\n\n" + method + "\n    def count(self):\n"
    assert cut(text, "total") == "```python\nclass Cart:\n    ...\n\n" + method + "```"


def test_the_closing_fence_or_a_decorator_ends_it_too() -> None:
    assert cut(HEAD + AREA + "```\nIt now squares r.", "area") == HEAD + AREA + "```"
    assert cut(HEAD + AREA + "@cache\ndef f(", "area") == HEAD + AREA + "```"


def test_the_cut_reply_gives_the_same_next_program_as_the_whole_one() -> None:
    module = "import math\n\n_TABLE = [1, 2]\n\n\ndef area(r):\n    return r\n\n\ndef _helper():\n    return _TABLE\n"
    task = Task(entry_point="area", visible_tests=["assert area(1) == math.pi"], shown="function")
    whole = "```python\ndef area(r):\n    return math.pi * r ** 2\n\n\ndef _helper():\n    return 7\n\n_TABLE = 9\n```"
    fixed = "def area(r):\n    return math.pi * r ** 2\n"
    assert merged(module, cut(whole, "area").split("```python\n")[1].rstrip("`"), task) == merged(
        module, whole.split("```python\n")[1].rstrip("`"), task
    )
    assert fixed in merged(module, cut(whole, "area").split("```python\n")[1].rstrip("`"), task)
