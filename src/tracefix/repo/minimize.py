"""Make a passing patch smaller: undo each of its hunks that the tests do not need.

A small model asked to fix one wrong line often rewrites its neighbours too (a set written as a tuple, a
loop as a comprehension, a renamed variable). Those changes are noise to the developer reviewing the diff, and
each is a chance of a behaviour the tests do not pin down. Each hunk of the patch (a run of changed lines,
as ``difflib`` groups them) is undone in turn, last first; an undo is kept when the file still compiles and the
tests still pass. One pass, one test run per hunk: the greedy first step of delta debugging (Zeller and
Hildebrandt 2002) on hunks, which is what a patch of a few hunks needs.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

from tracefix.execution.semantics import compile_source


def hunks(before: str, after: str) -> list[tuple[int, int, int, int]]:
    """The changed runs of lines: ``(i1, i2, j1, j2)``, lines ``before[i1:i2]`` became ``after[j1:j2]``."""
    matcher = difflib.SequenceMatcher(None, before.splitlines(keepends=True), after.splitlines(keepends=True))
    return [(i1, i2, j1, j2) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def undo(before: str, after: str, hunk: tuple[int, int, int, int]) -> str:
    """``after`` with ``hunk`` (one of ``hunks(before, after)``) put back as it was in ``before``."""
    i1, i2, j1, j2 = hunk
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    return "".join(new[:j1] + old[i1:i2] + new[j2:])


def minimize(before: str, after: str, passes: Callable[[str], bool]) -> tuple[str, int]:
    """``after`` with every hunk the tests do not need undone, and how many were undone.

    ``passes(text)`` runs the tests with ``text`` as the file. A patch of one hunk is returned as it is."""
    current, undone = after, 0
    if len(hunks(before, current)) < 2:
        return current, 0
    for hunk in reversed(hunks(before, after)):  # last first: earlier hunks keep their line numbers
        candidate = undo(before, current, _shifted(before, current, hunk, after))
        if candidate == current or not _compiles(candidate):
            continue
        if passes(candidate):
            current, undone = candidate, undone + 1
    return current, undone


def _shifted(
    before: str, current: str, hunk: tuple[int, int, int, int], after: str
) -> tuple[int, int, int, int]:
    """``hunk`` of ``hunks(before, after)`` as it stands in ``current`` (later hunks may have been undone)."""
    for found in hunks(before, current):
        if found[:2] == hunk[:2]:
            return found
    return hunk


def _compiles(text: str) -> bool:
    try:
        compile_source(text, "<patched>")
    except (SyntaxError, ValueError):
        return False
    return True
