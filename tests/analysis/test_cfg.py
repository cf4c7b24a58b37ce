"""Specification of the control-flow graph: a function's source, its blocks and its edges.

Notation (see cfg_notation.py): blocks are named by their lines and kind ("2-3 4:if"); edges by the first
lines of their blocks, with the label unless it is "next" ("4->5(true) 6->exit(return)").
"""

from __future__ import annotations

import ast
import textwrap

import pytest
from cfg_hard_cases import CASES as HARD_CASES
from cfg_notation import blocks, cfg_of, edges, spec

from tracefix.analysis.cfg import EXIT, FunctionNotFound, build_cfg
from tracefix.records import CFG

SHAPES = [
    # Straight-line code is one block; the def line and the docstring belong to no block.
    pytest.param(
        """\
def f(x):
    '''Doc.'''
    y = x + 1
    z = y * 2
    return z
""",
        "3-5",
        ("3->exit(return) "),
        id="straight",
    ),
    # Each if/elif test is a header block; branches join after the statement.
    pytest.param(
        """\
def f(x):
    if x > 0:
        s = "pos"
    elif x < 0:
        s = "neg"
    else:
        s = "zero"
    return s
""",
        "2:if 3 4:elif 5 7 8",
        ("2->3(true) 2->4(false) 3->8 4->5(true) 4->7(false) 5->8 7->8 8->exit(return) "),
        id="if_elif_else",
    ),
    # A line shared by a header and its body belongs to the header, which takes the body's edges.
    pytest.param(
        """\
def f(x):
    if x: return 1
    return 2
""",
        "2:if 3",
        ("2->3(false) 2->exit(return) 3->exit(return) "),
        id="one_line_if",
    ),
    # The for line is visited per item; continue goes back, break skips the else clause.
    pytest.param(
        """\
def f(xs):
    for x in xs:
        if x < 0:
            continue
        if x > 9:
            break
        print(x)
    else:
        x = None
    return x
""",
        "2:for 3:if 4 5:if 6 7 9 10",
        (
            "2->3(true) 2->9(false) 3->4(true) 3->5(false) 4->2(continue) 5->6(true) 5->7(false) "
            "6->10(break) 7->2(loop) 9->10 10->exit(return) "
        ),
        id="for_else",
    ),
    # while-else: break skips else; `while True` has no exhausted edge.
    pytest.param(
        """\
def f(n):
    while n > 0:
        n -= 1
        if n == 3:
            break
    else:
        n = -1
    while True:
        n += 1
        if n > 5:
            break
    return n
""",
        "2:while 3 4:if 5 7 8:while 9 10:if 11 12",
        (
            "2->3(true) 2->7(false) 3->4 4->2(false) 4->5(true) 5->8(break) 7->8 8->9(true) 9->10 "
            "10->11(true) 10->8(false) 11->12(break) 12->exit(return) "
        ),
        id="while_else",
    ),
    # Body blocks go to the first except clause; unmatched clauses chain outwards through finally.
    pytest.param(
        """\
def f(x):
    try:
        y = int(x)
        z = 1 / y
    except ValueError:
        z = None
    except (ZeroDivisionError, TypeError) as e:
        raise RuntimeError from e
    else:
        z += 1
    finally:
        print("done")
    return z
""",
        "2-4:try 5:except 6 7:except 8 10 12-13:finally",
        (
            "2->10 2->5(exception) 5->12(exception) 5->6(true) 5->7(exception) 6->12 "
            "7->12(exception) 7->8(true) 8->12(raise) 10->12 "
            "12->exit(exception) 12->exit(return) "
        ),
        id="try_all",
    ),
    # return, break and continue inside try/finally all pass through the finally clause.
    pytest.param(
        """\
def f(xs):
    for x in xs:
        try:
            if x == 1:
                continue
            if x == 2:
                break
            return x
        finally:
            print(x)
    return None
""",
        "2:for 3-4:if 5 6:if 7 8 10:finally 11",
        (
            "2->11(false) 2->3(true) 3->10(exception) 3->5(true) 3->6(false) 5->10(continue) "
            "6->10(exception) 6->7(true) 6->8(false) 7->10(break) "
            "8->10(return) 10->11(break) 10->2(continue) 10->exit(exception) 10->exit(return) 11->exit(return) "
        ),
        id="finally_loop",
    ),
    # A bare except catches everything: no edge out of its clause but into its body.
    pytest.param(
        """\
def f(x):
    try:
        x = 1 / x
    except:
        x = 0
    return x
""",
        "2-3:try 4:except 5 6",
        ("2->4(exception) 2->6 4->5(true) 5->6 6->exit(return) "),
        id="bare_except",
    ),
    # except* clauses run in turn: a clause's body leads to the next clause.
    pytest.param(
        """\
def f():
    try:
        g()
    except* ValueError:
        a = 1
    except* KeyError:
        a = 2
    return a
""",
        "2-3:try 4:except 5 6:except 7 8",
        (
            "2->4(exception) 2->8 4->5(true) 4->6(exception) 5->6 6->7(true) 6->8(false) 6->exit(exception) "
            "7->8 7->exit(exception) 8->exit(return) "
        ),
        id="except_star",
    ),
    # The with header is visited again when the body is left (its __exit__ runs there), even by return.
    pytest.param(
        """\
def f(path):
    with open(path) as fh:
        data = fh.read()
        if not data:
            return None
    return data
""",
        "2:with 3 4:if 5 6",
        (
            "2->3 2->6 2->exit(exception) 2->exit(return) 3->2(exception) 3->4 "
            "4->2(false) 4->5(true) 5->2(return) 6->exit(return) "
        ),
        id="with",
    ),
    # async with and async for have the shapes of with and for.
    pytest.param(
        """\
async def f(session):
    async with session as s:
        async for item in s:
            await item.save()
    return s
""",
        "2:with 3:for 4 5",
        ("2->3 2->5 2->exit(exception) 3->2(false) 3->4(true) 4->2(exception) 4->3(loop) 5->exit(return) "),
        id="async",
    ),
    # Each case pattern (and guard) is a header; `case _:` cannot fail, so no fall-through edge.
    pytest.param(
        """\
def f(p):
    match p:
        case 0:
            r = "zero"
        case [x, y] if x > y:
            r = "desc"
        case _:
            r = "other"
    return r
""",
        "2:match 3:case 4 5:case 6 7:case 8 9",
        ("2->3 3->4(case) 3->5(nomatch) 4->9 5->6(case) 5->7(nomatch) 6->9 7->8(case) 8->9 9->exit(return) "),
        id="match",
    ),
    # A capture pattern with a guard can fail: the last case falls through.
    pytest.param(
        """\
def f(p):
    match p:
        case int():
            r = 1
        case x if x:
            r = 2
    return p
""",
        "2:match 3:case 4 5:case 6 7",
        ("2->3 3->4(case) 3->5(nomatch) 4->7 5->6(case) 5->7(nomatch) 6->7 7->exit(return) "),
        id="match_fallthrough",
    ),
    # assert can raise; raise leaves the function when nothing catches it.
    pytest.param(
        """\
def f(x):
    assert x > 0, "positive"
    if x > 9:
        raise ValueError(x)
    return x
""",
        "2 3:if 4 5",
        ("2->3 2->exit(raise) 3->4(true) 3->5(false) 4->exit(raise) 5->exit(return) "),
        id="assert_raise",
    ),
    # yield and yield from are plain statements.
    pytest.param(
        """\
def f(n):
    yield n
    x = yield
    yield from range(x)
""",
        "2-4",
        ("2->exit(exit) "),
        id="yield_await",
    ),
    # Nested def (with decorators), class, comprehensions and lambdas are opaque statements.
    pytest.param(
        """\
def f(xs):
    @staticmethod
    def key(
        x,
    ):
        return -x
    class K:
        a = 1
    sq = [x * x for x in xs
          if x]
    return sorted(sq, key=lambda v: v)
""",
        "2-11",
        ("2->exit(return) "),
        id="opaque",
    ),
    # global/nonlocal produce no code and no block.
    pytest.param(
        """\
def f():
    global COUNT
    COUNT += 1
    def g():
        nonlocal_value = 1
        return nonlocal_value
    return g
""",
        "3-7",
        ("3->exit(return) "),
        id="global",
    ),
    # Code after return is a block of its own with no way in.
    pytest.param(
        """\
def f(x):
    return x
    x += 1
""",
        "2 3",
        ("2->exit(return) 3->exit(exit) "),
        id="dead",
    ),
    # A multi-line test and a multi-line statement own all their lines.
    pytest.param(
        """\
def f(a, b):
    if (a and
            b):
        total = max(
            a,
            b,
        )
    return total
""",
        "2-3:if 4-7 8",
        ("2->4(true) 2->8(false) 4->8 8->exit(return) "),
        id="multiline_if",
    ),
]


@pytest.mark.parametrize(("source", "expected_blocks", "expected_edges"), SHAPES)
def test_shape(source: str, expected_blocks: str, expected_edges: str) -> None:
    cfg = cfg_of(source)
    assert blocks(cfg) == expected_blocks
    assert edges(cfg) == spec(expected_edges)
    assert cfg.entry == 0


def test_try_line_joins_the_first_block_of_the_body_and_else_finally_lines_join_none() -> None:
    cfg = cfg_of(
        """\
        def f(x):
            x += 1
            try:
                for i in x:
                    pass
            except TypeError:
                pass
            else:
                x = 0
            finally:
                x = 1
        """
    )
    assert blocks(cfg) == "2 3-4:for 5 6:except 7 9 11:finally"


def test_methods_and_nested_functions_are_found_by_dotted_name() -> None:
    source = textwrap.dedent(
        """\
        class Box:
            def get(self, k):
                return self.items[k]

        def outer(n):
            def inner(k):
                return k + n
            return inner
        """
    )
    assert [b.lines for b in build_cfg(source, "Box.get").blocks] == [[3]]
    assert [b.lines for b in build_cfg(source, "outer.inner").blocks] == [[7]]
    assert [b.lines for b in build_cfg(source, "outer.<locals>.inner").blocks] == [[7]]
    assert build_cfg(source, "Box.get").first_line == 2


def test_the_last_definition_of_a_name_wins_as_when_the_module_runs() -> None:
    source = "def f():\n    return 1\n\ndef f():\n    return 2\n"
    assert build_cfg(source, "f").blocks[0].lines == [5]


def test_an_unknown_function_names_those_that_exist() -> None:
    source = "def f():\n    pass\n\nclass C:\n    def m(self):\n        pass\n"
    with pytest.raises(FunctionNotFound, match=r"'g' not found; functions in the file: f, C\.m"):
        build_cfg(source, "g")
    with pytest.raises(FunctionNotFound):
        build_cfg(source, "C")  # a class is not a function


def test_a_syntax_error_propagates() -> None:
    with pytest.raises(SyntaxError):
        build_cfg("def f(:\n", "f")


def test_a_docstring_only_body_is_one_block_on_the_def_line_where_python_reports_it() -> None:
    cfg = cfg_of('def f():\n    """Nothing."""\n')
    assert blocks(cfg) == "1-2"
    assert edges(cfg) == {"1->exit(exit)"}


def test_the_record_dumps_to_the_documented_json_shape() -> None:
    data = cfg_of("def f(x):\n    if x:\n        return 1\n    return 2\n").model_dump(mode="json")
    assert data["function"] == "f"
    assert data["entry"] == 0
    assert data["blocks"][0] == {"id": 0, "lines": [2], "successors": [1, 2], "kind": "if"}
    assert {"source": 1, "target": EXIT, "label": "return"} in data["edges"]
    assert CFG.model_validate(data) == cfg_of("def f(x):\n    if x:\n        return 1\n    return 2\n")


@pytest.mark.parametrize(("name", "program"), [(name, program) for name, program, _ in HARD_CASES])
def test_every_line_is_in_at_most_one_block_and_ids_are_dense_in_source_order(
    name: str, program: str
) -> None:
    for function in _function_names(program):
        cfg = build_cfg(program, function)
        all_lines = [line for b in cfg.blocks for line in b.lines]
        assert len(all_lines) == len(set(all_lines)), function
        assert [b.id for b in cfg.blocks] == list(range(len(cfg.blocks)))
        assert [b.lines[0] for b in cfg.blocks] == sorted(b.lines[0] for b in cfg.blocks)
        assert all(b.lines for b in cfg.blocks)
        for edge in cfg.edges:
            assert edge.target == EXIT or edge.target in cfg.block(edge.source).successors


def _function_names(program: str) -> list[str]:
    """Top-level functions and methods of top-level classes."""
    names = []
    for top in ast.parse(program).body:
        if isinstance(top, ast.FunctionDef | ast.AsyncFunctionDef):
            names.append(top.name)
        if isinstance(top, ast.ClassDef):
            names += [
                f"{top.name}.{m.name}"
                for m in top.body
                if isinstance(m, ast.FunctionDef | ast.AsyncFunctionDef)
            ]
    return names


def test_each_way_out_of_a_finally_may_pass_its_last_line_as_python_311_reports_the_reraise_there() -> None:
    cfg = cfg_of(
        """\
        def f(c):
            try:
                g()
            finally:
                for i in c:
                    break
                else:
                    y = 2
        """
    )
    assert blocks(cfg) == "2-3:try 5:for 6 8"
    assert edges(cfg) == spec(
        "2->5 5->6(true) 5->8(false) 6->exit(break) 6->8(exception) 6->exit(exception) "
        "8->exit(exit) 8->exit(exception)"
    )
