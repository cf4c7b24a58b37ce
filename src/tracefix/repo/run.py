"""Run pytest node ids of a repository in a sandboxed child process, never in the tracefix process.

Each call starts a fresh ``python -I -B -m tracefix.repo.child`` with the repository as its working directory and
first import path. Where bubblewrap works (``tracefix.execution.bwrap.works()``) the child runs in a new bwrap
sandbox of its own: no network, the system and the interpreter read-only, a private ``/tmp``, the repository
bound read-only, no capabilities. Where it does not, the child is a plain process with rlimits (CPU, address
space, file size) in its own session. Either way a wall timeout kills the whole process group.

The repository's dependencies must be importable by tracefix's own interpreter (install them in its
environment), as they must be for ``python -m pytest``.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from tracefix.execution import bwrap
from tracefix.records import CallTrace, Trace

TMP_BYTES = 256 * 1024 * 1024
MEMORY_BYTES = 4 * 1024 * 1024 * 1024


@dataclass(frozen=True)
class Budget:
    """How pytest runs in the repository mode: how long it may run, and the stand-ins it runs with."""

    run_s: float = 300.0
    """The whole run: collection, fixtures and every test; past it the child is killed and nothing is known."""
    test_s: float | None = 60.0
    """One test's call: a test still running then is stopped where it is and fails as not finished (its
    traceback, and its trace when traced, show where it was), and the other tests go on. None: no limit.

    A limit below a test's real duration judges a right fix wrong: more-itertools' ``test_primes`` took 14 s on
    a 2-core machine with a benchmark running beside it, and at 10 s (the default until 2026-12-07) the embedded
    model's correct first fix of a bug in ``is_prime`` was rejected as not finishing. So the default leaves a
    slow test room; an endless loop costs a minute a run."""
    stand_in_modules: tuple[str, ...] = ()
    """Modules that are not installed, each a permissive stand-in in every run (``--stand-ins``)."""


DEFAULT_BUDGET = Budget()


@dataclass(frozen=True)
class Frame:
    """One frame of a failure traceback, inside the repository."""

    file: str
    """Absolute real path of the file."""
    line: int
    function: str
    qualname: str
    in_test: bool = False
    """The file is one of the tests' (``tracefix.repo.paths.is_test_file``)."""


@dataclass(frozen=True)
class Callee:
    """A project function the test function called directly, and the test line it was called from."""

    file: str
    qualname: str
    first_line: int
    from_line: int
    wrapper: bool = False
    """A nested function (e.g. a decorator's wrapper) that called no other project function."""


@dataclass
class NodeResult:
    """The outcome of one pytest test item."""

    nodeid: str
    outcome: str
    """"passed", "failed", "skipped" or "error" (a fixture or setup failed)."""
    exc_type: str = ""
    message: str = ""
    frames: list[Frame] = field(default_factory=list)
    longrepr: str = ""
    stdout: str = ""
    duration_s: float = 0.0
    callees: list[Callee] = field(default_factory=list)
    timeout: bool = False
    """The test's call did not finish within the time limit and was stopped."""
    defined: Callee | None = None
    """The test function as Python found it (its file and qualname: a base class's, for an inherited test)."""

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"


@dataclass(frozen=True)
class Collected:
    """A test item pytest collected: its node id and, for a parametrized case, its parameters (reprs)."""

    nodeid: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Spectrum:
    """Which project lines each test of a run executed (setup and teardown included): ``lines[file][line]``
    lists indices into ``tests``; files are real paths, the tests' own files are left out."""

    tests: list[str]
    lines: dict[str, dict[int, list[int]]]

    def ran(self, file: str, first: int, last: int) -> set[str]:
        """The node ids of the tests that executed a line of ``file`` between ``first`` and ``last``."""
        found: set[int] = set()
        for line, tests in self.lines.get(file, {}).items():
            if first <= line <= last:
                found.update(tests)
        return {self.tests[index] for index in found}


@dataclass
class PytestRun:
    """What one child pytest run produced."""

    exit_code: int
    tests: list[NodeResult]
    collected: list[Collected] = field(default_factory=list)
    collect_errors: list[str] = field(default_factory=list)
    trace: Trace | None = None
    calls: CallTrace | None = None
    spectrum: Spectrum | None = None
    """With ``spectrum=True``: the lines each test ran."""
    error: str | None = None
    """Why the run produced no answer (timeout, crash), else None."""
    sandbox: str = ""
    """"bwrap" or "rlimits"."""
    duration_s: float = 0.0
    stderr: str = ""

    def verdicts(self) -> dict[str, bool]:
        """Node id -> whether the test passed, for every test that ran (skipped tests are left out)."""
        return {test.nodeid: test.passed for test in self.tests if test.outcome != "skipped"}

    def result(self, nodeid: str) -> NodeResult | None:
        """The result of ``nodeid`` (an exact id, or a prefix of parametrized ids)."""
        for test in self.tests:
            if test.nodeid == nodeid:
                return test
        matching = [
            t for t in self.tests if t.nodeid.startswith(nodeid + "[") or t.nodeid.startswith(nodeid + "::")
        ]
        if not matching:
            return None
        failed = [t for t in matching if not t.passed]
        return failed[0] if failed else matching[0]


@dataclass(frozen=True)
class TraceSpec:
    """Trace ``qualname`` of ``file`` (absolute, inside the root the run uses) while ``nodeid`` runs."""

    nodeid: str
    file: str
    qualname: str
    test: str = ""
    """The text stored as ``Trace.test`` (the test function's source)."""


@dataclass(frozen=True)
class CallsSpec:
    """Record every call of the functions of ``file`` (absolute, inside the root the run uses) while
    ``nodeid`` runs."""

    nodeid: str
    file: str
    test: str = ""
    """The text stored as ``CallTrace.test``."""


def sandbox_mode() -> str:
    """ "bwrap" when a bwrap sandbox can be built here, else "rlimits"."""

    return "bwrap" if bwrap.works()[0] else "rlimits"


def run_pytest(
    root: str,
    nodeids: list[str],
    *,
    trace: TraceSpec | None = None,
    calls: CallsSpec | None = None,
    discover: bool = False,
    spectrum: bool = False,
    budget: Budget = DEFAULT_BUDGET,
    args: list[str] | None = None,
    sandbox: str | None = None,
) -> PytestRun:
    """Run ``nodeids`` with pytest under ``root`` in a sandboxed child; see the module docstring."""
    root = os.path.realpath(root)
    job: dict[str, Any] = {
        "root": root,
        "nodeids": nodeids,
        "discover": discover,
        "spectrum": spectrum,
        "args": args or [],
        "test_timeout_s": budget.test_s,
        "stand_ins": list(budget.stand_in_modules),
    }
    if trace is not None:
        job["trace"] = {
            "nodeid": trace.nodeid,
            "file": trace.file,
            "qualname": trace.qualname,
            "test": trace.test,
            "timeout_s": budget.test_s,
        }
    if calls is not None:
        job["calls"] = {"nodeid": calls.nodeid, "file": calls.file, "test": calls.test}
    mode = sandbox or sandbox_mode()
    argv = _command(root, mode)
    started = time.monotonic()
    child = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=root,
        env=None if mode == "bwrap" else _plain_env(),
        start_new_session=True,
        preexec_fn=_limit(budget.run_s),
    )
    try:
        out, err = child.communicate(json.dumps(job), timeout=budget.run_s)
    except subprocess.TimeoutExpired:
        _kill(child.pid)
        out, err = child.communicate()
        return PytestRun(
            -1, [], error=f"pytest timed out after {budget.run_s:g} s", sandbox=mode, stderr=err[-4000:]
        )
    finally:
        _kill(child.pid)
    elapsed = time.monotonic() - started
    if not out.strip():
        tail = err.strip().splitlines()[-1:] or [f"exit status {child.returncode}"]
        return PytestRun(
            -1, [], error=f"the pytest child failed: {tail[0]}", sandbox=mode, stderr=err[-4000:]
        )
    run = _parse(json.loads(out))
    run.sandbox, run.duration_s, run.stderr = mode, elapsed, err[-8000:]
    return run


def _command(root: str, mode: str) -> list[str]:
    inner = [sys.executable, "-I", "-B", "-m", "tracefix.repo.child"]
    if mode != "bwrap":
        return inner

    full = bwrap.command(inner, tmp_bytes=TMP_BYTES)
    split = full.index("--")
    options = full[:split]
    # The worker's capabilities are for switching job uids; test code needs none. Only one --chdir counts.
    kept: list[str] = []
    skip = False
    for arg in options:
        if skip:
            skip = False
            continue
        if arg in ("--cap-add", "--chdir"):
            skip = True
            continue
        kept.append(arg)
    # After --tmpfs /tmp, so a repository under /tmp is bound over the private tmpfs.
    kept += ["--ro-bind", root, root, "--chdir", root]
    return [*kept, "--", *inner]


def _plain_env() -> dict[str, str]:
    keep = ("PATH", "LANG", "LC_ALL", "HOME", "TMPDIR", "TRACEFIX_TRACER")
    env = {key: os.environ[key] for key in keep if key in os.environ}
    env["PYTHONHASHSEED"] = "0"
    return env


def _limit(timeout_s: float) -> Any:
    cpu = int(timeout_s) + 1

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024 * 1024, 64 * 1024 * 1024))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _parse(data: dict[str, Any]) -> PytestRun:
    tests = []
    for nodeid, entry in data.get("tests", {}).items():
        if "outcome" not in entry:
            continue
        tests.append(
            NodeResult(
                nodeid=nodeid,
                outcome=entry["outcome"],
                exc_type=entry.get("exc_type", ""),
                message=entry.get("message", ""),
                frames=[Frame(**frame) for frame in entry.get("frames", [])],
                longrepr=entry.get("longrepr", ""),
                stdout=entry.get("stdout", ""),
                duration_s=entry.get("duration", 0.0),
                callees=[Callee(**callee) for callee in entry.get("callees", [])],
                timeout=bool(entry.get("timeout")),
                defined=Callee(**entry["defined"]) if entry.get("defined") else None,
            )
        )
    trace_data = data.get("trace")
    trace = None
    error = None
    if isinstance(trace_data, dict) and trace_data.get("missing"):
        error = "the function to trace was not found among the functions the test run loaded"
    elif trace_data is not None:
        trace = Trace.model_validate(trace_data)
    calls = data.get("calls")
    spectrum = data.get("spectrum")
    return PytestRun(
        exit_code=data.get("exit_code", -1),
        tests=tests,
        calls=None if calls is None else CallTrace.model_validate(calls),
        spectrum=None
        if spectrum is None
        else Spectrum(
            spectrum["tests"],
            {
                file: {int(line): tests for line, tests in lines.items()}
                for file, lines in spectrum["lines"].items()
            },
        ),
        collected=[Collected(item["nodeid"], item.get("params", {})) for item in data.get("collected", [])],
        collect_errors=data.get("collect_errors", []),
        trace=trace,
        error=error,
    )
