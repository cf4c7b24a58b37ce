"""What of the program a prompt shows, and how a reply becomes the next program.

A benchmark's program is one function with its helpers: prompts show it whole, and a reply holding part of
it is completed from the original (``extract.merge_with_original``). A repository's program is a whole
module (``Task.shown == "function"``): hundreds of lines a small model could neither read well nor write
back within its reply budget. Prompts then show only the function under test (a method under its class's
header), and the function of the reply replaces it in the module, every other byte of which is kept but for
the imports the reply added for that function (``analysis.imports``).

A repository function's docstring is left out of what the prompt shows (the task states it once) and put back,
byte for byte, into the function of each reply: a small model re-types a long docstring, which costs its
generation time and invites changes to it (a real library's docstrings run to dozens of lines of examples).
"""

from __future__ import annotations

import ast
import textwrap

from tracefix.analysis.imports import brought_imports, with_imports
from tracefix.analysis.source import (
    FunctionNotFound,
    find_function,
    function_source,
    parse_function,
    replace_function,
    split_lines,
)
from tracefix.records import Task


def shown(program: str, task: Task, original: str | None = None, *, docstring: bool = True) -> str:
    """The part of ``program`` a prompt shows for ``task``. ``program`` may be ``original`` with part of the
    entry point's body cut out (ldb's hole format), which need not parse: the function's lines are found in
    ``original`` and shifted by the lines the cut removed. With ``docstring=False`` a benchmark program is shown
    without its entry point's docstring when the task states that docstring word for word."""
    if task.shown == "program":
        return program if docstring else _stated_docstring_left_out(program, task, original)
    reference = original if original is not None else program
    try:
        start, end = find_function(reference, task.entry_point)
    except (FunctionNotFound, SyntaxError):
        return program  # the function is gone or the module does not parse: show what there is
    lines, ref_lines = program.splitlines(keepends=True), reference.splitlines(keepends=True)
    whole = textwrap.dedent("".join(ref_lines[start - 1 : end]))
    end += len(lines) - len(ref_lines)
    text = _without_docstring(textwrap.dedent("".join(lines[start - 1 : end])), whole)
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
        replaced = with_docstring(replace_function(program, task.entry_point, new), program, task.entry_point)
    except (FunctionNotFound, SyntaxError):
        return candidate
    return with_imports(replaced, brought_imports(candidate, new, program))


def _function_of(candidate: str, entry: str) -> str | None:
    """The entry point's definition in ``candidate``: under its class, or at top level (a method given bare)."""
    for name in (entry, entry.rpartition(".")[2]):
        try:
            return textwrap.dedent(function_source(candidate, name))
        except (FunctionNotFound, SyntaxError):
            continue
    return None


def _docstring_of(node: ast.AST) -> tuple[int, int] | None:
    """The first and last line of the docstring of definition ``node``, when its body has a docstring on a
    line of its own and other statements after it."""
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or len(node.body) < 2:
        return None
    first = node.body[0]
    if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)):
        return None
    if not isinstance(first.value.value, str) or first.lineno == node.lineno:
        return None
    return first.lineno, first.end_lineno or first.lineno


def _without_docstring(text: str, reference: str) -> str:
    """``text`` (a function as shown, perhaps with part of its body cut out) without the docstring
    ``reference`` (the same function whole) has, when those lines stand unchanged in ``text``."""
    try:
        found = _docstring_of(ast.parse(reference).body[0])
    except (SyntaxError, IndexError):
        return text
    return _left_out(text, reference, found)


def _left_out(text: str, reference: str, found: tuple[int, int] | None, stated: str | None = None) -> str:
    """``text`` without the lines ``found`` (first, last) of ``reference``, when they stand unchanged in
    ``text`` (and, with ``stated``, ``stated`` holds them word for word); ``text`` as it is otherwise."""
    if found is None:
        return text
    first, last = found
    lines, ref = split_lines(text), split_lines(reference)
    doc = ref[first - 1 : last]
    if lines[first - 1 : last] != doc or (stated is not None and "".join(doc).strip() not in stated):
        return text
    return "".join(lines[: first - 1] + lines[last:])


def with_docstring(module: str, original: str, entry: str) -> str:
    """``module`` with the docstring function ``entry`` has in ``original`` put back exactly as it was, in place
    of the one ``entry`` has in ``module`` (or of none); ``module`` unchanged when the original has none or
    the two bodies are indented differently (the docstring's lines would change its text)."""
    try:
        old_node, new_node = parse_function(original, entry), parse_function(module, entry)
    except (FunctionNotFound, SyntaxError):
        return module
    found = _docstring_of(old_node)
    if found is None or new_node.body[0].lineno == new_node.lineno:
        return module
    if new_node.body[0].col_offset != old_node.body[0].col_offset:
        return module
    lines = split_lines(module)
    own = _docstring_of(new_node)
    head_end = (own[0] if own is not None else new_node.body[0].lineno) - 1
    while head_end > new_node.lineno and not lines[head_end - 1].strip():
        head_end -= 1  # blank lines between the header and the body stay after the docstring
    rest = lines[head_end:]
    if own is not None:
        rest = [
            line
            for number, line in enumerate(lines, 1)
            if number > head_end and not own[0] <= number <= own[1]
        ]
    doc = split_lines(original)[found[0] - 1 : found[1]]
    return "".join(lines[:head_end] + doc + rest)


def _stated_docstring_left_out(program: str, task: Task, original: str | None) -> str:
    """``program`` without the docstring of the task's entry point, when ``task.description`` holds that
    docstring's lines word for word (the model reads it there once) and they stand unchanged in ``program``."""
    reference = original if original is not None else program
    try:
        found = _docstring_of(parse_function(reference, task.entry_point))
    except (FunctionNotFound, SyntaxError):
        return program
    return _left_out(program, reference, found, task.description)


def docstring_put_back(candidate: str, program: str, entry: str) -> str:
    """``candidate`` with the docstring its entry point has in ``program`` put back, when the candidate's entry
    point has none (the prompt left it out, or the model dropped it); ``candidate`` as it is otherwise."""
    try:
        if _docstring_of(parse_function(candidate, entry)) is not None:
            return candidate
    except (FunctionNotFound, SyntaxError):
        return candidate
    return with_docstring(candidate, program, entry)
