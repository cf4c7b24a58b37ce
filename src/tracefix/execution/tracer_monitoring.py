"""The ``sys.monitoring`` tracer backend (Python 3.12+).

Line, start, resume, return and yield events are switched on for the one code object under test only
(``set_local_events``), so the rest of the program runs at full speed. Raise, unwind and throw events cannot be
local; they are global and filtered by code object (they are rare).
"""

from __future__ import annotations

import sys
from types import CodeType
from typing import Any

from tracefix.execution.snapshots import Recorder

_TOOL_IDS = (3, 4, 2, 0)
"""Tool ids to try: 3 and 4 are unassigned by CPython; then the profiler's and the debugger's."""


class MonitoringTracer:
    """Feeds a :class:`Recorder` from ``sys.monitoring`` events of one code object."""

    name = "monitoring"

    def __init__(self) -> None:
        self._tool: int | None = None
        self._code: CodeType | None = None

    def start(self, code: CodeType, recorder: Recorder) -> None:
        """Begin reporting the events of ``code`` to ``recorder``."""
        mon: Any = sys.monitoring  # type: ignore[attr-defined,unused-ignore]
        events = mon.events
        self._tool = _claim_tool(mon)
        self._code = code
        callbacks = _callbacks(code, recorder)
        for event, callback in callbacks.items():
            mon.register_callback(self._tool, getattr(events, event), callback)
        local = events.LINE | events.PY_START | events.PY_RESUME | events.PY_RETURN | events.PY_YIELD
        mon.set_local_events(self._tool, code, local)
        mon.set_events(self._tool, events.RAISE | events.PY_UNWIND | events.PY_THROW)

    def stop(self) -> None:
        """Stop reporting and give the tool id back."""
        if self._tool is None:
            return
        mon: Any = sys.monitoring  # type: ignore[attr-defined,unused-ignore]
        mon.set_events(self._tool, 0)
        if self._code is not None:
            mon.set_local_events(self._tool, self._code, 0)
        for event in _EVENTS:
            mon.register_callback(self._tool, getattr(mon.events, event), None)
        mon.free_tool_id(self._tool)
        self._tool = None


_EVENTS = ("LINE", "PY_START", "PY_RESUME", "PY_RETURN", "PY_YIELD", "RAISE", "PY_UNWIND", "PY_THROW")


def _claim_tool(mon: Any) -> int:
    for tool in _TOOL_IDS:
        if mon.get_tool(tool) is None:
            mon.use_tool_id(tool, "tracefix")
            return tool
    raise RuntimeError("every sys.monitoring tool id tracefix can use is taken")


def _callbacks(target: CodeType, recorder: Recorder) -> dict[str, Any]:
    """One callback per event. ``sys._getframe(1)`` inside a callback is the frame that caused the event."""
    getframe = sys._getframe

    def on_start(code: CodeType, offset: int) -> None:
        recorder.start(getframe(1))

    def on_resume(code: CodeType, offset: int) -> None:
        recorder.resume(getframe(1))

    def on_return(code: CodeType, offset: int, value: object) -> None:
        recorder.leave("return", value)

    def on_yield(code: CodeType, offset: int, value: object) -> None:
        recorder.leave("yield", value)

    def on_raise(code: CodeType, offset: int, error: BaseException) -> None:
        if code is target:
            recorder.raised(error)

    def on_unwind(code: CodeType, offset: int, error: BaseException) -> None:
        if code is target:
            recorder.leave("raise", error)

    def on_throw(code: CodeType, offset: int, error: BaseException) -> None:
        if code is target:
            recorder.resume(getframe(1))

    return {
        "LINE": recorder.line,
        "PY_START": on_start,
        "PY_RESUME": on_resume,
        "PY_RETURN": on_return,
        "PY_YIELD": on_yield,
        "RAISE": on_raise,
        "PY_UNWIND": on_unwind,
        "PY_THROW": on_throw,
    }
