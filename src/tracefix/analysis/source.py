"""Find, extract and replace one function in a file's text, keeping everything else byte for byte.

Names are a top-level function (``f``), a method (``Class.method``) or a nested function (``outer.inner``);
``outer.<locals>.inner`` (a code object's ``co_qualname``) is accepted too. When a name is defined twice,
the last definition wins, as it does when the module runs.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
_DefNode = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class FunctionNotFound(LookupError):
    """The file holds no function of the requested name; the message lists those it does hold."""

    def __init__(self, name: str, available: list[str]) -> None:
        self.name = name
        self.available = available
        listing = ", ".join(available) if available else "none"
        super().__init__(f"function {name!r} not found; functions in the file: {listing}")


def parse_function(source: str, name: str) -> FunctionNode:
    """Parse ``source`` and return the definition of function ``name`` (raises SyntaxError, FunctionNotFound)."""
    tree = ast.parse(source)
    node = _lookup(tree, name)
    if node is None:
        raise FunctionNotFound(name, list(_qualnames(tree)))
    return node


def parameter_names(args: ast.arguments) -> list[str]:
    """A definition's parameter names, positional-only first, then ordinary, then keyword-only."""
    return [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]


def find_function(source: str, name: str) -> tuple[int, int]:
    """1-based first and last line of function ``name``, the first line being its first decorator."""
    node = parse_function(source, name)
    return _first_line(node), node.end_lineno or node.lineno


def function_source(source: str, name: str) -> str:
    """The text of function ``name`` exactly as it stands in the file (decorators included, not dedented)."""
    start, end = find_function(source, name)
    return "".join(split_lines(source)[start - 1 : end])


def replace_function(source: str, name: str, new_function_source: str) -> str:
    """Replace function ``name`` with ``new_function_source``, re-indented to the original's indentation.

    Every byte outside the replaced lines is kept; the new lines take the line ending the file uses there.
    """
    start, end = find_function(source, name)
    lines = split_lines(source)
    indent = re.match(r"[ \t]*", lines[start - 1]).group()  # type: ignore[union-attr]
    old_last = lines[end - 1]
    newline = old_last[len(old_last.rstrip("\r\n")) :] or _first_line_ending(source)
    body = reindent(new_function_source, indent)
    new_lines = [line.rstrip("\r\n") for line in split_lines(body)]
    text = newline.join(new_lines) + (newline if old_last.endswith(("\n", "\r")) else "")
    return "".join(lines[: start - 1]) + text + "".join(lines[end:])


def reindent(code: str, indent: str) -> str:
    """Move ``code`` to indentation ``indent``, leaving the inside of multi-line strings untouched."""
    lines = split_lines(code.strip("\r\n") + "\n")
    frozen = _string_continuation_lines(code.strip("\r\n") + "\n")
    movable = [line for i, line in enumerate(lines, 1) if i not in frozen and line.strip()]
    common = _common_indent(movable)
    out = []
    for i, line in enumerate(lines, 1):
        if i in frozen or not line.strip():
            out.append(line if i in frozen else line.lstrip(" \t"))
        else:
            out.append(indent + line[len(common) :])
    return "".join(out)


def split_lines(text: str) -> list[str]:
    """Split like the Python tokenizer does (on \\n, \\r\\n and \\r only), keeping the line endings."""
    parts: list[str] = []
    start = 0
    for match in _LINE_BREAK.finditer(text):
        parts.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        parts.append(text[start:])
    return parts


def _first_line(node: _DefNode) -> int:
    return min([node.lineno, *(d.lineno for d in node.decorator_list)])


def _first_line_ending(source: str) -> str:
    match = _LINE_BREAK.search(source)
    return match.group() if match else "\n"


def _common_indent(lines: list[str]) -> str:
    indents = [re.match(r"[ \t]*", line).group() for line in lines]  # type: ignore[union-attr]
    if not indents:
        return ""
    common = indents[0]
    for ind in indents[1:]:
        while not ind.startswith(common):
            common = common[:-1]
    return common


def _string_continuation_lines(code: str) -> set[int]:
    """Lines that begin inside a multi-line string token: their leading whitespace is data."""
    frozen: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type == tokenize.STRING or _is_fstring_part(tok):
                frozen.update(range(tok.start[0] + 1, tok.end[0] + 1))
    except (tokenize.TokenError, SyntaxError):
        pass
    return frozen


def _is_fstring_part(tok: tokenize.TokenInfo) -> bool:
    # Python 3.12 splits f-strings into FSTRING_START/MIDDLE/END tokens.
    return tokenize.tok_name.get(tok.type, "") == "FSTRING_MIDDLE"


def _lookup(tree: ast.Module, name: str) -> FunctionNode | None:
    parts = [part for part in name.split(".") if part != "<locals>"]
    scope: ast.AST = tree
    found: _DefNode | None = None
    for part in parts:
        found = None
        for node in _defs_in(scope):
            if node.name == part:
                found = node  # keep looking: the last definition wins
        if found is None:
            return None
        scope = found
    return found if isinstance(found, FunctionNode) else None


def _defs_in(scope: ast.AST) -> Iterator[_DefNode]:
    """Definitions directly in ``scope``'s body, including those under if/for/try/with (not in nested defs)."""
    for stmt in getattr(scope, "body", []):
        yield from _defs_under(stmt)


def _defs_under(stmt: ast.AST) -> Iterator[_DefNode]:
    if isinstance(stmt, _DefNode):
        yield stmt
        return
    if isinstance(stmt, ast.stmt | ast.excepthandler | ast.match_case):
        for child in ast.iter_child_nodes(stmt):
            if isinstance(child, ast.stmt | ast.excepthandler | ast.match_case):
                yield from _defs_under(child)


def _qualnames(scope: ast.AST, prefix: str = "") -> Iterator[str]:
    seen: set[str] = set()
    for node in _defs_in(scope):
        qualname = prefix + node.name
        if isinstance(node, FunctionNode) and qualname not in seen:
            seen.add(qualname)
            yield qualname
        yield from _qualnames(node, qualname + ".")


def docstring_of(source: str, entry_point: str) -> str | None:
    """The docstring of ``entry_point`` (a name or ``Class.method``) in ``source``, if it has one."""
    parts = entry_point.split(".")
    body: list[ast.stmt] = ast.parse(source).body
    found: ast.AST | None = None
    for part in parts:
        found = next(
            (
                n
                for n in body
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and n.name == part
            ),
            None,
        )
        if found is None:
            return None
        body = found.body
    if isinstance(found, ast.FunctionDef | ast.AsyncFunctionDef):
        return ast.get_docstring(found)
    return None
