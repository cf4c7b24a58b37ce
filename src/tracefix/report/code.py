"""A program's lines with its basic blocks outlined, in the user's own line numbers."""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from tracefix.analysis.cfg import FunctionNotFound, build_cfg
from tracefix.records import CFG

CfgFor = Callable[[str, str], CFG | None]
"""Builds the CFG of ``entry`` in ``program``, or None when it cannot (syntax error, function missing)."""


@dataclass(frozen=True)
class CodeLine:
    """One line of a program as the report draws it."""

    number: int
    text: str
    block: int | None = None
    first: bool = False
    """True on the first line of its block, where the block's label goes."""
    last: bool = False
    """True on the last line of its block, where its outline closes."""
    status: str = ""
    """CSS status of the block: "wrong", "correct", "shown", "ran", "idle", or "" outside any block."""
    count: int | None = None
    """Visits of the block (exact), on its first line only."""


def default_cfg_for(program: str, entry: str) -> CFG | None:
    """The CFG from ``tracefix.analysis.cfg``, or None when the program does not parse or lacks ``entry``."""
    try:
        return build_cfg(program, entry)
    except (SyntaxError, FunctionNotFound, LookupError, ValueError):
        # a report shows what it can: a program the CFG builder refuses is drawn without blocks
        return None


def block_lines(program: str, cfg: CFG) -> dict[int, int]:
    """Map every line of every block's statements to its block, continuation lines included.

    The CFG names the lines where statements start; a statement written over several lines (a long call, a
    multi-line ``if`` condition) belongs to the same block on all its lines, so the outline covers them.
    """
    owner = cfg.line_to_block()
    try:
        tree = ast.parse(program)
    except SyntaxError:
        return owner
    extended = dict(owner)
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and node.lineno in owner:
            for line in range(node.lineno, _statement_end(node) + 1):
                extended.setdefault(line, owner[node.lineno])
    return extended


def _statement_end(node: ast.stmt) -> int:
    """Last line of a simple statement, or of the header of a compound one (the line before its body)."""
    body = getattr(node, "body", None)
    if isinstance(body, list) and body and isinstance(body[0], ast.AST):
        first_child = body[0]
        start = getattr(first_child, "lineno", node.lineno + 1)
        return max(node.lineno, start - 1) if isinstance(first_child, ast.stmt) else node.lineno
    return node.end_lineno or node.lineno


def code_lines(
    program: str,
    cfg: CFG | None = None,
    statuses: Mapping[int, str] | None = None,
    counts: Mapping[int, int] | None = None,
) -> list[CodeLine]:
    """The program's lines, each tagged with its block, the block's status and (on its first line) visits."""
    texts = program.splitlines()
    if cfg is None:
        return [CodeLine(number=n, text=t) for n, t in enumerate(texts, start=1)]
    owner = _trim_trailing_blank(block_lines(program, cfg), texts)
    statuses = statuses or {}
    counts = counts or {}
    out = []
    for number, text in enumerate(texts, start=1):
        block = owner.get(number)
        if block is None:
            out.append(CodeLine(number=number, text=text))
            continue
        first = owner.get(number - 1) != block
        out.append(
            CodeLine(
                number=number,
                text=text,
                block=block,
                first=first,
                last=owner.get(number + 1) != block,
                status=statuses.get(block, "idle"),
                count=counts.get(block, 0) if first else None,
            )
        )
    return out


def _trim_trailing_blank(owner: dict[int, int], texts: list[str]) -> dict[int, int]:
    """Leave blank and comment-only lines outside blocks so outlines hug the code."""
    return {
        line: block
        for line, block in owner.items()
        if 0 < line <= len(texts) and texts[line - 1].strip() and not texts[line - 1].lstrip().startswith("#")
    }


def lines_label(lines: list[int]) -> str:
    """``"line 4"`` or ``"lines 4–6"`` (or ``"lines 4, 9"`` when not contiguous)."""
    if not lines:
        return "no lines"
    ordered = sorted(set(lines))
    if len(ordered) == 1:
        return f"line {ordered[0]}"
    if ordered[-1] - ordered[0] == len(ordered) - 1:
        return f"lines {ordered[0]}–{ordered[-1]}"
    return "lines " + ", ".join(str(line) for line in ordered)
