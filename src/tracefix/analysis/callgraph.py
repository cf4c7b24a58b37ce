"""The call graph of a program: its own functions reachable from an entry point, and the order to debug them.

Read from the source (``ast``), as a reader would: a function calls another of the program when its body
names it (``helper(...)``, ``self.helper(...)``, ``Class.helper(...)``). The recorded calls of a run
(``execution.calls``) say which of these calls really happened; this module only says where to look.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Function:
    """One of the program's functions: its qualified name and the program's functions it names."""

    name: str
    """``helper`` or ``Class.method`` (the name the call recorder reports)."""
    callees: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tree:
    """The program's functions reachable from ``entry``, leaves first (``order``), the entry last."""

    entry: str
    functions: dict[str, Function] = field(default_factory=dict)
    order: tuple[str, ...] = ()

    @property
    def helpers(self) -> tuple[str, ...]:
        """The reachable functions but the entry, leaves first."""
        return tuple(name for name in self.order if name != self.entry)

    def edges(self) -> dict[str, list[str]]:
        """Caller -> callees, for the record."""
        return {name: list(self.functions[name].callees) for name in self.order}


def program_functions(program: str) -> dict[str, Function]:
    """Top-level functions and the methods of top-level classes, with the program's functions each names."""
    tree = ast.parse(program)
    found: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found[node.name] = node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    found[f"{node.name}.{item.name}"] = item
    by_last: dict[str, list[str]] = {}
    for name in found:
        by_last.setdefault(name.rpartition(".")[2], []).append(name)
    functions = {}
    for name, node in found.items():
        owner = name.rpartition(".")[0]
        callees: list[str] = []
        for called in _named_calls(node):
            for candidate in _resolve(called, owner, by_last):
                if candidate != name and candidate not in callees:
                    callees.append(candidate)
        functions[name] = Function(name, tuple(callees))
    return functions


def call_tree(program: str, entry: str) -> Tree:
    """The functions reachable from ``entry``, in post-order (each function after every function it calls,
    first met first; a recursive cycle is cut where it closes). SyntaxError when the program does not parse."""
    functions = program_functions(program)
    if entry not in functions:
        return Tree(entry, {}, ())
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        seen.add(name)
        for callee in functions[name].callees:
            if callee not in seen:
                visit(callee)
        order.append(name)

    visit(entry)
    return Tree(entry, {name: functions[name] for name in order}, tuple(order))


def _named_calls(node: ast.AST) -> list[tuple[str | None, str]]:
    """(qualifier, name) of every call in ``node``: ``f()`` -> (None, "f"), ``self.f()`` -> ("self", "f"),
    ``A.f()`` -> ("A", "f"), ``make().f()`` -> ("", "f"); nested definitions' calls included (a closure the
    function runs)."""
    calls: list[tuple[str | None, str]] = []
    for sub in ast.walk(node):
        if not isinstance(sub, ast.Call):
            continue
        func = sub.func
        if isinstance(func, ast.Name):
            calls.append((None, func.id))
        elif isinstance(func, ast.Attribute):
            calls.append((func.value.id if isinstance(func.value, ast.Name) else "", func.attr))
    return calls


def _resolve(called: tuple[str | None, str], owner: str, by_last: dict[str, list[str]]) -> list[str]:
    """The program's functions a call may be: a bare name is a top-level function; ``self.f`` the method of
    the caller's class; ``A.f`` the method of class ``A``; ``x.f`` on any other object the one method of the
    program named ``f``, when there is only one (which class ``x`` is cannot be read from the source)."""
    qualifier, name = called
    candidates = by_last.get(name, [])
    if qualifier is None:
        return [c for c in candidates if "." not in c]
    if qualifier in ("self", "cls"):
        return [c for c in candidates if c == f"{owner}.{name}"] if owner else []
    exact = [c for c in candidates if c == f"{qualifier}.{name}"]
    methods = [c for c in candidates if "." in c]
    return exact or (methods if len(methods) == 1 else [])
