"""A fragment to execute: a module, a snippet, or one function of a file, and the lines it counts.

The executable lines are coverage.py's statements (its parser is what every Python coverage report uses: a
statement spread over several lines counts once, at its first line; docstrings do not count). For a function
the lines are the statements from its ``def`` line to its end; for a module or snippet, every statement.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from coverage.parser import PythonParser

from tracefix.analysis.source import FunctionNotFound, find_function, parameter_names, parse_function


class FragmentError(ValueError):
    """The fragment cannot be executed at all: it does not parse, or the function is not in it."""


@dataclass(frozen=True)
class Fragment:
    source: str
    function: str | None = None
    """The function to call (``name`` or ``Class.method``), or None to run the module or snippet."""
    path: str = "<fragment>"
    lines: list[int] = field(default_factory=list)
    """The executable lines counted (file numbering)."""

    @property
    def parameters(self) -> list[str]:
        """The function's parameter names (``self`` and ``cls`` included), or none for a module."""
        if self.function is None:
            return []
        return parameter_names(parse_function(self.source, self.function).args)

    @property
    def packed(self) -> dict[str, str]:
        """The function's ``*args`` and ``**kwargs`` parameters: name -> ``*`` or ``**``."""
        if self.function is None:
            return {}
        args = parse_function(self.source, self.function).args
        return {
            **({args.vararg.arg: "*"} if args.vararg else {}),
            **({args.kwarg.arg: "**"} if args.kwarg else {}),
        }

    def counted(self, executed: list[int]) -> list[int]:
        """The counted lines among ``executed`` (each folded onto its statement's first line), in order."""
        parser = _parser(self.source)
        wanted = set(self.lines)
        seen: dict[int, None] = {}
        for line in executed:
            first = parser.first_line(line)
            if first in wanted:
                seen.setdefault(first, None)
        return list(seen)


def load(path: Path, function: str | None = None) -> Fragment:
    """The fragment in ``path`` (read as UTF-8)."""
    return fragment(path.read_text(encoding="utf-8"), function, path=str(path))


def fragment(source: str, function: str | None = None, *, path: str = "<fragment>") -> Fragment:
    try:
        ast.parse(source)
    except SyntaxError as exc:
        raise FragmentError(f"{path} does not parse: {exc.msg} (line {exc.lineno})") from exc
    statements = sorted(_parser(source).statements)
    if function is not None:
        try:
            start, end = find_function(source, function)
        except FunctionNotFound as exc:
            raise FragmentError(f"{path} has no function {function!r}") from exc
        node = parse_function(source, function)
        start = node.lineno  # the def line (decorators run with it)
        statements = [line for line in statements if start <= line <= end]
    return Fragment(source=source, function=function, path=path, lines=statements)


def _parser(source: str) -> PythonParser:
    parser = PythonParser(text=source)
    parser.parse_source()
    return parser
