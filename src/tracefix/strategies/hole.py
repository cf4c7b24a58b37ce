"""The ``hole`` format of ldb: cut the block the trace blames out of the program, and have it written anew.

Small models asked to fix a program mostly copy it back unchanged (FINDINGS.md; here, 7 of 7 first replies
of the focused format on the first HumanEval problems). A program with the wrong block cut out cannot be
copied back: the model has to write that part again, from the task, the failing test and what the trace
says about it. The trace chooses the block:
1. the block where the exception arose, or the run of a block that put the first wrong element into the
   returned list or string (``evidence.findings``);
2. then the other blocks the failing test ran, plain statements before loop and branch headers, each group
   by suspicion (Ochiai over the passing tests), later blocks first on ties; ``return`` blocks last.
A block already cut out of the same program in an earlier iteration is not chosen again, so each iteration
tries a different hypothesis. A header block is cut with its whole statement (the loop or branch is
rewritten); a plain block is cut statement by statement, multi-line statements whole.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence

from tracefix.strategies.evidence import BlockEvidence, Finding

HEADER_KINDS = frozenset({"for", "async for", "while", "if", "with", "async with", "try", "match", "case"})


def _is_return(item: BlockEvidence) -> bool:
    return item.code.strip().startswith("return") and "\n" not in item.code.strip()


def targets(gathered: Sequence[BlockEvidence], found: Sequence[Finding], tried: Iterable[int]) -> list[int]:
    """Blocks to cut, most likely culprit first, leaving out ``tried``."""
    skip = set(tried)
    ran = {item.block for item in gathered}
    blamed = [f.culprit for f in found if f.culprit is not None and f.culprit in ran]

    def rank(item: BlockEvidence) -> tuple[int, float, int]:
        group = 2 if _is_return(item) else (1 if item.kind in HEADER_KINDS else 0)
        return (group, -item.suspicion, -item.block)

    ordered = [*blamed, *(item.block for item in sorted(gathered, key=rank))]
    return [b for b in dict.fromkeys(ordered) if b not in skip]


def _statements(tree: ast.AST) -> list[ast.stmt]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.stmt)]


def cut_span(program: str, lines: Sequence[int], header: bool) -> tuple[int, int] | None:
    """The 1-based line span to cut for a block of ``lines``: whole statements, a header's with its body."""
    try:
        tree = ast.parse(program)
    except SyntaxError:
        return None
    starts: dict[int, ast.stmt] = {}
    for node in _statements(tree):
        starts.setdefault(node.lineno, node)  # the outermost statement starting on a line comes first
    wanted = [starts[n] for n in sorted(lines) if n in starts]
    if not wanted:
        return None
    if header:
        node = wanted[0]
        return node.lineno, node.end_lineno or node.lineno
    last = wanted[-1]
    if isinstance(last, ast.If | ast.For | ast.AsyncFor | ast.While | ast.With | ast.AsyncWith | ast.Try):
        return wanted[0].lineno, max(n for n in lines)  # a compound statement's header: not its body
    return wanted[0].lineno, max(last.end_lineno or last.lineno, max(lines))


def cut(program: str, item: BlockEvidence, why: str) -> str | None:
    """``program`` with ``item``'s statements replaced by one TODO comment that says why they were wrong."""
    span = cut_span(program, item.lines, item.kind in HEADER_KINDS)
    if span is None:
        return None
    first, last = span
    lines = program.splitlines()
    indent = lines[first - 1][: len(lines[first - 1]) - len(lines[first - 1].lstrip())]
    todo = f"{indent}# TODO: the code that was here is wrong ({why}); write the correct code here"
    return "\n".join([*lines[: first - 1], todo, *lines[last:]])


def reason(item: BlockEvidence, found: Sequence[Finding]) -> str:
    """Why a block is cut, in a few words: the finding that blames it, or its own notes."""
    blamed = next((f.why for f in found if f.culprit == item.block and f.why), None)
    return blamed or "; ".join(item.notes) or "its values are wrong"
