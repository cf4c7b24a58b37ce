"""Record every call of a program's own functions while one test runs: who called whom, with what, and what came
back (the hierarchical strategy's evidence: real calls, where MGDebugger has a model imagine them).

A ``sys.settrace`` hook sees each call of a wanted function (the program's, by code object): it renders the
arguments when the call starts (a list the callee later mutates shows what it was given) and the return value
or the exception when it ends. Other code pays one cheap call per function call; the program's own frames
get no line events. Bounded: the first ``first_calls`` and the last ``last_calls`` calls of each function are
kept, every call is counted. A run past ``time_limit_s`` is stopped from inside (as the block tracer does),
so a test that never ends still gives the calls it made.

Only call this inside a sandbox worker's job (or on trusted code): the program runs in this process.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import CodeType, FrameType
from typing import Any

from tracefix.execution import runner
from tracefix.execution.alarm import repeating_alarm
from tracefix.execution.semantics import PROGRAM_FILE
from tracefix.execution.snapshots import exception_text
from tracefix.execution.tracer_settrace import leave_kind
from tracefix.execution.values import ValueLimits, safe_repr
from tracefix.records import Call, CallTrace

_SKIPPED_FLAGS = 0x20 | 0x80 | 0x200
"""CO_GENERATOR, CO_COROUTINE, CO_ASYNC_GENERATOR: each resume would look like a new call; not recorded."""


@dataclass(frozen=True)
class CallLimits:
    """How much of a run's calls is kept. Counts are always exact."""

    first_calls: int = 20
    """Calls kept from the start, per function."""
    last_calls: int = 5
    """The most recent calls kept, per function (beyond the first ones)."""
    time_limit_s: float | None = 10.0
    """Seconds after which the run is stopped from inside and the calls kept as they are. None: no limit."""
    values: ValueLimits = field(default_factory=ValueLimits)


class CallsTimeout(BaseException):
    """Raised into the program when the recorded run passes its time limit."""

    def __str__(self) -> str:
        return "the run was stopped at its time limit"


class CallRecorder:
    """Collects :class:`Call` records from ``sys.settrace`` events of the code objects ``wanted`` accepts."""

    def __init__(self, wanted: Callable[[CodeType], bool], limits: CallLimits) -> None:
        self.wanted = wanted
        self.limits = limits
        self.counts: dict[str, int] = {}
        self.total = 0
        self.kept: list[Call] = []
        self.recent: dict[str, deque[Call]] = {}
        self.stack: list[tuple[FrameType, Call]] = []
        self.raised: dict[FrameType, tuple[int, BaseException]] = {}
        self.expired = False
        self._previous: Any = None
        self._verdicts: dict[CodeType, bool] = {}
        self.started = time.perf_counter()

    def start(self) -> None:
        self.started = time.perf_counter()
        self._previous = sys.gettrace()
        sys.settrace(self._on_call)

    def stop(self) -> None:
        sys.settrace(self._previous)
        for _, call in self.stack:
            call.finished = False
        self.stack.clear()

    def calls(self) -> list[Call]:
        """The kept calls in the order they started."""
        recent = [call for ring in self.recent.values() for call in ring]
        return sorted([*self.kept, *recent], key=lambda call: call.id)

    def expire(self) -> None:
        """Stop the run at the next event of a recorded function (from a signal handler)."""
        self.expired = True

    def inside_hook(self, frame: FrameType | None) -> bool:
        """Whether one of the recorder's hooks is on the stack at ``frame`` (a signal handler must not raise
        there: ``sys.settrace`` would drop the hook, and the record would be half-updated)."""
        while frame is not None:
            if frame.f_code in _HOOK_CODES:
                return True
            frame = frame.f_back
        return False

    # -- hooks ------------------------------------------------------------------------------------

    def _on_call(self, frame: FrameType, event: str, arg: Any) -> Any:
        code = frame.f_code
        wanted = self._verdicts.get(code)
        if wanted is None:
            wanted = self._verdicts[code] = (
                not code.co_flags & _SKIPPED_FLAGS and not code.co_name.startswith("<") and self.wanted(code)
            )
        if not wanted:
            return None
        if self.expired:
            raise CallsTimeout
        function = code.co_qualname
        number = self.counts.get(function, 0)
        self.counts[function] = number + 1
        self.total += 1
        call = Call(
            id=self.total - 1,
            function=function,
            parent=self.stack[-1][1].id if self.stack else None,
            depth=len(self.stack),
            args=self._arguments(frame),
        )
        if number < self.limits.first_calls:
            self.kept.append(call)
        else:
            ring = self.recent.setdefault(function, deque(maxlen=max(self.limits.last_calls, 0)))
            ring.append(call)
        self.stack.append((frame, call))
        frame.f_trace_lines = False
        return self._local

    def _local(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "exception":
            self.raised[frame] = (frame.f_lasti, arg[1])
        elif event == "return":
            at, error = self.raised.pop(frame, (None, None))
            while self.stack and self.stack[-1][0] is not frame:
                self.stack.pop()[1].finished = False  # left without a return event (should not happen)
            if self.stack:
                _, call = self.stack.pop()
                if leave_kind(frame, at) == "raise" and error is not None:
                    call.exception = exception_text(error)
                else:
                    call.result = safe_repr(arg, self.limits.values)
        if self.expired:
            raise CallsTimeout
        return self._local

    def _arguments(self, frame: FrameType) -> dict[str, str]:
        code = frame.f_code
        count = code.co_argcount + code.co_kwonlyargcount
        count += bool(code.co_flags & 0x04) + bool(code.co_flags & 0x08)  # *args, **kwargs
        values = frame.f_locals
        return {
            name: safe_repr(values[name], self.limits.values)
            for name in code.co_varnames[:count]
            if name in values
        }


_HOOK_CODES = frozenset(
    {CallRecorder._on_call.__code__, CallRecorder._local.__code__, CallRecorder._arguments.__code__}
)
"""The recorder's hooks: an alarm that arrives while one runs is left to the recorder (see ``_deadline``)."""


@contextmanager
def _deadline(seconds: float | None, recorder: CallRecorder) -> Iterator[None]:
    """Stop the run with :class:`CallsTimeout` after ``seconds``; while the hook itself runs, the recorder
    stops the run at its next event instead."""
    if seconds is None or threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        recorder.expire()
        if not recorder.inside_hook(frame):
            raise CallsTimeout

    with repeating_alarm(seconds, interrupt):
        yield


def record_calls(
    program: str, test: str, *, prelude: str = "", limits: CallLimits | None = None
) -> CallTrace:
    """Run ``test`` against ``program`` (as :func:`runner.run_test` does) with every call of the program's own
    functions recorded (not lambdas, comprehensions or generators)."""
    limits = limits or CallLimits()
    recorder = CallRecorder(lambda code: code.co_filename == PROGRAM_FILE, limits)
    with _deadline(limits.time_limit_s, recorder):
        recorder.start()
        try:
            result = runner.run_test(program, test, prelude=prelude)
        finally:
            recorder.stop()
    timeout = result.exception is not None and result.exception.type == CallsTimeout.__name__
    return assemble(recorder, test, result.passed, result.error, result.exception, timeout)


def assemble(
    recorder: CallRecorder,
    test: str,
    passed: bool,
    error: str | None,
    exception: Any,
    timeout: bool,
) -> CallTrace:
    """The :class:`CallTrace` of a recorded run."""
    limits = recorder.limits
    cut = []
    for function, count in recorder.counts.items():
        if count > limits.first_calls + limits.last_calls:
            cut.append(
                f"{function}: kept the first {limits.first_calls} and the last {limits.last_calls}"
                f" of {count} calls"
            )
    if timeout:
        cut.insert(0, f"stopped after {limits.time_limit_s:g} s: the calls show where the run was")
    return CallTrace(
        test=test,
        passed=passed,
        error=error,
        exception=exception,
        calls=recorder.calls(),
        counts=dict(recorder.counts),
        truncated=bool(cut),
        cut=cut,
        timeout=timeout,
        duration_s=time.perf_counter() - recorder.started,
    )
