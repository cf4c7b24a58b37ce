"""What the tracer watches: the code object of the function under test, and the key of each of its lines.

A line's key packs the block that owns it and the first line of its statement (see ``snapshots.BLOCK_SHIFT``):
lines of one statement share a key, so a multi-line statement that reports its lines out of order (CPython does,
e.g. for an inlined comprehension) stays one visit, while a jump back to an earlier statement of the same block
starts a new one.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from types import CodeType
from typing import Any

from tracefix.analysis.source import parse_function
from tracefix.execution.snapshots import BLOCK_SHIFT
from tracefix.records import CFG


def find_code(
    namespace: dict[str, Any], module_code: CodeType, entry: str, first_line: int
) -> CodeType | None:
    """The code object that runs when ``entry`` (``name`` or ``Class.method``) is called.

    Looks the name up in the executed module and unwraps decorators (``__wrapped__``, static and class methods,
    properties); when that does not lead to code compiled from the program, searches the module's constants for
    a code object of that name starting at ``first_line``.
    """
    found = _from_namespace(namespace, entry)
    name = entry.split(".")[-1]
    if found is not None and found.co_filename == module_code.co_filename and found.co_name == name:
        return found
    return _from_constants(module_code, entry, first_line)


def _from_namespace(namespace: dict[str, Any], entry: str) -> CodeType | None:
    head, *rest = entry.split(".")
    target: Any = namespace.get(head)
    for part in rest:
        if target is None:
            return None
        holder = target
        target = inspect.getattr_static(holder, part, None)
    for _ in range(100):  # a decorator chain, bounded in case __wrapped__ loops
        if isinstance(target, staticmethod | classmethod):
            target = target.__func__
        elif isinstance(target, property):
            target = target.fget
        elif hasattr(target, "__wrapped__"):
            target = target.__wrapped__
        else:
            break
    code = getattr(target, "__code__", None)
    return code if isinstance(code, CodeType) else None


def _from_constants(module_code: CodeType, entry: str, first_line: int) -> CodeType | None:
    name = entry.split(".")[-1]
    candidates = [code for code in _code_objects(module_code) if code.co_name == name]
    exact = [code for code in candidates if code.co_qualname.replace("<locals>.", "") == entry]
    pool = exact or candidates
    if not pool:
        return None
    return min(pool, key=lambda code: abs(code.co_firstlineno - first_line))


def _code_objects(code: CodeType) -> list[CodeType]:
    found = []
    for const in code.co_consts:
        if isinstance(const, CodeType):
            found.append(const)
            found.extend(_code_objects(const))
    return found


def line_keys(source: str, cfg: CFG, code: CodeType) -> list[int]:
    """For every line number up to the last line of ``code``: its key, or -1 for lines outside every block."""
    block_of = cfg.line_to_block()
    index = {block.id: position for position, block in enumerate(cfg.blocks)}
    starts = statement_starts(source, cfg.function)
    code_lines = {line for _, _, line in code.co_lines() if line is not None}
    size = max([*code_lines, *block_of, 0]) + 2
    keys = [-1] * size
    for line in range(size):
        start = starts.get(line, line)
        block = block_of.get(line, block_of.get(start))
        if block is not None:
            keys[line] = index[block] << BLOCK_SHIFT | start
    return keys


def statement_starts(source: str, function: str) -> dict[int, int]:
    """Each line of the function's statements mapped to the first line of the innermost statement holding it.

    For a compound statement only its header lines count (its body's statements are inner ones).
    """
    node = parse_function(source, function)
    starts: dict[int, int] = {}
    for stmt in _statements(node):
        first = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", []))])
        body = getattr(stmt, "body", None)
        opaque = isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        last = stmt.end_lineno or stmt.lineno
        if isinstance(body, list) and body and not opaque:
            last = body[0].lineno - 1
        for line in range(first, last + 1):
            starts[line] = first
    return starts


def _statements(node: ast.AST) -> Iterator[ast.stmt]:
    """Statements nested in ``node``, outer before inner, without entering nested definitions or expressions
    (walking statement lists only is several times faster than ``ast.walk``)."""
    for name in ("body", "orelse", "finalbody", "handlers", "cases"):
        for child in getattr(node, name, ()):
            if isinstance(child, ast.stmt):
                yield child
                if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    yield from _statements(child)
            else:  # an except handler or a match case: its body holds statements
                yield from _statements(child)
