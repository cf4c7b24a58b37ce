"""Which part of the program ldb's ``hole`` format cuts out, and how: the block the trace blames, replaced
by a TODO saying why.

Small models asked to fix a program mostly copy it back unchanged (in the first measurements, 7 of 7 first
replies of the focused format on the first HumanEval problems, and most replies of the paper's two-call
format). A program with the wrong part cut out cannot be
copied back: the model has to write that part again, from the task, the failing test and what the trace
says about it. The trace chooses the part, one per iteration, never the same twice on the same program:
0. in a repository, a block with a line that only failing tests of the test file ran, when other lines of the
   function ran in passing tests too (``Task.suspicions``: spectrum-based fault localization over the whole
   test file, stronger evidence than one failing test's trace);
1. a block the findings blame (``findings.py``): where the exception arose, or the run of a block that
   put the first wrong element into the returned list or string; cut alone, it is a precise hypothesis;
2. else the function's top-level statements the failing test ran (a loop or branch whole, by the highest
   suspicion of the blocks inside; a plain block by its own; Ochiai over the passing tests), later ones
   first on ties: room to restructure;
3. then plain blocks by suspicion, then inner headers (with their statement), ``return`` blocks last;
4. with the hole format's ``rewrite`` option, once every part has been cut: the whole body (``body_span``), sampled.
A header is cut with its whole statement; a plain block statement by statement, multi-line ones whole.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence

from tracefix.analysis.source import parse_function
from tracefix.strategies.ldb.called import MISSING_MARK
from tracefix.strategies.ldb.evidence import BlockEvidence
from tracefix.strategies.ldb.findings import Finding

HEADER_KINDS = frozenset({"for", "async for", "while", "if", "elif", "with", "async with", "match", "case"})
TODO_MARK = "# TODO: the code that was here is wrong"


def _is_return(item: BlockEvidence) -> bool:
    return item.code.strip().startswith("return") and "\n" not in item.code.strip()


def top_level(program: str, entry_point: str) -> dict[int, int]:
    """Start line -> end line of each statement directly in the body of the function ``entry_point``."""
    try:
        function = parse_function(program, entry_point)  # the definition the CFG is built from
    except (SyntaxError, LookupError):
        return {}
    return {stmt.lineno: stmt.end_lineno or stmt.lineno for stmt in function.body}


def targets(
    gathered: Sequence[BlockEvidence],
    found: Sequence[Finding],
    tried: Iterable[int],
    outer: dict[int, int] | None = None,
) -> list[int]:
    """Blocks to cut, most likely culprit first, leaving out ``tried``; ``outer`` is ``top_level``'s map."""
    skip = set(tried)
    outer = outer or {}
    ran = {item.block for item in gathered}
    blamed = [f.culprit for f in found if f.culprit is not None and f.culprit in ran]

    def spanned(item: BlockEvidence) -> float:  # a header stands for its statement: its highest suspicion
        if item.kind not in HEADER_KINDS:
            return item.suspicion
        end = outer[item.lines[0]]
        return max(i.suspicion for i in gathered if item.lines[0] <= i.lines[0] <= end)

    units = [i for i in gathered if i.lines and i.lines[0] in outer and not _is_return(i)]
    units.sort(key=lambda i: (-spanned(i), -i.block))

    def rank(item: BlockEvidence) -> tuple[int, float, int]:
        group = 2 if _is_return(item) else (1 if item.kind in HEADER_KINDS else 0)
        return (group, -item.suspicion, -item.block)

    ordered = [
        *_only_failing(gathered),
        *blamed,
        *(i.block for i in units),
        *(item.block for item in sorted(gathered, key=rank)),
    ]
    return [b for b in dict.fromkeys(ordered) if b not in skip]


def _only_failing(gathered: Sequence[BlockEvidence]) -> list[int]:
    """Blocks with a line only failing tests of the task's test suite ran (``Task.suspicions``), most
    suspicious first; none when every block the suite scored is such a block (nothing tells them apart)."""
    scored = [item for item in gathered if item.spectrum is not None]
    only = [item for item in scored if item.spectrum is not None and item.spectrum.passed == 0]
    if len(only) == len(scored):
        return []
    return [item.block for item in sorted(only, key=lambda i: (-i.suspicion, i.block))]


def strip_todo(program: str) -> str:
    """A reply's program without the TODO lines it copied from the prompt (a cut's or a stub's)."""
    marks = (TODO_MARK, MISSING_MARK)
    return "\n".join(line for line in program.splitlines() if not any(m in line for m in marks)) + "\n"


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


def body_span(program: str, entry_point: str) -> tuple[int, int] | None:
    """The lines (first, last) of the body of ``entry_point`` after its docstring, if it has one."""
    try:
        function = parse_function(program, entry_point)
    except (SyntaxError, LookupError):
        return None
    body = function.body
    first = body[0]
    if (
        len(body) > 1
        and isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        body = body[1:]
    return body[0].lineno, body[-1].end_lineno or body[-1].lineno


def span(program: str, item: BlockEvidence) -> tuple[int, int] | None:
    """The lines (first, last) that cutting ``item`` removes."""
    return cut_span(program, item.lines, item.kind in HEADER_KINDS)


def cut(program: str, item: BlockEvidence, why: str) -> str | None:
    """``program`` with ``item``'s statements replaced by one TODO comment that says why they were wrong."""
    return cut_lines(program, span(program, item), why)


def cut_lines(program: str, lines_cut: tuple[int, int] | None, why: str) -> str | None:
    """``program`` with the lines ``lines_cut`` (first, last) replaced by one TODO comment saying ``why``."""
    if lines_cut is None:
        return None
    first, last = lines_cut
    lines = program.splitlines()
    indent = lines[first - 1][: len(lines[first - 1]) - len(lines[first - 1].lstrip())]
    todo = f"{indent}{TODO_MARK} ({why}); write the correct code here"
    return "\n".join([*lines[: first - 1], todo, *lines[last:]])


def reason(item: BlockEvidence, found: Sequence[Finding]) -> str:
    """Why a block is cut, in a few words: the finding that blames it, or its own notes."""
    blamed = next((f.why for f in found if f.culprit == item.block and f.why), None)
    return blamed or "; ".join(item.notes) or "its values are wrong"
