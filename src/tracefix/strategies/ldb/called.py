"""Which function a failing test calls: the one to trace, or one the program never defines.

A test can call a function by a name the program does not define: in MBPP as the LDB data has it, the test
of 10 of the 96 seeds debugged in two samples calls ``check(70)`` where the task's header and the seed
define ``rev`` (the original solution's helper), or the seed wrote a helper and not the function the task
names. Then no block of the program runs and there is no trace to show; told only the ``NameError``, the
embedded 1.5B model repaired 1 of those 10 under any strategy. ldb's hole format instead adds the missing
function's header with a TODO for a body (``stub``), so the reply has to write it.

Once the program defines the function the test calls, that function is the one to trace, when the test
does not call the task's entry point itself (``under_test``).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from tracefix.analysis.source import parameter_names, parse_function
from tracefix.records import TestResult

MISSING_MARK = "# TODO: this function is missing"
"""The TODO line of a stub; ``hole.strip_todo`` drops it from a reply that copied it."""

_NOT_DEFINED = re.compile(r"name '([A-Za-z_]\w*)' is not defined")


@dataclass(frozen=True)
class MissingCall:
    """A function the test calls and the program does not define: its name and parameters."""

    name: str
    params: list[str]
    defined: list[str]
    """The program's own top-level functions, in order."""


def undefined_name(result: TestResult) -> str | None:
    """The name a ``NameError`` of the test run says is not defined, if it failed so."""
    exc = result.exception
    found = _NOT_DEFINED.search(exc.message) if exc is not None and exc.type == "NameError" else None
    return found.group(1) if found is not None else None


def _functions(tree: ast.Module) -> list[str]:
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def _calls(test: str) -> list[tuple[str, ast.Call]]:
    """Calls of plain names in the test, with the name called, in source order."""
    try:
        tree = ast.parse(test.strip())
    except SyntaxError:
        return []
    calls = [
        (n.func.id, n) for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    ]
    return sorted(calls, key=lambda item: (item[1].lineno, item[1].col_offset))


def _header_params(description: str, name: str) -> list[str] | None:
    """The parameters of ``def name(...)`` where the task's description writes that header."""
    found = re.search(rf"def\s+{re.escape(name)}\s*\(([^)]*)\)", description)
    if found is None:
        return None
    try:
        tree = ast.parse(f"def {name}({found.group(1)}): pass")
    except SyntaxError:
        return None
    function = tree.body[0]
    assert isinstance(function, ast.FunctionDef)
    return parameter_names(function.args)


def _entry_params(program: str, entry_point: str) -> list[str] | None:
    try:
        return parameter_names(parse_function(program, entry_point).args)
    except (SyntaxError, LookupError):
        return None


def missing_call(
    result: TestResult, program: str, *, description: str = "", entry_point: str = ""
) -> MissingCall | None:
    """The function a failing test calls that the program does not define; None for any other failure.

    Its parameters are the task header's for that name (``description``), else the entry point's when the
    call passes as many arguments, else ``arg1``, ``arg2``, ..."""
    name = undefined_name(result)
    if name is None or result.exception is None or not result.exception.in_test:
        return None
    try:
        tree = ast.parse(program)
    except SyntaxError:
        return None
    if name in _functions(tree):  # defined after all (the run said otherwise): nothing to add
        return None
    call = next((c for called, c in _calls(result.test) if called == name), None)
    if call is None:
        return None
    count = len(call.args) + len(call.keywords)
    params = _header_params(description, name)
    if params is None:
        from_entry = _entry_params(program, entry_point)
        params = from_entry if from_entry is not None and len(from_entry) == count else None
    if params is None:
        params = [f"arg{n + 1}" for n in range(len(call.args))]
        params += [k.arg for k in call.keywords if k.arg is not None]
    return MissingCall(name, params, _functions(tree))


def stub(program: str, missing: MissingCall) -> str:
    """``program`` with the missing function's header added at its end, a TODO for its body.

    Neither the TODO nor ``finding`` repeats the call's arguments (the prompt shows the test): with them,
    the embedded model wrote ``return rev(num) == 70 - 1`` for ``check(70)``."""
    header = f"def {missing.name}({', '.join(missing.params)}):"
    todo = f"    {MISSING_MARK} (the test calls it); write it here"
    return f"{program.rstrip()}\n\n\n{header}\n{todo}\n"


def finding(missing: MissingCall) -> str:
    """What the failing run shows, in one sentence."""
    defined = ", ".join(f"`{n}`" for n in missing.defined)
    has = f"it defines only {defined}" if defined else "it defines no function"
    return (
        f"The test calls `{missing.name}`, but the program does not define it ({has}), "
        "so none of its code ran."
    )


def under_test(program: str, test: str, entry_point: str) -> str:
    """The function to trace for ``test``: the entry point if the test calls it, else the first function
    of the program the test calls (the entry point when it calls none)."""
    names = [called for called, _ in _calls(test)]
    if entry_point in names or "." in entry_point:
        return entry_point
    try:
        tree = ast.parse(program)
    except SyntaxError:
        return entry_point
    functions = set(_functions(tree))
    return next((n for n in names if n in functions), entry_point)
