"""Run pytest node ids of a repository in THIS process: ``python -m tracefix.repo.child``.

Only ever started by :func:`tracefix.repo.run.run_pytest`, inside a fresh bubblewrap sandbox (or a plain child
process with rlimits where bwrap cannot run): the repository's tests are untrusted code.

The job arrives as JSON on stdin (see :class:`tracefix.repo.run.PytestJob`); the answer goes out as JSON on the
original stdout, while whatever pytest and the tests print goes to stderr. A small pytest plugin records, for
each test, its outcome, the frames of its failure traceback and (with ``discover``) the project functions the
test function called directly; with ``trace`` it installs the tracer on one function's code object while the
given test runs and returns the :class:`~tracefix.records.Trace`, in the file's own line numbers.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import reprlib
import sys
import types
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import CodeType, FrameType, TracebackType
from typing import Any

import pytest

from tracefix.execution.alarm import repeating_alarm
from tracefix.partial.standins import HEADER
from tracefix.repo.paths import inside, is_test_file, module_name


class TestDidNotFinish(BaseException):
    """Raised inside a test that runs past the per-test time limit: a ``BaseException``, so that the code under
    test does not swallow it with ``except Exception``; its traceback shows where the test was."""

    __test__ = False  # not a pytest test class

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds

    def __str__(self) -> str:
        return f"the test did not finish in {self.seconds:g} s"


STOPPED = ("TestDidNotFinish", "TraceTimeout")
"""The exceptions that end a test run past its time limit (the second, the tracer's, while it was traced)."""

_PARAMS = reprlib.Repr()
_PARAMS.maxstring = _PARAMS.maxother = 80


class Collector:
    """The pytest plugin of the child: records outcomes, failure frames, callees, parametrized cases and the
    trace, and stops a test that runs past the time limit."""

    def __init__(self, job: dict[str, Any]) -> None:
        self.root: str = job["root"]
        self.discover: bool = bool(job.get("discover"))
        self.trace_spec: dict[str, Any] | None = job.get("trace")
        self.test_timeout_s: float | None = job.get("test_timeout_s")
        self.tests: dict[str, dict[str, Any]] = {}
        self.collected: list[dict[str, Any]] = []
        self.collect_errors: list[str] = []
        self.trace: dict[str, Any] | None = None
        self.calls_spec: dict[str, Any] | None = job.get("calls")
        self.calls: dict[str, Any] | None = None
        self.coverage: Any = _start_coverage(self.root) if job.get("spectrum") else None

    def _project(self, filename: str) -> bool:
        return inside(filename, self.root) and not is_test_file(filename, self.root)

    # -- hooks ------------------------------------------------------------------------------------

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: Any, nextitem: Any) -> Generator[None, Any, None]:
        if self.coverage is not None:  # the lines each test runs, setup and teardown included
            self.coverage.switch_context(item.nodeid)
        try:
            yield
        finally:
            if self.coverage is not None:
                self.coverage.switch_context("")

    def spectrum(self) -> dict[str, Any] | None:
        """The project lines each test ran: ``{"tests": [nodeid, ...], "lines": {file: {line: [test index,
        ...]}}}`` (files are real paths; test files are left out)."""
        if self.coverage is None:
            return None
        self.coverage.stop()
        data = self.coverage.get_data()
        tests: dict[str, int] = {}
        lines: dict[str, dict[int, list[int]]] = {}
        for file in data.measured_files():
            real = os.path.realpath(file)
            if not self._project(real):
                continue
            for line, contexts in data.contexts_by_lineno(file).items():
                ran = [tests.setdefault(c, len(tests)) for c in contexts if c]
                if ran:
                    lines.setdefault(real, {})[line] = ran
        return {"tests": list(tests), "lines": lines}

    def pytest_collectreport(self, report: Any) -> None:
        if report.failed:
            self.collect_errors.append(f"{report.nodeid or '(session)'}: {str(report.longrepr)[-2000:]}")

    def pytest_collection_finish(self, session: Any) -> None:
        for item in session.items:
            callspec = getattr(item, "callspec", None)
            params = {k: _param_repr(v) for k, v in callspec.params.items()} if callspec is not None else {}
            self.collected.append({"nodeid": item.nodeid, "params": params})

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: Any) -> Generator[None, Any, None]:
        test_code = _code_of(getattr(item, "obj", None))
        callees: list[dict[str, Any]] = []
        if self.discover and test_code is not None:
            sys.setprofile(self._profiler(test_code, callees))
        tracing = (
            self.trace_spec is not None and self.trace is None and item.nodeid == self.trace_spec["nodeid"]
        )
        started = _start_trace(self.trace_spec, self.root) if tracing and self.trace_spec else None
        recording = (
            self.calls_spec is not None and self.calls is None and item.nodeid == self.calls_spec["nodeid"]
        )
        recorder = _start_calls(self.calls_spec) if recording and self.calls_spec else None
        try:
            with _time_limit(self.test_timeout_s, started, recorder):
                outcome = yield
        finally:
            sys.setprofile(None)
            if started is not None:
                started.stop()
            if recorder is not None:
                recorder.stop()
        excinfo = outcome.excinfo
        error = excinfo[1] if excinfo else None
        if started is not None:
            self.trace = started.finish(error, self.root)
        if recorder is not None and self.calls_spec is not None:
            self.calls = _finish_calls(recorder, self.calls_spec, error)
        entry = self.tests.setdefault(item.nodeid, {})
        entry["callees"] = callees
        if test_code is not None:  # where the test function is defined (a base class's file, if inherited)
            entry["defined"] = _callee(test_code, 0, wrapper=False)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: Any, call: Any) -> Generator[None, Any, None]:
        outcome = yield
        report = outcome.get_result()
        entry = self.tests.setdefault(item.nodeid, {})
        if report.when == "call" or (report.when == "setup" and not report.passed) or report.failed:
            entry["duration"] = entry.get("duration", 0.0) + report.duration
        # The first failure is kept: a unittest subTest that failed reports through here during the call, and
        # the test's own report after it says "passed" (pytest counts the test as passed, its subtest failed).
        if entry.get("outcome") not in ("failed", "error") and (
            report.when == "call" or (report.when == "setup" and not report.passed) or report.failed
        ):
            entry["outcome"] = "error" if report.failed and report.when != "call" else report.outcome
            entry["when"] = report.when
            if call.excinfo is not None and report.failed:
                entry.update(_failure(call.excinfo.value, call.excinfo.tb, self.root))
                entry["longrepr"] = str(report.longrepr)[-4000:]
                if entry["exc_type"] in STOPPED:
                    entry["timeout"] = True
                    entry["message"] = str(TestDidNotFinish(self.test_timeout_s or 0))
        entry.setdefault("stdout", "")
        entry["stdout"] = (entry["stdout"] + report.capstdout)[-8000:]

    def _profiler(self, test_code: CodeType, callees: list[dict[str, Any]]) -> Any:
        """A profile hook recording the project functions the test calls directly.

        A call through a decorator's wrapper (a nested function of the project) is recorded as the function
        the wrapper called, so ``@logged def count`` gives ``Cart.count``, not ``logged.<locals>.wrapper``.
        """

        def profile(frame: FrameType, event: str, arg: Any) -> None:
            if event != "call":
                return
            code, back = frame.f_code, frame.f_back
            if back is None or not self._project(code.co_filename):
                return
            if back.f_code is test_code:
                callees.append(_callee(code, back.f_lineno, wrapper="<locals>" in code.co_qualname))
            elif callees and callees[-1]["wrapper"] and back.f_code.co_qualname == callees[-1]["qualname"]:
                caller = back.f_back
                if caller is not None and caller.f_code is test_code:
                    callees[-1] = _callee(code, caller.f_lineno, wrapper=False)

        return profile


@contextmanager
def _time_limit(seconds: float | None, started: _Started | None, recorder: Any = None) -> Iterator[None]:
    """Stop the test with :class:`TestDidNotFinish` after ``seconds``; the alarm repeats every 50 ms until the
    test has stopped (a bare ``except:`` may swallow one). While a trace hook runs, the tracer is told to stop
    the run at its next safe point instead (raising inside a hook would leave its record half-updated); the
    call recorder (``recorder``) likewise."""
    if not seconds:
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        if started is not None and started.inside_hook(frame):
            started.expire()
            return
        if recorder is not None and recorder.inside_hook(frame):
            recorder.expire()
            return
        raise TestDidNotFinish(seconds)

    with repeating_alarm(seconds, interrupt):
        yield


def _param_repr(value: Any) -> str:
    try:
        return _PARAMS.repr(value)
    except Exception:  # a broken __repr__ of a parameter must not lose the collection
        return f"<{type(value).__name__}>"


def _callee(code: CodeType, from_line: int, *, wrapper: bool) -> dict[str, Any]:
    return {
        "file": code.co_filename,
        "qualname": code.co_qualname,
        "first_line": code.co_firstlineno,
        "from_line": from_line,
        "wrapper": wrapper,
    }


def _code_of(function: Any) -> CodeType | None:
    function = getattr(function, "__func__", function)
    for _ in range(50):
        wrapped = getattr(function, "__wrapped__", None)
        if wrapped is None:
            break
        function = wrapped
    code = getattr(function, "__code__", None)
    return code if isinstance(code, CodeType) else None


def _failure(error: BaseException, tb: TracebackType | None, root: str) -> dict[str, Any]:
    frames = []
    while tb is not None:
        code = tb.tb_frame.f_code
        filename = os.path.realpath(code.co_filename) if os.path.isabs(code.co_filename) else code.co_filename
        if inside(filename, root):
            frames.append(
                {
                    "file": filename,
                    "line": tb.tb_lineno,
                    "function": code.co_name,
                    "qualname": code.co_qualname,
                    "in_test": is_test_file(filename, root),
                }
            )
        tb = tb.tb_next
    return {"exc_type": type(error).__name__, "message": _message(error), "frames": frames}


def _message(error: BaseException) -> str:
    try:
        text = str(error)
    except Exception:  # a broken __str__ of the user's exception must not lose the result
        text = f"<{type(error).__name__}: unprintable>"
    return text[:2000]


# --------------------------------------------------------------------------- tracing one function


# The tracing modules are imported lazily, when a trace is asked for: this child starts for every pytest run
# of the repository mode, most trace nothing, and they add 0.14 s to its start (0.16 s -> 0.30 s, measured).


class _Started:
    """A tracer installed on the target's code object for the duration of one test call."""

    def __init__(self, spec: dict[str, Any], source: str, cfg: Any, code: CodeType, tracer: Any) -> None:
        from tracefix.execution.snapshots import Recorder, TraceLimits
        from tracefix.execution.tracer import _Run
        from tracefix.execution.tracer_target import line_keys

        self.spec = spec
        self.cfg = cfg
        self.limits = TraceLimits.from_dict(spec.get("limits") or {})
        self.run = _Run()
        self.run.code = code
        self.run.phase = "test"  # pytest imported the module already: every visit is the test's
        self.run.recorder = Recorder(line_keys(source, cfg, code), len(cfg.blocks), self.limits)
        self.tracer = tracer
        tracer.start(code, self.run.recorder)

    def stop(self) -> None:
        self.tracer.stop()
        assert self.run.recorder is not None
        self.run.recorder.finish()

    def inside_hook(self, frame: FrameType | None) -> bool:
        """Whether a trace hook is on the stack at ``frame``."""
        from tracefix.execution.tracer import _inside_tracefix

        return _inside_tracefix(frame)

    def expire(self) -> None:
        """Have the tracer stop the run at the next line of the traced function (from a signal handler)."""
        assert self.run.recorder is not None
        self.run.recorder.expire()

    def finish(self, error: BaseException | None, root: str) -> dict[str, Any]:
        from tracefix.execution.tracer import _assemble

        self.run.error = error
        trace = _assemble(self.spec["qualname"], self.spec.get("test", ""), self.cfg, self.limits, self.run)
        trace.backend = self.tracer.name
        if error is not None and type(error).__name__ in STOPPED:
            trace.timeout = trace.truncated = True
            trace.cut.insert(
                0, f"{TestDidNotFinish(self.spec.get('timeout_s') or 0)}: the visits show where it was"
            )
        if error is not None and trace.exception is not None:
            frames = _failure(error, error.__traceback__, root)["frames"]
            last = frames[-1] if frames else None
            trace.exception.in_test = last is not None and bool(last["in_test"])
            trace.exception.line = None if last is None else last["line"]
        return trace.model_dump(mode="json")


def _start_coverage(root: str) -> Any:
    """A started ``coverage.Coverage`` measuring the files under ``root``, in memory (coverage.py's C tracer
    makes recording every test's lines affordable; a ``sys.settrace`` hook of our own would be many times
    slower on a library's whole test file)."""
    import coverage  # only the spectrum run needs it

    measured = coverage.Coverage(data_file=None, include=[os.path.join(root, "*")], branch=False)
    measured.start()
    return measured


def _start_calls(spec: dict[str, Any]) -> Any:
    """A call recorder of the functions defined in ``spec["file"]``, started."""
    from tracefix.execution.calls import CallLimits, CallRecorder

    file = spec["file"]
    recorder = CallRecorder(lambda code: _same_file(code.co_filename, file), CallLimits(time_limit_s=None))
    recorder.start()
    return recorder


def _finish_calls(recorder: Any, spec: dict[str, Any], error: BaseException | None) -> dict[str, Any]:
    from tracefix.execution.calls import assemble

    stopped = error is not None and type(error).__name__ in (*STOPPED, "CallsTimeout")
    info = None if error is None else {"type": type(error).__name__, "message": _message(error)}
    text = None if info is None else f"{info['type']}: {info['message']}".rstrip(": ")
    trace = assemble(recorder, spec.get("test", ""), error is None, text, info, stopped)
    return trace.model_dump(mode="json")


def _start_trace(spec: dict[str, Any], root: str) -> _Started | None:
    from tracefix.analysis.cfg import build_cfg
    from tracefix.execution.tracer import make_tracer

    source = Path(spec["file"]).read_text(encoding="utf-8")
    cfg = build_cfg(source, spec["qualname"])
    code = find_target_code(spec["file"], spec["qualname"], cfg.first_line, root)
    if code is None:
        return None
    return _Started(spec, source, cfg, code, make_tracer(spec.get("backend")))


def find_target_code(file: str, qualname: str, first_line: int, root: str) -> CodeType | None:
    """The code object of ``qualname`` compiled from ``file``: by module namespace, else among live functions.

    A module not imported yet (the test imports it lazily) is imported here, by its path under ``root``.
    """
    code = _live_code(file, qualname, first_line)
    if code is None:
        module = module_name(file, root)
        if module is not None:
            try:
                importlib.import_module(module)
            except Exception:  # the test itself will report why the module does not import
                return None
            code = _live_code(file, qualname, first_line)
    return code


def _live_code(file: str, qualname: str, first_line: int) -> CodeType | None:
    wanted = qualname.replace("<locals>.", "")
    found: list[CodeType] = []
    for obj in gc.get_objects():
        if isinstance(obj, types.FunctionType):
            code = obj.__code__
            if code.co_qualname.replace("<locals>.", "") == wanted and _same_file(code.co_filename, file):
                found.append(code)
    if not found:
        return None
    return min(found, key=lambda code: abs(code.co_firstlineno - first_line))


def _same_file(filename: str, file: str) -> bool:
    return filename == file or (os.path.isabs(filename) and os.path.realpath(filename) == file)


# --------------------------------------------------------------------------- main


_QUIET_SELF = (
    "-p",
    "no:tracefix",
    "-W",
    "ignore:Module already imported so cannot be rewritten; tracefix:pytest.PytestAssertRewriteWarning",
)
"""tracefix's own pytest plugin stays out of the user's run, and pytest's warning that this process imported
tracefix (the plugin's package) before pytest could mark it for assertion rewriting is ignored: a project whose
``filterwarnings`` turns warnings into errors (toolz, humanize) would otherwise stop at configuration. The
command-line filter outranks the project's ini filters, and it matches this one warning only."""


def run(job: dict[str, Any]) -> dict[str, Any]:
    """Run the job's node ids with pytest in this process and return the JSON-ready answer."""
    root = job["root"]
    os.chdir(root)
    sys.path.insert(0, root)
    install_stand_ins(job.get("stand_ins", []))
    collector = Collector(job)
    args = [
        *job["nodeids"],
        "-p",
        "no:cacheprovider",
        *_QUIET_SELF,
        f"--rootdir={root}",
        "-q",
        *job.get("args", []),
    ]
    code = pytest.main(args, plugins=[collector])
    spectrum = collector.spectrum()
    trace = collector.trace
    if trace is None and collector.trace_spec is not None:
        trace = {"missing": True}
    return {
        "calls": collector.calls,
        "exit_code": int(code),
        "tests": collector.tests,
        "collected": collector.collected,
        "collect_errors": collector.collect_errors,
        "trace": trace,
        "spectrum": spectrum,
    }


def install_stand_ins(modules: list[str]) -> None:
    """Put a permissive stand-in in ``sys.modules`` for each module that is not installed (``tracefix
    pytest --stand-ins``; the code of ``tracefix.partial.standins``)."""
    if not modules:
        return
    namespace: dict[str, Any] = {"__name__": "_tracefix_stand_ins"}
    exec(HEADER, namespace)
    for name in modules:
        namespace["_tracefix_module"](name)


def main() -> None:
    """Read the job on stdin, run it, print the answer on the original stdout."""
    job: dict[str, Any] = json.load(sys.stdin)
    result = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # pytest and the tests print to fd 1: keep the JSON answer clean
    answer = run(job)
    with result:
        result.write(json.dumps(answer))


if __name__ == "__main__":
    main()
