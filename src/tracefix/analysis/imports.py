"""The imports a rewritten function brings with it into a module.

When only a function of a reply goes into a module (the repository mode), an import the reply added for that
function (``from pathlib import Path``) must come too, or the function fails with ``NameError`` the moment
it runs.
"""

from __future__ import annotations

import ast
import textwrap


def brought_imports(candidate: str, function: str, module: str) -> list[str]:
    """The top-level import statements of ``candidate`` (a reply's program) that bind a name ``function``
    (the reply's function, as source) reads and ``module`` does not bind at its top level, in the
    candidate's order; none when either does not parse."""
    try:
        reply, used_in, target = ast.parse(candidate), ast.parse(textwrap.dedent(function)), ast.parse(module)
    except SyntaxError:
        return []
    read = {node.id for node in ast.walk(used_in) if isinstance(node, ast.Name)}
    bound = _bound(target)
    wanted = []
    for node in reply.body:
        if not isinstance(node, ast.Import | ast.ImportFrom) or (
            isinstance(node, ast.ImportFrom) and node.level
        ):
            continue
        names = _bound_by(node) - {"*"}
        if names & read and not names & bound:
            wanted.append(ast.unparse(node))
    return wanted


def with_imports(module: str, imports: list[str]) -> str:
    """``module`` with ``imports`` added after its last top-level import (after its docstring and
    ``from __future__`` imports when it has none)."""
    if not imports:
        return module
    tree = ast.parse(module)
    after = 0
    for node in tree.body:
        is_docstring = (
            isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and node is tree.body[0]
        )
        if isinstance(node, ast.Import | ast.ImportFrom) or is_docstring:
            after = node.end_lineno or node.lineno
    lines = module.splitlines(keepends=True)
    if lines and after and not lines[after - 1].endswith("\n"):
        lines[after - 1] += "\n"
    added = [f"{line}\n" for line in imports]
    following = lines[after] if after < len(lines) else ""
    if following.strip() and not following.startswith(("import ", "from ")):
        added.append("\n")  # a blank line between the imports and the code
    return "".join(lines[:after] + added + lines[after:])


def _bound(tree: ast.Module) -> set[str]:
    """The names a module binds at its top level (imports, definitions, assignments)."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update(_bound_by(node))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        else:  # an assignment, or a try / if whose body imports or assigns
            for inner in ast.walk(node):
                if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store):
                    names.add(inner.id)
                elif isinstance(inner, ast.Import | ast.ImportFrom):
                    names.update(_bound_by(inner))
    return names


def _bound_by(node: ast.Import | ast.ImportFrom) -> set[str]:
    """The names an import statement binds (``import a.b`` binds ``a``)."""
    return {alias.asname or alias.name.split(".")[0] for alias in node.names}
