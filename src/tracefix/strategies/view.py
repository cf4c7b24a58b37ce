"""What of the program a prompt shows, and how a reply becomes the next program.

A benchmark's program is one function with its helpers: prompts show it whole, and a reply holding part of
it is completed from the original (``extract.merge_with_original``). A repository's program is a whole
module (``Task.shown == "function"``): hundreds of lines a small model could neither read well nor write
back within its reply budget. Prompts then show only the function under test (a method under its class's
header), and the function of the reply replaces it in the module, every other byte of which is kept.
"""

from __future__ import annotations

import textwrap

from tracefix.analysis.source import FunctionNotFound, find_function, function_source, replace_function
from tracefix.records import Task


def shown(program: str, task: Task, original: str | None = None) -> str:
    """The part of ``program`` a prompt shows for ``task``. ``program`` may be ``original`` with part of the
    entry point's body cut out (ldb's hole format), which need not parse: the function's lines are found in
    ``original`` and shifted by the lines the cut removed."""
    if task.shown == "program":
        return program
    reference = original if original is not None else program
    try:
        start, end = find_function(reference, task.entry_point)
    except (FunctionNotFound, SyntaxError):
        return program  # the function is gone or the module does not parse: show what there is
    lines = program.splitlines(keepends=True)
    end += len(lines) - len(reference.splitlines(keepends=True))
    text = textwrap.dedent("".join(lines[start - 1 : end]))
    owner, _, _ = task.entry_point.rpartition(".")
    if not owner:
        return text
    return f"class {owner.split('.')[-1]}:\n    ...\n\n" + textwrap.indent(text, "    ")


def merged(program: str, candidate: str, task: Task) -> str:
    """The next program from a reply's ``candidate`` (already completed to define the entry point)."""
    if task.shown == "program":
        return candidate
    new = _function_of(candidate, task.entry_point)
    if new is None:
        return candidate
    try:
        return replace_function(program, task.entry_point, new)
    except (FunctionNotFound, SyntaxError):
        return candidate


def _function_of(candidate: str, entry: str) -> str | None:
    """The entry point's definition in ``candidate``: under its class, or at top level (a method given bare)."""
    for name in (entry, entry.rpartition(".")[2]):
        try:
            return textwrap.dedent(function_source(candidate, name))
        except (FunctionNotFound, SyntaxError):
            continue
    return None
