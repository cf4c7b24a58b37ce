"""Where a reply's function ends, so generation can stop there (``GenParams.end_of``).

In the repository mode a prompt shows one function of a module and only that function of the reply is read
(``strategies.view.merged``); a small model that meets names it was not shown goes on to invent them, long
constant tables included, until its token budget ends. Nothing after the function is read, and a greedy
reply cut there is a prefix of the whole one, so stopping at the function's end changes no candidate program.
"""

from __future__ import annotations

import ast
import re

_FENCE = re.compile(r"```[ \t]*(?:python|py)?[ \t]*\n")


def function_end(text: str, name: str) -> int | None:
    """The offset in ``text`` where the definition of function ``name`` in its first code block is known to
    have ended: the start of the first later line, indented no deeper than the ``def``, before which the
    definition parses whole (a string literal's lines at column 0 do not end it). None while that is not
    known yet, or when the block has no such definition."""
    fence = _FENCE.search(text)
    if fence is None:
        return None
    start = fence.end()
    lines = text[start:].splitlines(keepends=True)
    header = re.compile(rf"^([ \t]*)(?:async[ \t]+)?def[ \t]+{re.escape(name)}[ \t]*\(")
    offset = start
    indent = 0
    chunk: list[str] = []  # the definition so far, from its ``def`` line
    for line in lines:
        if not chunk:
            found = header.match(line)
            if found is not None:
                indent = len(found.group(1).expandtabs())
                chunk = [line]
            elif line.startswith("```"):
                return None
            offset += len(line)
            continue
        stripped = line.strip()
        depth = len(line) - len(line.lstrip(" \t"))
        if stripped and depth <= indent and not stripped.startswith("#") and _complete(chunk, indent):
            return offset
        chunk.append(line)
        offset += len(line)
    return None


def _complete(chunk: list[str], indent: int) -> bool:
    """``chunk`` (a ``def`` indented by ``indent`` and the lines after it) parses as a whole definition."""
    lines = [line[indent:] if not line[:indent].strip() else line for line in chunk]
    try:
        tree = ast.parse("".join(lines))
    except SyntaxError:
        return False
    return len(tree.body) == 1 and isinstance(tree.body[0], ast.FunctionDef | ast.AsyncFunctionDef)


def cut(text: str, name: str) -> str:
    """``text`` up to the end of function ``name``, its code block closed; ``text`` when it has not ended."""
    end = function_end(text, name)
    if end is None:
        return text
    return text[:end].rstrip("\n") + "\n```"
