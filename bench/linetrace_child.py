"""Child process of the CFG property test: run untrusted programs under a line tracer (stdlib only).

Reads JSON lines ``{"id", "program", "tests": [str]}`` from stdin, runs each program and then each
test in a fresh namespace with ``sys.settrace``, and writes one JSON line per program:
``{"id", "codes": [{"qualname", "firstlineno", "entries": [line], "pairs": [[line, line]], "exits": [line]}],
"events", "timeouts"}``. ``entries`` are the first lines of the frames of a function, ``pairs`` the distinct
moves between consecutive distinct lines within one frame (a generator's frame spans its resumptions),
``exits`` the last lines of frames that ended by a return instruction.

Never import this in the tracefix process: it executes the programs it is given.
Usage: python linetrace_child.py [per-test timeout in seconds] < jobs.jsonl > results.jsonl
"""

from __future__ import annotations

import contextlib
import dis
import json
import os
import resource
import signal
import sys
from types import FrameType
from typing import Any

FILENAME = "<tracefix-program>"
SUSPENDABLE = 0x20 | 0x80 | 0x200  # CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR
CO_OPTIMIZED = 0x1
RETURNS = ("RETURN_VALUE", "RETURN_CONST")
MAX_EVENTS = 3_000_000


class Timeout(BaseException):
    """Raised by the alarm; a BaseException so ``except Exception`` in a program does not swallow it."""


class LineRecorder:
    """Collects, per code object of the program, frame entry lines and line-to-line moves."""

    def __init__(self) -> None:
        self.codes: dict[tuple[str, int], dict[str, set[Any]]] = {}
        self.suspended: dict[FrameType, list[int | None]] = {}
        self.events = 0

    def global_trace(self, frame: FrameType, event: str, arg: object) -> Any:
        code = frame.f_code
        # functions only: not the module, class bodies, lambdas, comprehensions or generator expressions
        if code.co_filename != FILENAME or not code.co_flags & CO_OPTIMIZED or code.co_name.startswith("<"):
            return None
        key = (getattr(code, "co_qualname", code.co_name), code.co_firstlineno)
        record = self.codes.setdefault(key, {"entries": set(), "pairs": set(), "exits": set()})
        suspendable = bool(code.co_flags & SUSPENDABLE)
        state: list[Any] = self.suspended.setdefault(frame, [None]) if suspendable else [None]

        def local_trace(frame: FrameType, event: str, arg: object) -> Any:
            if event == "line":
                self.events += 1
                if self.events > MAX_EVENTS:
                    raise Timeout("event budget")
                line = frame.f_lineno
                last = state[0]
                if last is None:
                    record["entries"].add(line)
                elif last != line:
                    record["pairs"].add((last, line))
                state[0] = line
            elif event == "return" and state[0] is not None and _returning(frame):
                record["exits"].add(state[0])
            return local_trace

        return local_trace

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


def _returning(frame: FrameType) -> bool:
    """True when the frame ends by a return instruction (not by an exception, a yield or an await)."""
    code = frame.f_code.co_code
    return 0 <= frame.f_lasti < len(code) and dis.opname[code[frame.f_lasti]] in RETURNS


def _on_alarm(signum: int, frame: object) -> None:
    raise Timeout("timeout")


def run_job(job: dict[str, Any], timeout: float) -> dict[str, Any]:
    recorder = LineRecorder()
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
        sys.settrace(recorder.global_trace)
        try:
            exec(code, namespace)
        except Timeout:
            timeouts += 1
        except BaseException:
            pass
        finally:
            sys.settrace(None)
            signal.setitimer(signal.ITIMER_REAL, 0, 0)
    recorder.suspended.clear()
    return {"id": job["id"], "codes": recorder.result(), "events": recorder.events, "timeouts": timeouts}


def main() -> None:
    timeout = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    jobs = [json.loads(line) for line in sys.stdin if line.strip()]
    out = sys.stdout
    sys.stdin = open(os.devnull)  # noqa: SIM115 - programs that read input() get EOF
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    signal.signal(signal.SIGALRM, _on_alarm)
    sink = open(os.devnull, "w")  # noqa: SIM115 - what the programs print is not wanted
    for job in jobs:
        sys.stdout = sys.stderr = sink
        result = run_job(job, timeout)
        out.write(json.dumps(result) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
