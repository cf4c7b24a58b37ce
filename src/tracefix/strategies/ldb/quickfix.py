"""Quick fixes: a failure on a name the program never defines, mended without the model.

A test that calls the function by a name the program does not define cannot be traced (no block of the
function runs), and a small model asked to rename the function copies it back unchanged (measured on the
embedded 1.5B model: two of two replies kept the old name though the prompt said which name the test calls).
A module of the standard library used without an import fails the same way. Both are read off the
``NameError`` and mended mechanically, as an IDE's quick fix would; the loop then tests the result like any
other attempt, and traces it on the next iteration if a test still fails. ldb applies them with
``names=on``; results say so (the attempt's ``note``), so a benchmark can tell them from the model's fixes.
"""

from __future__ import annotations

import ast
import difflib
import re
import sys
from dataclasses import dataclass

from tracefix.records import TestResult
from tracefix.strategies.ldb.called import undefined_name

SIMILAR = 0.6
"""How alike (``difflib`` ratio) a defined function's name must be to the called one to be renamed, unless
it is the program's only function."""


@dataclass(frozen=True)
class QuickFix:
    """A mended program and one sentence that says what was changed and why."""

    program: str
    note: str


def _top_level(tree: ast.Module, *, classes: bool) -> list[str]:
    """Names of the module's top-level functions, and of its classes when ``classes``."""
    kinds = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    return [
        node.name
        for node in tree.body
        if isinstance(node, kinds) and (classes or not isinstance(node, ast.ClassDef))
    ]


def _import_line(tree: ast.Module) -> int:
    """The 0-based line before which an import goes: after a module docstring and ``__future__`` imports."""
    line = 0
    for node in tree.body:
        docstring = (
            isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and node is tree.body[0]
        )
        future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        if not (docstring or future):
            break
        line = node.end_lineno or node.lineno
    return line


def quick_fix(program: str, result: TestResult, entry_point: str) -> QuickFix | None:
    """Mend a ``NameError`` for the entry point (rename a function with a look-alike name, or the only one)
    or a standard-library module (import it); None for any other failure, or when the program does not
    parse."""
    exc = result.exception
    name = undefined_name(result)
    if name is None or exc is None:
        return None
    try:
        tree = ast.parse(program)
    except SyntaxError:
        return None
    if name in _top_level(tree, classes=True):
        return None
    if name == entry_point:
        functions = _top_level(tree, classes=False)
        close = difflib.get_close_matches(name, functions, n=1, cutoff=SIMILAR) or (
            functions if len(functions) == 1 else []
        )  # a look-alike name, or the only function there is
        if not close or re.search(rf"\b{re.escape(name)}\b", program):
            return None
        renamed = re.sub(rf"\b{re.escape(close[0])}\b", name, program)
        note = f"renamed `{close[0]}` to `{name}`: the test calls `{name}`, which the program did not define"
        return QuickFix(renamed, note)
    if name in sys.stdlib_module_names and not exc.in_test:
        lines = program.splitlines()
        at = _import_line(tree)
        mended = "\n".join([*lines[:at], f"import {name}", *lines[at:]]) + "\n"
        return QuickFix(
            mended, f"added `import {name}`: the program uses the module `{name}` without importing it"
        )
    return None
