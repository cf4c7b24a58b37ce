"""The ``sys.settrace`` tracer backend (Python 3.11; also usable on later versions).

The global trace function answers every call with ``None`` except calls of the code object under test, which get
the local trace function: other code pays one cheap call per function call and no per-line cost.
"""

from __future__ import annotations

import dis
import sys
from types import CodeType, FrameType
from typing import Any

from tracefix.execution.snapshots import Recorder

_RETURNS = frozenset(dis.opmap[name] for name in ("RETURN_VALUE", "RETURN_CONST") if name in dis.opmap)
_YIELD = dis.opmap["YIELD_VALUE"]
_RESUME = dis.opmap["RESUME"]


class SettraceTracer:
    """Feeds a :class:`Recorder` from ``sys.settrace`` events of one code object."""

    name = "settrace"

    def __init__(self) -> None:
        self._previous: Any = None

    def start(self, code: CodeType, recorder: Recorder) -> None:
        """Begin tracing the frames of ``code``."""
        self._previous = sys.gettrace()
        sys.settrace(_global_tracer(code, recorder))

    def stop(self) -> None:
        """Stop tracing (restoring whatever trace function was there before)."""
        sys.settrace(self._previous)


def _global_tracer(target: CodeType, recorder: Recorder) -> Any:
    raised_at: dict[FrameType, tuple[int, BaseException]] = {}
    """Frames whose latest event was an exception: the instruction it happened at, and the exception."""

    def on_other_event(frame: FrameType, event: str, arg: Any) -> None:
        if event == "return":
            at, error = raised_at.pop(frame, (None, None))
            kind = leave_kind(frame, at)
            recorder.leave(kind, error if kind == "raise" else arg)
        elif event == "exception":
            raised_at[frame] = (frame.f_lasti, arg[1])
            recorder.raised(arg[1])

    recorder.on_other_event = on_other_event  # type: ignore[method-assign]
    local = recorder.trace_local

    def on_call(frame: FrameType, event: str, arg: Any) -> Any:
        if frame.f_code is not target:
            return None
        if frame in recorder.suspended:
            recorder.resume(frame)
        else:
            recorder.start(frame)
        return local

    return on_call


def leave_kind(frame: FrameType, raised_at: int | None) -> str:
    """settrace reports return, yield and unwind alike; the instruction the frame stopped at tells them apart.

    An exception event at the very instruction where the frame leaves means the exception is leaving with it
    (this is also how a ``throw()`` into a suspended generator looks).
    """
    lasti, code = frame.f_lasti, frame.f_code.co_code
    opcode = code[lasti] if lasti >= 0 else -1
    if opcode == _RESUME and lasti >= 2 and code[lasti - 2] == _YIELD:
        opcode = _YIELD  # 3.13 reports a yield at the RESUME that follows it
    if raised_at == lasti or (opcode not in _RETURNS and opcode != _YIELD):
        return "raise"
    return "yield" if opcode == _YIELD else "return"
