"""Child process of the CFG property test: run untrusted programs under a line tracer (stdlib only).

Reads JSON lines ``{"id", "program", "tests": [str]}`` from stdin, runs each program and then each
test in a fresh namespace with ``sys.settrace``, and writes one JSON line per program:
``{"id", "codes": [{"qualname", "firstlineno", "entries": [line], "pairs": [[line, line]], "exits": [line]}],
"events", "timeouts"}``. ``entries`` are the first lines of the frames of a function, ``pairs`` the distinct
moves between consecutive distinct lines within one frame (a generator's frame spans its resumptions),
``exits`` the last lines of frames that ended by a return instruction.

Never import this in the tracefix process: it executes the programs it is given.
Usage: python linetrace_child.py [per-test timeout in seconds] [settrace|monitoring] < jobs.jsonl > out.jsonl
(``monitoring``, Python 3.12+, records ``sys.monitoring`` LINE events instead of ``sys.settrace`` ones.)
"""

from __future__ import annotations

import contextlib
import dis
import json
import os
import resource
import signal
import sys
from types import CodeType, FrameType
from typing import Any

FILENAME = "<tracefix-program>"
SUSPENDABLE = 0x20 | 0x80 | 0x200  # CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR
CO_OPTIMIZED = 0x1
RETURNS = ("RETURN_VALUE", "RETURN_CONST")
TOOL = 4  # a sys.monitoring tool id no debugger, coverage tool or profiler claims
MAX_EVENTS = 3_000_000


class Timeout(BaseException):
    """Raised by the alarm; a BaseException so ``except Exception`` in a program does not swallow it."""


class LineRecorder:
    """Collects, per function code object of the program, frame entry lines, line moves and return lines."""

    def __init__(self) -> None:
        self.codes: dict[tuple[str, int], dict[str, set[Any]]] = {}
        self.frames: dict[FrameType, list[int | None]] = {}
        self.events = 0

    def record_for(self, code: CodeType) -> dict[str, set[Any]] | None:
        # functions only: not the module, class bodies, lambdas, comprehensions or generator expressions
        if code.co_filename != FILENAME or not code.co_flags & CO_OPTIMIZED or code.co_name.startswith("<"):
            return None
        key = (getattr(code, "co_qualname", code.co_name), code.co_firstlineno)
        return self.codes.setdefault(key, {"entries": set(), "pairs": set(), "exits": set()})

    def step(self, record: dict[str, set[Any]], state: list[int | None], line: int) -> None:
        self.events += 1
        if self.events > MAX_EVENTS:
            raise Timeout("event budget")
        last = state[0]
        if last is None:
            record["entries"].add(line)
        elif last != line:
            record["pairs"].add((last, line))
        state[0] = line

    def result(self) -> list[dict[str, Any]]:
        return [
            {
                "qualname": qualname,
                "firstlineno": first,
                "entries": sorted(rec["entries"]),
                "pairs": sorted(rec["pairs"]),
                "exits": sorted(rec["exits"]),
            }
            for (qualname, first), rec in sorted(self.codes.items())
        ]


class SettraceRecorder(LineRecorder):
    """``sys.settrace`` line events (every Python version)."""

    def start(self) -> None:
        sys.settrace(self.global_trace)

    def stop(self) -> None:
        sys.settrace(None)

    def global_trace(self, frame: FrameType, event: str, arg: object) -> Any:
        record = self.record_for(frame.f_code)
        if record is None:
            return None
        # a generator's or coroutine's frame keeps its state across resumptions (each one is a "call")
        suspendable = bool(frame.f_code.co_flags & SUSPENDABLE)
        state: list[int | None] = self.frames.setdefault(frame, [None]) if suspendable else [None]

        def local_trace(frame: FrameType, event: str, arg: object) -> Any:
            if event == "line":
                self.step(record, state, frame.f_lineno)
            elif event == "return" and state[0] is not None and _returning(frame):
                record["exits"].add(state[0])
            return local_trace

        return local_trace


class MonitoringRecorder(LineRecorder):
    """``sys.monitoring`` LINE events (Python 3.12+), what tracefix's tracer uses there."""

    def start(self) -> None:
        mon = sys.monitoring  # type: ignore[attr-defined]
        events = mon.events
        mon.use_tool_id(TOOL, "cfg-property")
        mon.register_callback(TOOL, events.PY_START, self._on_start)
        mon.register_callback(TOOL, events.LINE, self._on_line)
        mon.register_callback(TOOL, events.PY_RETURN, self._on_return)
        mon.register_callback(TOOL, events.PY_UNWIND, self._on_unwind)
        mon.set_events(TOOL, events.PY_START | events.LINE | events.PY_RETURN | events.PY_UNWIND)

    def stop(self) -> None:
        mon = sys.monitoring  # type: ignore[attr-defined]
        mon.set_events(TOOL, 0)
        for event in (mon.events.PY_START, mon.events.LINE, mon.events.PY_RETURN, mon.events.PY_UNWIND):
            mon.register_callback(TOOL, event, None)
        mon.free_tool_id(TOOL)

    def _on_start(self, code: CodeType, offset: int) -> Any:
        if self.record_for(code) is None:
            return sys.monitoring.DISABLE  # type: ignore[attr-defined]
        self.frames[sys._getframe(1)] = [None]
        return None

    def _on_line(self, code: CodeType, line: int) -> Any:
        record = self.record_for(code)
        if record is None:
            return sys.monitoring.DISABLE  # type: ignore[attr-defined]
        self.step(record, self.frames.setdefault(sys._getframe(1), [None]), line)
        return None

    def _on_return(self, code: CodeType, offset: int, value: object) -> Any:
        record = self.record_for(code)
        if record is None:
            return sys.monitoring.DISABLE  # type: ignore[attr-defined]
        state = self.frames.pop(sys._getframe(1), None)
        if state is not None and state[0] is not None:
            record["exits"].add(state[0])
        return None

    def _on_unwind(self, code: CodeType, offset: int, exc: BaseException) -> None:
        self.frames.pop(sys._getframe(1), None)


def _returning(frame: FrameType) -> bool:
    """True when the frame ends by a return instruction (not by an exception, a yield or an await)."""
    code = frame.f_code.co_code
    return 0 <= frame.f_lasti < len(code) and dis.opname[code[frame.f_lasti]] in RETURNS


def _on_alarm(signum: int, frame: object) -> None:
    raise Timeout("timeout")


def run_job(job: dict[str, Any], timeout: float, backend: str) -> dict[str, Any]:
    recorder: SettraceRecorder | MonitoringRecorder = (
        MonitoringRecorder() if backend == "monitoring" else SettraceRecorder()
    )
    namespace: dict[str, Any] = {"__name__": "tracefix_program"}
    timeouts = 0
    snippets = [job["program"], *job["tests"]]
    for index, snippet in enumerate(snippets):
        filename = FILENAME if index == 0 else "<tracefix-test>"
        try:
            code = compile(snippet, filename, "exec")
        except BaseException:
            continue
        signal.setitimer(signal.ITIMER_REAL, timeout, 0.2)
        recorder.start()
        try:
            exec(code, namespace)
        except Timeout:
            timeouts += 1
        except BaseException:
            pass
        finally:
            recorder.stop()
            signal.setitimer(signal.ITIMER_REAL, 0, 0)
    recorder.frames.clear()
    return {"id": job["id"], "codes": recorder.result(), "events": recorder.events, "timeouts": timeouts}


def main() -> None:
    timeout = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    backend = sys.argv[2] if len(sys.argv) > 2 else "settrace"
    jobs = [json.loads(line) for line in sys.stdin if line.strip()]
    out = sys.stdout
    sys.stdin = open(os.devnull)  # noqa: SIM115 - programs that read input() get EOF
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    signal.signal(signal.SIGALRM, _on_alarm)
    sink = open(os.devnull, "w")  # noqa: SIM115 - what the programs print is not wanted
    for job in jobs:
        sys.stdout = sys.stderr = sink
        result = run_job(job, timeout, backend)
        out.write(json.dumps(result) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
