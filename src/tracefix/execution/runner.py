"""Run one test against a program in the current process.

Only ever called inside a sandboxed child process (see ``worker.py``): the program is untrusted and runs with
the full powers of this process. The program gets a fresh module namespace; its source is registered in
``linecache`` so tracebacks show its lines; the prelude and the test are compiled under their own file names
so every error names the line of the user's program or of the test where it arose. Programs run with the
semantics ``python FILE`` gives them, as ``semantics.py`` describes (the tracer shares it).
"""

from __future__ import annotations

import ast
import codecs
import importlib
import io
import reprlib
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import CodeType, ModuleType
from typing import BinaryIO, cast

from typing_extensions import Buffer

from tracefix.execution.semantics import (
    MODULE_NAME,
    PRELUDE_FILE,
    PROGRAM_FILE,
    TEST_FILE,
    ProgramProcess,
    compile_source,
    empty_stdin,
    fresh_module,
    register,
)
from tracefix.records import ExceptionInfo, TestResult

__all__ = ["MODULE_NAME", "PRELUDE_FILE", "PROGRAM_FILE", "TEST_FILE", "run_check", "run_test"]

_WHERE = {PROGRAM_FILE: "program", PRELUDE_FILE: "prelude", TEST_FILE: "test"}
_LEFT, _KEEP = "__tracefix_left__", "__tracefix_keep__"
_OUTPUT_CAP = 8 * 1024
_MESSAGE_CAP = 300


def run_test(program: str, test: str, *, prelude: str = "", output_cap: int = _OUTPUT_CAP) -> TestResult:
    """Run ``prelude`` and ``program`` in a fresh module, then the test code (one or several lines).

    For a test that is a single ``assert <expr> <op> <expected>``, ``<expr>`` is evaluated once on its own and
    ``actual`` holds a safe, bounded repr of its value.
    """
    module = fresh_module()
    actual: list[str] = []

    def body(process: ProgramProcess) -> None:
        _load(process, prelude, program)
        _test(process, test, actual)

    return _run(test, output_cap, module, body, actual)


def run_check(
    program: str, check_code: str, entry_point: str, *, prelude: str = "", output_cap: int = _OUTPUT_CAP
) -> TestResult:
    """Run a HumanEval-style hidden test: ``check_code`` defines ``check(candidate)``, called with the entry point.

    MBPP-style check code that already calls ``check(...)`` itself runs that call too (it is then run twice).
    """
    if not all(part.isidentifier() for part in entry_point.split(".")):
        raise ValueError(f"entry point {entry_point!r} is not a (dotted) Python name")
    module = fresh_module()
    code = f"{check_code.rstrip()}\ncheck({entry_point})\n"

    def body(process: ProgramProcess) -> None:
        _load(process, prelude, program)
        _exec(process, compile_source(code, TEST_FILE))

    return _run(f"check({entry_point})", output_cap, module, body, [])


def _load(process: ProgramProcess, prelude: str, program: str) -> None:
    if prelude:
        _exec(process, compile_source(prelude, PRELUDE_FILE))
    _exec(process, compile_source(program, PROGRAM_FILE))


def _exec(process: ProgramProcess, code: CodeType) -> None:
    """Execute ``code`` in the program's module, at the recursion depth ``python`` runs a file's code at."""
    process.rebase()
    exec(*(code, process.module.__dict__))  # a star call, as rebase requires


def _test(process: ProgramProcess, test: str, actual: list[str]) -> None:
    """Run the test code; a lone comparing assert is rewritten so its left side is evaluated (and kept) once."""
    register(test, TEST_FILE)
    process.module.__dict__[_KEEP] = lambda value: actual.append(safe_repr(value))
    _exec(process, compile_source(_rewrite(test), TEST_FILE))


def _rewrite(test: str) -> ast.Module | str:
    """``assert A <op> B[, msg]`` becomes ``L = A; keep(L); assert L <op> B[, msg]`` on the same line.

    The evaluation order (A, then B, then the comparison) is the original's. Any other test is left alone.
    """
    try:
        tree = ast.parse(test, TEST_FILE)
    except SyntaxError:
        return test  # compiling it again reports the error with its line
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Assert):
        return tree
    node = tree.body[0]
    compare = node.test
    if not isinstance(compare, ast.Compare) or len(compare.ops) != 1:
        return tree
    left = ast.Name(_LEFT, ast.Load())
    store = ast.Assign(targets=[ast.Name(_LEFT, ast.Store())], value=compare.left)
    keep = ast.Expr(ast.Call(ast.Name(_KEEP, ast.Load()), [left], []))
    compare.left = ast.Name(_LEFT, ast.Load())
    for statement in (store, keep):
        ast.copy_location(statement, node)
    tree.body[:0] = [store, keep]
    return ast.fix_missing_locations(tree)


def _run(
    test: str,
    output_cap: int,
    module: ModuleType,
    body: Callable[[ProgramProcess], None],
    actual: list[str],
) -> TestResult:
    """Run ``body`` with captured output, as ``python`` runs a program, and turn whatever it raised into a result."""
    stdout, stderr = CappedWriter(output_cap), CappedWriter(output_cap)
    error: BaseException | None = None
    start = time.perf_counter()
    with _captured(stdout, stderr), ProgramProcess(module) as process:
        try:
            body(process)
        except BaseException as exc:
            error = exc
    duration = time.perf_counter() - start
    info = None if error is None else describe(error)
    where = None if error is None else _locate(error)[0]
    return TestResult(
        test=test,
        passed=error is None,
        error=None if info is None else summary(info, where if where == "prelude" else None),
        exception=info,
        actual=actual[0] if actual else None,
        stdout=stdout.getvalue(),
        stderr=stderr.getvalue(),
        duration_s=duration,
        memory_limit=isinstance(error, MemoryError),
    )


@contextmanager
def _captured(stdout: CappedWriter, stderr: CappedWriter) -> Iterator[None]:
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = empty_stdin(), stdout, stderr
    try:
        yield
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved


def describe(error: BaseException) -> ExceptionInfo:
    """Type, one-line message and the line (of program, prelude or test) where ``error`` arose."""
    where, line = _locate(error)
    return ExceptionInfo(
        type=type(error).__name__,
        message=_message(error),
        line=line,
        in_test=where == "test",
    )


def summary(info: ExceptionInfo, where: str | None = None) -> str:
    """The one-line error of a result, e.g. ``ZeroDivisionError: division by zero (program line 7)``.

    ``where`` names the source the line belongs to when it is neither the program nor the test ("prelude").
    """
    text = f"{info.type}: {info.message}" if info.message else info.type
    if info.line is None:
        return text
    return f"{text} ({where or ('test' if info.in_test else 'program')} line {info.line})"


def _locate(error: BaseException) -> tuple[str, int | None]:
    """The deepest frame of the traceback that belongs to the program, the prelude or the test."""
    if isinstance(error, SyntaxError) and error.filename in _WHERE:
        return _WHERE[error.filename], error.lineno
    found: tuple[str, int | None] = ("", None)
    tb = error.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename in _WHERE:
            found = (_WHERE[filename], tb.tb_lineno)
        tb = tb.tb_next
    return found


def _message(error: BaseException) -> str:
    if isinstance(error, SyntaxError) and error.msg:
        return error.msg  # str() would repeat the file name and line that the summary gives anyway
    try:
        text = str(error)
    except Exception:
        return "<unprintable message>"
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first if len(first) <= _MESSAGE_CAP else first[:_MESSAGE_CAP] + "…"


def safe_repr(value: object) -> str:
    """A bounded repr that never raises (the team's ``values.safe_repr`` when it is there)."""
    try:
        return _TEAM_REPR(value) if _TEAM_REPR is not None else _REPR.repr(value)
    except Exception as exc:
        return f"<{type(value).__name__} object (repr failed: {type(exc).__name__})>"


def _team_repr() -> Callable[[object], str] | None:
    """``tracefix.execution.values.safe_repr`` if that module exists (looked up once: a failed import is slow)."""
    try:
        module = importlib.import_module("tracefix.execution.values")
    except ImportError:
        return None
    found = getattr(module, "safe_repr", None)
    return found if callable(found) else None


def _make_repr() -> reprlib.Repr:
    short = reprlib.Repr()
    short.maxstring = short.maxother = 200
    short.maxlist = short.maxtuple = short.maxset = short.maxdict = short.maxdeque = 30
    short.maxlong = 200
    return short


_TEAM_REPR = _team_repr()
_REPR = _make_repr()


class CappedWriter(io.StringIO):
    """A text stream that keeps the first ``cap`` characters and counts the rest.

    Like ``sys.stdout`` under ``python`` it says its encoding is UTF-8 and has a ``buffer`` that takes bytes
    (decoded into the same stream); unlike it, it has no file descriptor.
    """

    def __init__(self, cap: int) -> None:
        super().__init__()
        self.cap = cap
        self.kept = 0
        self.dropped = 0
        self._bytes = _BytesInto(self)

    encoding = "utf-8"

    @property
    def buffer(self) -> BinaryIO:
        return cast(BinaryIO, self._bytes)

    def write(self, text: str) -> int:
        room = self.cap - self.kept
        if room > 0:
            super().write(text[:room])
            self.kept += min(room, len(text))
        self.dropped += max(0, len(text) - max(room, 0))
        return len(text)

    def getvalue(self) -> str:
        value = super().getvalue()
        if self.dropped:
            value += f"\n[… cut: {self.dropped} more characters]"
        return value


class _BytesInto(io.RawIOBase):
    """The ``buffer`` of a :class:`CappedWriter`: UTF-8 bytes written here are decoded into it."""

    def __init__(self, text: io.StringIO) -> None:
        super().__init__()
        self._text = text
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def writable(self) -> bool:
        return True

    def write(self, data: Buffer) -> int:
        chunk = memoryview(data).tobytes()  # TypeError for str and int, as a real buffer raises
        self._text.write(self._decoder.decode(chunk))
        return len(chunk)
