"""What a prompt shows of a repository's module (the function under test), and how a reply's function is put
back into the module, every other byte kept."""

from __future__ import annotations

import textwrap

from tracefix.records import Task
from tracefix.strategies.view import docstring_put_back, merged, shown

MODULE = textwrap.dedent(
    '''
    """A module."""
    import math

    TABLE = {}
    TABLE["x"] = 1  # module-level code a merge must keep


    def area(r):
        return math.pi * r


    class Cart:
        def __init__(self, items):
            self.items = items

        def total(self):
            result = 0
            for price in self.items:
                result = price
            return result
    '''
).lstrip()
FUNCTION = Task(entry_point="area", visible_tests=["assert area(1) == math.pi"], shown="function")
METHOD = Task(entry_point="Cart.total", visible_tests=["assert Cart([1, 2]).total() == 3"], shown="function")


def test_a_whole_program_task_shows_and_takes_everything() -> None:
    task = FUNCTION.model_copy(update={"shown": "program"})
    assert shown(MODULE, task) == MODULE and merged(MODULE, "def area(r):\n    return 0\n", task).startswith(
        "def"
    )


def test_a_function_is_shown_alone_and_a_method_under_its_class_header() -> None:
    assert shown(MODULE, FUNCTION) == "def area(r):\n    return math.pi * r\n"
    assert shown(MODULE, METHOD).startswith(
        "class Cart:\n    ...\n\n    def total(self):\n        result = 0\n"
    )


def test_a_cut_program_that_does_not_parse_is_shown_by_the_original_lines_shifted() -> None:
    holed = MODULE.replace(
        "        for price in self.items:\n            result = price\n",
        "        # TODO: write it\n",
    )
    assert holed != MODULE
    text = shown(holed, METHOD, MODULE)
    assert text.endswith(
        "    def total(self):\n        result = 0\n        # TODO: write it\n        return result\n"
    )


def test_the_replied_function_replaces_its_original_and_nothing_else_changes() -> None:
    reply = "def total(self):\n    return sum(self.items)\n"  # a method given bare, as it was shown
    new = merged(MODULE, reply, METHOD)
    assert new == MODULE.replace(
        "        result = 0\n        for price in self.items:\n            result = price\n        return result\n",
        "        return sum(self.items)\n",
    )
    whole = "import math\n\n\ndef area(r):\n    return math.pi * r * r\n"  # a reply with its imports
    assert merged(MODULE, whole, FUNCTION) == MODULE.replace("math.pi * r\n", "math.pi * r * r\n")


DOCUMENTED = MODULE.replace(
    "    def total(self):\n",
    '    def total(self):\n        """The sum of the prices.\n\n        >>> Cart([1, 2]).total()\n        3\n        """\n',
)


def test_a_docstring_is_left_out_of_what_is_shown_even_with_part_of_the_body_cut() -> None:
    text = shown(DOCUMENTED, METHOD)
    assert "The sum of the prices" not in text
    assert text.startswith("class Cart:\n    ...\n\n    def total(self):\n        result = 0\n")
    holed = DOCUMENTED.replace("            result = price\n", "            # TODO: write it\n")
    assert shown(holed, METHOD, DOCUMENTED).endswith(
        "    def total(self):\n        result = 0\n        for price in self.items:\n"
        "            # TODO: write it\n        return result\n"
    )
    only = DOCUMENTED.replace("def area(r):\n", 'def area(r):\n    """Only a docstring and a return."""\n')
    assert '"""Only' not in shown(only, FUNCTION)
    bare = MODULE.replace("def area(r):\n    return math.pi * r\n", 'def area(r):\n    """Nothing else."""\n')
    assert '"""Nothing else."""' in shown(bare, FUNCTION)  # a body of only the docstring is shown as it is


def test_the_docstring_goes_back_byte_for_byte_into_the_replied_function() -> None:
    plain = "def total(self):\n    return sum(self.items)\n"
    retyped = 'def total(self):\n    """Sum of prices."""\n    return sum(self.items)\n'
    for reply in (plain, retyped):
        assert merged(DOCUMENTED, reply, METHOD) == DOCUMENTED.replace(
            "        result = 0\n        for price in self.items:\n            result = price\n"
            "        return result\n",
            "        return sum(self.items)\n",
        )
    odd = "def total(self):\n  return sum(self.items)\n"  # another indentation: the docstring would change
    assert '"""The sum' not in merged(DOCUMENTED, odd, METHOD)


def test_the_docstring_goes_back_above_the_blank_line_that_followed_it() -> None:
    spaced = DOCUMENTED.replace('        """\n        result = 0', '        """\n\n        result = 0')
    shown_text = shown(spaced, METHOD)
    assert "    def total(self):\n\n        result = 0\n" in shown_text  # the blank line stays where it was
    reply = "def total(self):\n\n    return sum(self.items)\n"
    assert merged(spaced, reply, METHOD) == spaced.replace(
        "        result = 0\n        for price in self.items:\n            result = price\n"
        "        return result\n",
        "        return sum(self.items)\n",
    )


PROGRAM_WITH_DOC = '''from typing import List


def total(xs: List[int]) -> int:
    """Add the numbers.

    >>> total([1, 2])
    3
    """
    result = 0
    for x in xs:
        result = x
    return result
'''
STATED = Task(
    description='def total(xs: List[int]) -> int:\n    """Add the numbers.\n\n    >>> total([1, 2])\n    3\n    """\n',
    entry_point="total",
    visible_tests=["assert total([1, 2]) == 3"],
)


def test_a_benchmark_program_can_be_shown_without_the_docstring_its_task_states() -> None:
    assert shown(PROGRAM_WITH_DOC, STATED) == PROGRAM_WITH_DOC
    text = shown(PROGRAM_WITH_DOC, STATED, docstring=False)
    assert text == PROGRAM_WITH_DOC.replace(STATED.description.split("\n", 1)[1], "")
    assert "def total(xs: List[int]) -> int:\n    result = 0\n" in text
    unstated = STATED.model_copy(update={"description": "Add the numbers."})
    assert shown(PROGRAM_WITH_DOC, unstated, docstring=False) == PROGRAM_WITH_DOC


def test_a_reply_without_the_docstring_gets_it_back_and_one_with_a_docstring_keeps_its_own() -> None:
    reply = "from typing import List\n\n\ndef total(xs: List[int]) -> int:\n    return sum(xs)\n"
    assert docstring_put_back(reply, PROGRAM_WITH_DOC, "total") == PROGRAM_WITH_DOC.replace(
        "    result = 0\n    for x in xs:\n        result = x\n    return result\n", "    return sum(xs)\n"
    )
    own = reply.replace("    return sum", '    """Sum."""\n    return sum')
    assert docstring_put_back(own, PROGRAM_WITH_DOC, "total") == own
