"""Run a fragment that may lack names, modules or attributes, with its stand-ins, and record its lines.

Only called inside a sandbox worker's job (see ``worker.py``). The stand-ins' code (``prelude``, written by
``tracefix.partial``) runs first under ``PRELUDE_FILE``; then the fragment under ``PROGRAM_FILE`` in a module
named ``__main__``, as ``python FILE`` runs a file; then ``call`` (code calling the function under test, if
any) under ``TEST_FILE``. Every line of the fragment that runs is recorded (a ``sys.settrace`` hook on the
fragment's own frames only). A run past its time limit is stopped from inside by an alarm, keeping the lines
recorded so far, before the sandbox would kill it and keep nothing.

The exception that ended the run is read for what was missing (:class:`~tracefix.records.Missing`): a name
nothing defines, a module that is not installed, an attribute a stand-in lacks, a call that does not fit the
function, or a line that reads a stand-in. Any other error is the fragment's own.
"""

from __future__ import annotations

import ast
import re
import sys
import threading
import time
import types
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from tracefix.execution import runner
from tracefix.execution.alarm import repeating_alarm
from tracefix.execution.semantics import (
    PRELUDE_FILE,
    PROGRAM_FILE,
    TEST_FILE,
    ProgramProcess,
    compile_source,
    fresh_module,
    register,
)
from tracefix.records import Missing, PartialRun

STANDIN_MARK = "_tracefix_standin"
"""The attribute every stand-in module and every stand-in class has (set by the prelude's helpers)."""

TIME_STOP = "stopped after"
"""How ``PartialRun.stopped`` starts for a run its time limit stopped from inside (other values say how the
process died)."""
STANDIN_PACKAGE = "_tracefix_package"
"""The package a fragment run with stand-ins is in, itself a stand-in (its prelude's header makes it)."""
_IMPORT_NAME = re.compile(r"cannot import name '([^']+)' from '([^']+)'")
_WHERE = {PROGRAM_FILE: "program", PRELUDE_FILE: "prelude", TEST_FILE: "test"}


class PartialStopped(BaseException):
    """Raised into the fragment when its time is up (a BaseException: ``except Exception`` lets it through)."""


def run_partial(
    program: str, prelude: str, call: str = "", *, time_limit_s: float = 10.0, output_cap: int = 8192
) -> PartialRun:
    """Run ``prelude``, ``program`` and ``call`` in a fresh ``__main__`` module; the fragment's lines that ran."""
    module = fresh_module()
    module.__name__ = "__main__"
    if prelude:  # with stand-ins, a relative import looks in a stand-in package (python FILE would refuse it)
        module.__package__ = STANDIN_PACKAGE
    seen: dict[int, None] = {}
    stdout = runner.CappedWriter(output_cap)
    stderr = runner.CappedWriter(output_cap)
    error: BaseException | None = None
    stopped: str | None = None
    started = time.perf_counter()
    with runner._captured(stdout, stderr), ProgramProcess(module) as process, _stop_after(time_limit_s):
        try:
            with _recording(seen):
                for source, filename in ((prelude, PRELUDE_FILE), (program, PROGRAM_FILE), (call, TEST_FILE)):
                    if source.strip():
                        register(source, filename)
                        code = compile_source(source, filename)
                        process.rebase()
                        exec(*(code, module.__dict__))  # a star call, as rebase requires
        except PartialStopped:
            stopped = f"{TIME_STOP} {time_limit_s:g} s"
        except BaseException as exc:
            error = exc
    duration = time.perf_counter() - started
    info = None if error is None else runner.describe(error)
    where = None if error is None else runner._locate(error)[0] or None
    return PartialRun(
        executed=list(seen),
        error=info,
        where=where,
        missing=None
        if error is None
        else missing_of(error, where, program, _invented(prelude, module, program)),
        stopped=stopped,
        stdout=stdout.getvalue(),
        duration_s=duration,
    )


@contextmanager
def _recording(seen: dict[int, None]) -> Iterator[None]:
    """Record each line of ``PROGRAM_FILE`` that runs, in order of first run."""

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            seen.setdefault(frame.f_lineno, None)
        return local

    def on_call(frame: FrameType, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename == PROGRAM_FILE else None

    previous = sys.gettrace()
    sys.settrace(on_call)
    try:
        yield
    finally:
        sys.settrace(previous)


@contextmanager
def _stop_after(seconds: float) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise PartialStopped

    with repeating_alarm(seconds, interrupt):
        yield


def prelude_names(prelude: str) -> set[str]:
    """The module-level names the stand-ins' code binds (assignments, definitions, imports)."""
    try:
        tree = ast.parse(prelude)
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        else:
            for target in ast.walk(node):
                if isinstance(target, ast.Name) and isinstance(target.ctx, ast.Store):
                    names.add(target.id)
    return {n for n in names if not n.startswith("_tracefix")}


def is_standin(value: object) -> bool:
    """A stand-in module, or an instance or subclass of a stand-in class."""
    if isinstance(value, types.ModuleType):
        return bool(value.__dict__.get(STANDIN_MARK))
    kind = value if isinstance(value, type) else type(value)
    return any(STANDIN_MARK in vars(k) for k in kind.__mro__)


def _invented(prelude: str, module: types.ModuleType, program: str) -> set[str]:
    """The module's names that hold invented values: those the stand-ins' code binds, those bound to a stand-in
    (``import numpy as np`` of a stand-in module), and, flow-insensitively, every name the fragment assigns
    from an expression that reads one of them."""
    names = prelude_names(prelude) | {n for n, v in list(module.__dict__.items()) if is_standin(v)}
    return tainted(program, names)


def flows(program: str) -> list[tuple[set[str], set[str]]]:
    """Each assignment of ``program`` (a loop variable, a comprehension's, a ``with ... as``) as the names its
    value reads and the names it binds."""
    try:
        tree = ast.parse(program)
    except SyntaxError:
        return []
    found: list[tuple[set[str], set[str]]] = []
    for node in ast.walk(tree):
        value: ast.AST | None = None
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            value, targets = node.value, list(node.targets)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign) and node.value is not None:
            value, targets = node.value, [node.target]
        elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
            value, targets = node.iter, [node.target]
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            value, targets = node.context_expr, [node.optional_vars]
        if value is None:
            continue
        read = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
        bound = {
            n.id
            for t in targets
            for n in ast.walk(t)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
        }
        found.append((read, bound))
    return found


def tainted(program: str, names: set[str]) -> set[str]:
    """``names`` and every name ``program`` assigns (anywhere) from an expression that reads one of them."""
    found = set(names)
    changed = True
    assignments = flows(program)
    while changed:
        changed = False
        for read, bound in assignments:
            if read & found and not bound <= found:
                found |= bound
                changed = True
    return found


def feeding(program: str, names: set[str]) -> list[str]:
    """``names`` and every name whose value flows into them through ``program``'s assignments (``n =
    len(pool)`` makes ``pool`` feed ``n``), nearest first: :func:`tainted` read backwards."""
    assignments = flows(program)
    order = sorted(names)
    for name in order:  # grows while it is read: breadth first
        for read, bound in assignments:
            if name in bound:
                order.extend(n for n in sorted(read) if n not in order)
    return order


def missing_of(error: BaseException, where: str | None, program: str, invented: set[str]) -> Missing | None:
    """What ``error`` says the run lacked, or None when it is an error of the fragment's own code."""
    if where == "prelude" or _innermost_frame(error, PRELUDE_FILE) is not None:
        # in a stand-in's code, or below it (a stand-in that calls the fragment back and recurses)
        return Missing(kind="stand-in", name=_prelude_name(error))
    if where == "test":
        return Missing(kind="call", name=type(error).__name__)
    if isinstance(error, ModuleNotFoundError) and error.name:
        return Missing(kind="module", name=error.name)
    if isinstance(error, ImportError) and (found := _IMPORT_NAME.search(str(error))):
        owner = sys.modules.get(found.group(2))
        if owner is not None and is_standin(owner):
            return Missing(kind="attribute", name=found.group(1), owner=found.group(2))
    if isinstance(error, NameError) and not isinstance(error, UnboundLocalError) and error.name:
        return Missing(kind="name", name=error.name)
    if isinstance(error, AttributeError) and error.name and is_standin(error.obj):
        return Missing(kind="attribute", name=error.name, owner=_owner(error.obj))
    line = runner._locate(error)[1]
    read = names_read(program, line)
    blamed = sorted(read & invented)
    owner = getattr(error, "obj", None) if isinstance(error, AttributeError) else None
    frame = _innermost_frame(error, PROGRAM_FILE)
    scope = frame.f_globals if frame is not None else {}
    for name in blamed:
        if owner is not None and scope.get(name) is owner:
            return Missing(kind="stand-in", name=name)  # the invented value that lacks the attribute
    if blamed:
        return Missing(kind="stand-in", name=blamed[0])
    if "_TracefixStandIn" in str(error) or "stand-in" in str(error):
        return Missing(kind="stand-in", name="")
    if _raises(program, line):
        return Missing(kind="input", name=type(error).__name__)
    if frame is not None and any(is_standin(frame.f_locals.get(n)) for n in read if n in frame.f_locals):
        return Missing(
            kind="stand-in", name=next(n for n in sorted(read) if is_standin(frame.f_locals.get(n)))
        )
    return None


def _owner(value: object) -> str:
    if isinstance(value, types.ModuleType):
        return value.__name__
    return getattr(value, "_tracefix_name", None) or type(value).__name__


def _prelude_name(error: BaseException) -> str:
    """The function of the stand-ins' code the error arose in (its innermost prelude frame)."""
    frame = _innermost_frame(error, PRELUDE_FILE)
    name = frame.f_code.co_name if frame is not None else ""
    return "" if name.startswith("_") else name  # the stand-ins' own machinery (``__getattr__``) names none


def _innermost_frame(error: BaseException, filename: str) -> FrameType | None:
    """The innermost frame of ``error``'s traceback whose code is from ``filename``."""
    tb, frame = error.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            frame = tb.tb_frame
        tb = tb.tb_next
    return frame


def names_read(program: str, line: int | None) -> set[str]:
    """The names the statement at ``line`` of ``program`` reads (its first line, for a compound statement)."""
    if line is None:
        return set()
    try:
        tree = ast.parse(program)
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.lineno == line and isinstance(node.ctx, ast.Load):
            names.add(node.id)
    return names


def _raises(program: str, line: int | None) -> bool:
    """The statement at ``line`` is a ``raise`` (the fragment rejecting what it was given)."""
    if line is None:
        return False
    try:
        tree = ast.parse(program)
    except SyntaxError:
        return False
    return any(isinstance(node, ast.Raise) and node.lineno == line for node in ast.walk(tree))
