"""How a program runs: as ``python FILE`` runs it, but for the differences a test harness needs.

The runner (tests, hidden-test checks) and the tracer both load programs through this module, so every path
gives a program the same semantics (docs/sandbox.md, "How programs run", lists them all):

- **compiled as python compiles a file**: :func:`compile_source` passes ``dont_inherit=True``, so no compiler
  flag or ``__future__`` import of tracefix's own modules leaks into the program (tracefix's
  ``from __future__ import annotations`` once made an annotation naming an unimported ``List`` pass);
- **a module like ``__main__``**: ``__builtins__`` is the ``builtins`` module itself, ``import __main__`` and
  ``sys.modules["__main__"]`` give the program's module, and ``sys.argv`` is ``["<program>"]``; only
  ``__name__`` differs: it is ``"solution"``, so a program's ``if __name__ == "__main__":`` driver does not
  run under a test;
- **one fixed hash seed**: ``PYTHONHASHSEED=0`` in every worker (:data:`WORKER_ENV`), where ``python`` draws a
  random one per run: every run of a test gives the same result and the same trace. A program whose outcome
  depends on the iteration order of a set of strings gets one fixed order here, and any order under ``python``;
- **the recursion limit of a file's code**: the runner's own frames do not count.
  :meth:`ProgramProcess.rebase` raises the interpreter's limit by the depth in use where the program's code is
  executed, and ``sys.setrecursionlimit``/``sys.getrecursionlimit`` are replaced for the run by functions that
  add and subtract that depth, so the program sees (and sets) the limit ``python`` would give it and reaches
  exactly the same recursion depth.

Only call these inside a sandbox worker's job (or on trusted code): the program runs in this process.
"""

from __future__ import annotations

import builtins
import io
import linecache
import operator
import re
import sys
import types
from ast import Module
from collections.abc import Callable
from types import CodeType, TracebackType
from typing import Any, SupportsIndex

PROGRAM_FILE = "<program>"
PRELUDE_FILE = "<prelude>"
TEST_FILE = "<test>"
MODULE_NAME = "solution"
"""Not ``__main__``: a program's own ``if __name__ == "__main__":`` driver must not run under a test."""

HASH_SEED = "0"
"""The str hash seed of every job (``python`` picks a random one per run; see :data:`WORKER_ENV`)."""
WORKER_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONHASHSEED": HASH_SEED}
"""The whole environment of a worker process; its jobs inherit the worker's hash seed (they are forks)."""
WORKER_OPTIONS = ("-s", "-P", "-B")
"""The interpreter options of a worker: no user site directory, no cwd on ``sys.path``, no .pyc written.

Not ``-I``: that implies ``-E``, which ignores ``PYTHONHASHSEED``, so every worker drew its own random seed
and a job's outcome could depend on which worker ran it. The environment is :data:`WORKER_ENV` and nothing
else, so ``-E`` protects against nothing here.
"""

_DEPTH_MESSAGE = re.compile(r"at the recursion depth (\d+)")


def compile_source(source: str | Module, filename: str) -> CodeType:
    """Compile ``source`` as ``python`` compiles a file: with its own future imports only, no inherited flags.

    A source text is registered in ``linecache`` under ``filename`` so tracebacks show its lines.
    """
    if isinstance(source, str):
        register(source, filename)
    return compile(source, filename, "exec", flags=0, dont_inherit=True)


def register(source: str, filename: str) -> None:
    """Make ``source``'s lines what ``linecache`` (and so every traceback) shows for ``filename``."""
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)


def empty_stdin() -> io.TextIOWrapper:
    """The program's stdin: empty, as ``python FILE </dev/null`` has it (``input()`` raises EOFError at once),
    with a ``buffer`` of bytes like a real one; it has no file descriptor."""
    return io.TextIOWrapper(io.BytesIO(b""), encoding="utf-8")


def fresh_module() -> types.ModuleType:
    """A new, empty program module, registered in ``sys.modules`` (dataclasses and pickle look it up there).

    ``__builtins__`` is the ``builtins`` module, as in ``__main__`` (an imported module would have its dict);
    ``__annotations__`` and ``__cached__`` are set as ``python`` sets them for ``__main__``.
    """
    module = types.ModuleType(MODULE_NAME)
    module.__file__ = PROGRAM_FILE
    module.__builtins__ = builtins  # type: ignore[attr-defined]
    module.__cached__ = None  # type: ignore[attr-defined]
    module.__annotations__ = {}
    sys.modules[MODULE_NAME] = module
    return module


class ProgramProcess:
    """The process state ``python FILE`` gives a program, for the length of one run (a context manager).

    On entry: ``sys.modules["__main__"]`` is ``module``, ``sys.argv`` is ``[PROGRAM_FILE]``, and the recursion
    limit functions of ``sys`` take the runner's depth into account (see :meth:`rebase`). On exit everything is
    as it was, the interpreter's recursion limit included.
    """

    def __init__(self, module: types.ModuleType) -> None:
        self.module = module
        self.offset = 0
        """The recursion depth the runner itself uses where the program's code runs (see :meth:`rebase`)."""
        self._saved: tuple[Any, ...] = ()

    def __enter__(self) -> ProgramProcess:
        self._saved = (
            sys.argv,
            sys.modules.get("__main__"),
            sys.setrecursionlimit,
            sys.getrecursionlimit,
            _real_get_limit(),
        )
        sys.argv = [PROGRAM_FILE]
        sys.modules["__main__"] = self.module
        sys.setrecursionlimit = self._set_limit
        sys.getrecursionlimit = self._get_limit
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        argv, main, set_limit, get_limit, limit = self._saved
        sys.argv = argv
        if main is None:
            sys.modules.pop("__main__", None)
        else:
            sys.modules["__main__"] = main
        sys.setrecursionlimit = set_limit
        sys.getrecursionlimit = get_limit
        _real_set_limit(limit)

    def rebase(self) -> None:
        """Call right before executing program, prelude or test code, from the frame that executes it, which
        must call ``exec(*(code, namespace))``.

        ``python FILE`` runs a file's code with no frame of its own below it; here the runner's frames are
        below it. The limit is raised by exactly the depth those frames use, so the program's code can go as
        deep as under ``python`` and no deeper, at the limit the program sees (1000, or what it set).

        The depth is read as CPython counts it, inside a built-in called the way ``exec`` is then called (a
        star call), so what such a call counts itself (one level on 3.11, none from 3.12) is in both and
        cancels out. A star call because the interpreter never specializes it: on 3.11 a plain call of
        ``exec`` counts one level until the instruction is specialized (after a few runs of the function
        that holds it) and none afterwards.
        """
        limit = self._get_limit()
        # minus the frames of _depth_in_builtin and of this method: the depth of the frame that calls exec
        self.offset = _depth_in_builtin() - 2
        _real_set_limit(limit + self.offset)

    def _set_limit(self, limit: SupportsIndex, /) -> None:
        """``sys.setrecursionlimit`` as the program sees it: its limit, plus the runner's depth."""
        value = operator.index(limit)
        if value < 1:
            _real_set_limit(value)  # raises python's own ValueError
        _real_set_limit(value + self.offset)

    def _get_limit(self) -> int:
        """``sys.getrecursionlimit`` as the program sees it."""
        return _real_get_limit() - self.offset


_real_set_limit: Callable[[int], None] = sys.setrecursionlimit
_real_get_limit: Callable[[], int] = sys.getrecursionlimit


def _depth_in_builtin() -> int:
    """The recursion depth CPython counts inside a built-in star-called from this function's frame.

    CPython counts more than frames (on 3.11 each entry into the evaluation loop from C and some calls of
    built-ins add one), and says the exact count when a limit is refused as too low; where it does not say,
    the frames are counted instead (this frame included).
    """
    limit = _real_get_limit()
    try:
        _real_set_limit(*(1,))
    except RecursionError as exc:
        match = _DEPTH_MESSAGE.search(str(exc))
        if match:
            return int(match[1])
    else:
        _real_set_limit(limit)
    frame, depth = sys._getframe(), 0
    while frame is not None:
        depth += 1
        frame = frame.f_back  # type: ignore[assignment]
    return depth
