"""Reading visible tests: what a test calls and what it expects, for prompts that compare the two."""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass

from tracefix.records import TestResult


@dataclass(frozen=True)
class Expectation:
    """An ``assert <call> == <expected>`` test split into its sides, as source text."""

    call: str
    expected: str


def split_assert(test: str) -> Expectation | None:
    """Split a one-statement equality assert; None for any other kind of test."""
    try:
        tree = ast.parse(test.strip())
    except SyntaxError:
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Assert):
        return None
    test_expr = tree.body[0].test
    if (
        isinstance(test_expr, ast.Compare)
        and len(test_expr.ops) == 1
        and isinstance(test_expr.ops[0], ast.Eq)
    ):
        return Expectation(ast.unparse(test_expr.left), ast.unparse(test_expr.comparators[0]))
    return None


def describe_failure(result: TestResult) -> str:
    """One or two lines that say how a test failed, in the words a prompt uses."""
    if result.timeout:
        return "The program did not finish in time (probably an infinite loop or far too slow)."
    if result.memory_limit:
        return "The program ran out of memory."
    expectation = split_assert(result.test)
    exception = result.exception
    if exception is not None and not (exception.in_test and exception.type == "AssertionError"):
        where = f" at line {exception.line}" if exception.line and not exception.in_test else ""
        what = f"{exception.type}: {exception.message}" if exception.message.strip() else exception.type
        return f"It raised {what}{where}."
    if expectation is not None and result.actual is not None:
        return f"{expectation.call} returned {result.actual}, but the test expects {expectation.expected}."
    if result.error:
        return f"It failed: {result.error}."
    return "The assertion failed."


def first_failing(results: list[TestResult]) -> TestResult | None:
    """The first failing test in the tests' own order that a program can pass: a deterministic choice."""
    return next((r for r in results if not r.passed and r.broken is None), None)


def broken_reason(test: str, *, entry_point: str, setup: str = "") -> str | None:
    """Why no program can pass ``test``, or None when one might: the fault is in the test itself.

    Two faults are caught, both seen in published benchmarks whose expected outputs were printed by another
    language: the test is not valid Python (``== 0526110507350``: a leading zero), or its expected value is a
    bare name that neither the test nor ``setup`` (the prelude and the program) defines (``== LPWsaI``: a
    string printed without quotes). Only bare names on the expected side count, never a call or an attribute
    (``Pair(1, 2)``, ``math.pi``): a program may define those, so the test may still pass.
    """
    try:
        tree = ast.parse(test.strip())
    except SyntaxError as exc:
        return f"the test is not valid Python ({exc.msg})"
    try:
        setup_tree = ast.parse(setup)
    except SyntaxError:
        return None  # a program that does not parse says nothing about the test
    if any(
        isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names) for n in ast.walk(setup_tree)
    ):
        return None  # ``from m import *`` may define any name
    defined = _bound_names(setup_tree)
    defined |= _bound_names(tree) | set(dir(builtins)) | {entry_point}
    missing: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert) and isinstance(node.test, ast.Compare):
            for side in node.test.comparators:
                missing += [n for n in _bare_names(side) if n not in defined and n not in missing]
    if not missing:
        return None
    shown = ", ".join(f"`{n if len(n) <= 40 else n[:40] + '...'}`" for n in missing[:3])
    return f"its expected value uses {shown}, which neither the test nor the program defines"


def _bound_names(tree: ast.AST) -> set[str]:
    """Every name ``tree`` binds anywhere (assignments, imports, defs, arguments): more is safer here."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
        elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
            names.add(node.name)
    return names


def _bare_names(expr: ast.expr) -> list[str]:
    """Names ``expr`` loads as values: not called, not the object of an attribute or subscript."""
    inner: set[int] = set()
    for node in ast.walk(expr):
        if isinstance(node, ast.Call):
            inner.add(id(node.func))
        elif isinstance(node, (ast.Attribute, ast.Subscript)):
            inner.add(id(node.value))
    return [
        n.id
        for n in ast.walk(expr)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and id(n) not in inner
    ]


def parse_tests_file(text: str) -> list[str]:
    """The tests of a tests file: one per line; a line that starts with whitespace continues the previous
    test; blank lines and ``#`` comments are skipped."""
    collected: list[str] = []
    current: list[str] = []
    for raw in text.splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        if raw[:1].isspace() and current:
            current.append(raw)
            continue
        if current:
            collected.append("\n".join(current))
        current = [raw]
    if current:
        collected.append("\n".join(current))
    return collected
