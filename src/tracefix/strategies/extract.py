"""Get a usable program out of a model's reply.

Small models answer in many shapes: a fenced block, several blocks, an unterminated block cut by the token
limit, bare code, or only the entry function without the imports and helpers it needs. This module turns
any of those into a complete program that parses and defines the entry point, or says why it cannot.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)


@dataclass(frozen=True)
class Extraction:
    """The outcome of extracting a program: the program, or the reason there is none."""

    program: str | None
    failure: str | None = None


def code_blocks(text: str) -> list[str]:
    """Fenced code blocks in order; an unterminated last fence runs to the end of the text."""
    blocks = []
    for match in _FENCE.finditer(text):
        language = match.group(1).lower()
        if language in ("", "python", "py", "python3"):
            blocks.append(match.group(2))
    return blocks


def defines(tree: ast.Module, entry_point: str) -> bool:
    """Whether the module defines ``entry_point`` (a function name or ``Class.method``) at top level."""
    head, _, rest = entry_point.partition(".")
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == head and not rest:
            return True
        if isinstance(node, ast.ClassDef) and node.name == head and rest:
            return any(
                isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name == rest
                for item in node.body
            )
    return False


def _parse_prefix(code: str) -> ast.Module | None:
    """Parse ``code``, dropping trailing lines until it parses (a reply cut off by the token limit)."""
    lines = code.rstrip().splitlines()
    for end in range(len(lines), max(len(lines) - 15, 0), -1):
        try:
            return ast.parse("\n".join(lines[:end]))
        except SyntaxError:
            continue
    return None


def _candidates(text: str) -> list[str]:
    blocks = code_blocks(text)
    return list(reversed(blocks)) if blocks else [text]


def _top_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def _is_script_code(node: ast.stmt) -> bool:
    """Top-level statements a model adds to demonstrate its code (prints, asserts, ``if __name__``)."""
    if isinstance(node, ast.Expr | ast.Assert):
        return not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
    if isinstance(node, ast.If):
        return "__name__" in ast.unparse(node.test)
    return False


def merge_with_original(new: ast.Module, new_source: str, original: str) -> str:
    """Complete a reply that holds only part of the program with the original's other pieces.

    Imports and top-level definitions of the original that the reply does not define are kept, before the
    reply's code, so a model that rewrites just the entry function does not lose its helpers.
    """
    try:
        old = ast.parse(original)
    except SyntaxError:
        return new_source
    defined = _top_level_names(new)
    new_imports = {ast.unparse(n) for n in new.body if isinstance(n, ast.Import | ast.ImportFrom)}
    kept: list[str] = []
    for node in old.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            missing = ast.unparse(node) not in new_imports
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Assign):
            missing = not (_top_level_names(ast.Module(body=[node], type_ignores=[])) & defined)
        else:
            missing = False
        if missing:
            kept.append(ast.get_source_segment(original, node) or ast.unparse(node))
    if not kept:
        return new_source
    return "\n".join(kept) + "\n\n\n" + new_source


def _strip_script_code(tree: ast.Module, source: str) -> str:
    """Drop demonstration code (prints, asserts, ``if __name__ == "__main__"``) from the reply's program."""
    keep = [node for node in tree.body if not _is_script_code(node)]
    if len(keep) == len(tree.body):
        return source
    lines = source.splitlines()
    pieces = []
    for node in keep:
        start = node.lineno - 1
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.decorator_list:
            start = node.decorator_list[0].lineno - 1
        end = node.end_lineno or node.lineno
        pieces.append("\n".join(lines[start:end]))
    return "\n".join(pieces) + "\n"


def extract_program(reply: str, entry_point: str, original: str = "") -> Extraction:
    """Extract a complete program that defines ``entry_point`` from a model reply.

    Tries the fenced blocks from last to first (models often show the buggy code first), then the bare
    text; keeps the first one that parses and defines the entry point, strips demonstration code, and
    completes it with the original program's imports and helpers.
    """
    if not reply.strip():
        return Extraction(None, "empty reply")
    saw_code = False
    for candidate in _candidates(reply):
        tree = _parse_prefix(candidate)
        if tree is None:
            saw_code = saw_code or bool(code_blocks(reply))
            continue
        saw_code = True
        if not defines(tree, entry_point):
            continue
        source = _strip_script_code(tree, ast.unparse(tree) if _needs_unparse(candidate, tree) else candidate)
        program = merge_with_original(ast.parse(source), source, original) if original else source
        return Extraction(program.rstrip() + "\n")
    if not saw_code:
        return Extraction(None, "no code in reply")
    return Extraction(None, f"no code defining {entry_point} that parses")


def _needs_unparse(candidate: str, tree: ast.Module) -> bool:
    """True when the candidate only parsed after trimming, so its text must be regenerated from the tree."""
    try:
        ast.parse(candidate)
    except SyntaxError:
        return True
    return False


def normalized(program: str) -> str:
    """A form of the program that ignores comments, docstrings and formatting, for "unchanged" checks."""
    try:
        tree = ast.parse(program)
    except SyntaxError:
        return program.strip()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Module):
            body = node.body
            first = body[0] if body else None
            docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            if docstring and isinstance(first.value.value, str):  # type: ignore[union-attr]
                node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree, annotate_fields=False)
