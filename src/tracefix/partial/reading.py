"""What the code of a fragment says about running it: the names it reads before defining them, the lines
that use a name, and the branch that kept a line from running. Read off the AST, nothing is run."""

from __future__ import annotations

import ast
import builtins


def free_names(source: str) -> list[str]:
    """Names ``source`` reads before anything in it binds them (a parameter, a definition or an import binds
    at once; an assignment or a loop variable where it stands), that are not builtins, in reading order.
    ``x = x + 1`` at the top of a snippet reads a free ``x``."""
    tree = ast.parse(source)
    first_read: dict[str, tuple[int, int]] = {}
    first_bound: dict[str, tuple[int, int]] = {}
    for node in ast.walk(tree):
        names: list[str] = []
        where = (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                if where < first_read.get(node.id, (1 << 30, 0)):
                    first_read[node.id] = where
                continue
            names = [node.id]
            where = _statement_end(tree, node)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names = [node.name]
        elif isinstance(node, ast.arg):
            names, where = [node.arg], (0, 0)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [(a.asname or a.name).split(".")[0] for a in node.names]
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names = [node.name]
        for name in names:
            if where < first_bound.get(name, (1 << 30, 0)):
                first_bound[name] = where
    free = [n for n, at in first_read.items() if at < first_bound.get(n, (1 << 30, 0)) and n not in _BUILTINS]
    return sorted(free, key=lambda n: first_read[n])


def _statement_end(tree: ast.AST, target: ast.Name) -> tuple[int, int]:
    """Where an assignment to ``target`` takes effect: after the value it assigns is read (the end of the
    assignment's value; a loop variable at its loop's header)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(target is n for t in targets for n in ast.walk(t)):
                return (node.value.end_lineno or node.lineno, node.value.end_col_offset or 0)
    return (target.lineno, target.col_offset)


_BUILTINS = frozenset(dir(builtins))


def uses(source: str, name: str, most: int = 2) -> list[str]:
    """The first lines of ``source`` that read ``name``, stripped (how the code uses it)."""
    lines = source.splitlines()
    found: dict[int, None] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load):
            found.setdefault(node.lineno, None)
    return [lines[n - 1].strip() for n in sorted(found)[:most] if n <= len(lines)]


def why_not_run(source: str, executed: list[int], missed: list[int], most: int = 6) -> list[str]:
    """For the ``missed`` lines, the branch that ran and did not lead to them, in words: ``if x > 10:`` (line
    2) was false each time it ran. The innermost such branch of each line, each said once."""
    ran = set(executed)
    said: dict[str, None] = {}
    lines = source.splitlines()

    def head(node: ast.stmt) -> str:
        return lines[node.lineno - 1].strip() if node.lineno <= len(lines) else ""

    for line in missed:
        reason = None
        for node in ast.walk(ast.parse(source)):
            if (
                not isinstance(node, ast.If | ast.While | ast.For | ast.AsyncFor | ast.Try)
                or node.lineno not in ran
            ):
                continue
            body = _span(node.body)
            other = _span(node.orelse) if not isinstance(node, ast.Try) else _span(node.handlers)
            if isinstance(node, ast.If) and body[0] <= line <= body[1]:
                reason = f"`{head(node)}` (line {node.lineno}) was false each time it ran"
            elif isinstance(node, ast.If) and other[0] <= line <= other[1]:
                reason = f"`{head(node)}` (line {node.lineno}) was true each time it ran"
            elif isinstance(node, ast.While) and body[0] <= line <= body[1]:
                reason = f"`{head(node)}` (line {node.lineno}) was false from the start"
            elif isinstance(node, ast.For | ast.AsyncFor) and body[0] <= line <= body[1]:
                reason = f"the loop `{head(node)}` (line {node.lineno}) had nothing to go over"
            elif isinstance(node, ast.Try) and other[0] <= line <= other[1]:
                reason = f"nothing raised in the `try` of line {node.lineno}"
        if reason is not None:
            said.setdefault(reason, None)
    return list(said)[:most]


def _span(body: list[ast.stmt] | list[ast.ExceptHandler]) -> tuple[int, int]:
    if not body:
        return (0, -1)
    return (body[0].lineno, max(n.end_lineno or n.lineno for n in body))


def gates(source: str, executed: list[int], missed: list[int]) -> list[ast.expr]:
    """The conditions that kept the ``missed`` lines from running, for each missed line in order: the test of
    the innermost ``if``/``while`` (or the iterable of a ``for``) that ran and holds it; else the test of the
    nearest ``if`` before it that ran a ``return``, ``raise``, ``break`` or ``continue`` (an early exit, such
    as the fragment rejecting its input). Each once."""
    tree = ast.parse(source)
    ran = set(executed)
    found: dict[int, ast.expr] = {}
    branches = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.If | ast.While | ast.For | ast.AsyncFor) and n.lineno in ran
    ]
    exits = [
        n
        for n in branches
        if isinstance(n, ast.If)
        and any(
            isinstance(s, ast.Return | ast.Raise | ast.Break | ast.Continue) and s.lineno in ran
            for s in ast.walk(n)
        )
    ]
    for line in missed:
        holding = [
            n
            for n in branches
            if any(_span(part)[0] <= line <= _span(part)[1] for part in (n.body, n.orelse))
        ]
        if holding:
            inner = max(holding, key=lambda n: n.lineno)
            test = inner.iter if isinstance(inner, ast.For | ast.AsyncFor) else inner.test
        else:
            before = [n for n in exits if (n.end_lineno or n.lineno) < line]
            if not before:
                continue
            test = max(before, key=lambda n: n.lineno).test
        found.setdefault(id(test), test)
    return list(found.values())
