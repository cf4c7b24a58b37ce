"""Trace one test in a child Python process: ``python -m tracefix.execution.child``.

The child reads a JSON job on stdin (``program``, ``entry``, ``test``, optional ``prelude``, ``limits`` as
:meth:`TraceLimits.to_dict` gives them, and ``backend``) and writes the :class:`~tracefix.records.Trace` as JSON on
stdout. Whatever the traced program prints goes to stderr, never into that JSON.

This is a plain child process with a wall timeout, not a sandbox: the CLI and the debugging loop use
``tracefix.execution.sandbox.Executor``. It serves where a trace must come from another interpreter (comparing
the Python 3.11, 3.12 and 3.13 backends) or with custom :class:`TraceLimits` (the tracer benchmark).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from typing import Any

from tracefix.execution.snapshots import TraceLimits
from tracefix.records import Trace


def run_in_child(
    program: str,
    entry: str,
    test: str,
    *,
    prelude: str = "",
    limits: TraceLimits | None = None,
    backend: str | None = None,
    python: str = sys.executable,
    timeout_s: float = 30.0,
) -> Trace:
    """Trace ``test`` in a fresh ``python`` process; past ``timeout_s`` its whole process group is killed."""
    job: dict[str, Any] = {"program": program, "entry": entry, "test": test, "prelude": prelude}
    job["backend"] = backend
    job["limits"] = (limits or TraceLimits()).to_dict()
    child = subprocess.Popen(
        [python, "-m", "tracefix.execution.child"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = child.communicate(json.dumps(job), timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        error = f"timed out after {timeout_s:g} s"
        return Trace(function=entry, test=test, passed=False, error=error, timeout=True)
    if child.returncode != 0 or not out.strip():
        tail = err.strip().splitlines()[-1:] or [f"exit status {child.returncode}"]
        return Trace(function=entry, test=test, passed=False, error=f"trace child failed: {tail[0]}")
    return Trace.model_validate_json(out)


def main() -> None:
    """Run the job on stdin; print the trace on the original stdout."""
    job: dict[str, Any] = json.load(sys.stdin)
    result = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # a program writing to fd 1 directly must not corrupt the JSON
    if job.get("backend"):
        os.environ["TRACEFIX_TRACER"] = job["backend"]
    from tracefix.execution.tracer import trace_test

    trace = trace_test(
        job["program"],
        job["entry"],
        job["test"],
        prelude=job.get("prelude", ""),
        limits=TraceLimits.from_dict(job.get("limits", {})),
    )
    result.write(trace.model_dump_json())
    result.flush()


if __name__ == "__main__":
    main()
