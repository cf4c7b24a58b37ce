"""Run untrusted programs' tests and traces in a pool of sandboxed fork-server workers.

Each worker (``worker.py``) runs inside bubblewrap: new pid, network, IPC and UTS namespaces (no network at
all), read-only binds of the system, the interpreter and the source tree, a private size-capped tmpfs /tmp, a
cleared environment, and only the capabilities it needs to drop each job to an unprivileged uid of its own.
Where bubblewrap cannot run, the workers run as plain processes with the per-job measures only (rlimits, uid
drop as root, seccomp filter, sweeping); a warning says so once (see docs/sandbox.md for what
that does not protect against).

The executor never runs untrusted code itself: every job is forked inside a worker.
"""

from __future__ import annotations

import atexit
import itertools
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Literal, TypeVar

from tracefix.execution import bwrap, protocol
from tracefix.execution.limits import MIB, Limits
from tracefix.execution.semantics import WORKER_ENV, WORKER_OPTIONS
from tracefix.records import CFG, CallTrace, PartialRun, TestResult, Trace

Mode = Literal["auto", "bwrap", "rlimits"]
T = TypeVar("T")

_STARTUP_S = 60.0
"""How long a new worker may take to import and say it is ready (generous: the machine may be loaded)."""
_GRACE_S = 5.0
"""Beyond a job's wall limit, how long the executor waits for the worker's answer before replacing it."""
_UID_BASE = 1_000_000
_uid_counter = itertools.count()


class SandboxFallbackWarning(RuntimeWarning):
    """bubblewrap could not run, so jobs are isolated by rlimits only."""


class WorkerError(Exception):
    """A worker died, hung, or spoke out of turn."""


_warned = False


def _warn_fallback(reason: str) -> None:
    global _warned
    if not _warned:
        _warned = True
        warnings.warn(
            f"tracefix sandbox: {reason}; running jobs with rlimits only (no namespaces: see docs/sandbox.md)",
            SandboxFallbackWarning,
            stacklevel=3,
        )


def resolve_mode(mode: Mode) -> Literal["bwrap", "rlimits"]:
    """The isolation actually used for ``mode``: "auto" picks bwrap when it works here, else warns once."""
    if mode == "rlimits":
        return "rlimits"
    ok, reason = bwrap.works()
    if ok:
        return "bwrap"
    if mode == "bwrap":
        raise RuntimeError(f"the bwrap sandbox was requested but cannot run: {reason}")
    _warn_fallback(reason)
    return "rlimits"


class WorkerProcess:
    """One fork-server process (inside bwrap or not) and the pipes to talk to it."""

    def __init__(
        self, mode: Literal["bwrap", "rlimits"], tmp_bytes: int, *, use_seccomp: bool = True
    ) -> None:
        self.mode = mode
        self.job_uid = _next_uid()
        inner = [
            sys.executable,
            *WORKER_OPTIONS,
            "-m",
            "tracefix.execution.worker",
            "--uid",
            str(self.job_uid),
        ]
        if not use_seccomp:
            inner.append("--no-seccomp")
        argv = bwrap.command([*inner, "--sandboxed"], tmp_bytes=tmp_bytes) if mode == "bwrap" else inner
        self.errors = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the worker; closed in close()
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            env=None if mode == "bwrap" else _plain_env(),
            cwd="/",
            start_new_session=True,
        )
        self.hello: dict[str, Any] | None = None

    def request(self, job: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        """Send one job and wait for its answer; WorkerError if the worker dies or overruns."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            if self.hello is None:
                self.hello = self._read(time.monotonic() + _STARTUP_S)
            protocol.write_message(self.proc.stdin.fileno(), job)
            return self._read(time.monotonic() + timeout_s)
        except (OSError, ValueError, protocol.ChannelClosed) as exc:
            raise WorkerError(self._describe_death(exc)) from exc

    def _read(self, deadline: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        message = protocol.read_message(self.proc.stdout.fileno(), deadline)
        if message is None:
            raise protocol.ChannelClosed("the worker closed its pipe")
        return message

    def _describe_death(self, exc: Exception) -> str:
        try:  # a worker that closed its pipe is usually exiting: give it a moment to be reaped
            code = self.proc.poll() if isinstance(exc, protocol.DeadlinePassed) else self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            code = None
        if code is None:
            return f"sandbox worker stopped answering ({exc})"
        return f"sandbox worker died (exit status {code}){self._stderr_tail()}"

    def _stderr_tail(self) -> str:
        self.errors.seek(0)
        text = self.errors.read()[-500:].decode("utf-8", "replace").strip()
        return f": {text.splitlines()[-1]}" if text else ""

    def close(self, *, kill: bool = False) -> None:
        """Stop the worker: close its input (it exits) or kill it; then wait for it."""
        if kill:
            self.proc.kill()
        elif self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None and not stream.closed:
                stream.close()
        self.errors.close()


def _next_uid() -> int:
    """A job uid no other live worker on this machine uses: RLIMIT_NPROC and the sweep count per uid."""
    return _UID_BASE + (os.getpid() % 4_000_000) * 256 + next(_uid_counter) % 256


def _plain_env() -> dict[str, str]:
    return dict(WORKER_ENV)


class _Spawner:
    """A long-lived thread that starts every worker.

    Workers die with the thread that started them (PR_SET_PDEATHSIG, bwrap's --die-with-parent), so they must
    not be started from short-lived caller or pool threads.
    """

    def __init__(self) -> None:
        self._jobs: queue.Queue[tuple[Callable[[], Any], Future[Any]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="tracefix-spawner", daemon=True)
        self._thread.start()

    def call(self, fn: Callable[[], T]) -> T:
        future: Future[T] = Future()
        self._jobs.put((fn, future))
        return future.result()

    def _loop(self) -> None:
        while (item := self._jobs.get()) is not None:
            fn, future = item
            try:
                future.set_result(fn())
            except BaseException as exc:
                future.set_exception(exc)

    def stop(self) -> None:
        self._jobs.put(None)
        self._thread.join(timeout=10)


class Executor:
    """A pool of sandboxed workers, one job (one test or one trace) at a time per worker.

    ``limits`` are the defaults of every job (each call may pass its own); ``workers`` defaults to the number
    of cores; ``sandbox`` is "auto" (bwrap when it works here, else rlimits with a warning), "bwrap" (error if
    it cannot run) or "rlimits"; ``tmp_bytes`` is the size of each worker's private /tmp (bwrap only);
    ``seccomp`` loads the seccomp filter of ``seccomp.py`` into every job where pyseccomp can build it.
    """

    def __init__(
        self,
        limits: Limits | None = None,
        workers: int | None = None,
        *,
        sandbox: Mode = "auto",
        tmp_bytes: int = 64 * MIB,
        seccomp: bool = True,
    ) -> None:
        self.limits = limits or Limits()
        self.size = max(1, workers or os.cpu_count() or 1)
        self.mode = resolve_mode(sandbox)
        self.tmp_bytes = tmp_bytes
        self.seccomp = seccomp
        self._spawner = _Spawner()
        self._idle: queue.Queue[WorkerProcess] = queue.Queue()
        self._all: set[WorkerProcess] = set()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(self.size, thread_name_prefix="tracefix-executor")
        self._closed = False
        for _ in range(self.size):
            self._idle.put(self._start_worker())

    # ------------------------------------------------------------------ public API

    def run_tests(
        self, program: str, tests: list[str], *, prelude: str = "", limits: Limits | None = None
    ) -> list[TestResult]:
        """Run each test against ``program`` as its own job, in parallel; results in the order of ``tests``."""
        self._check_open()
        jobs = [{"kind": "test", "program": program, "test": test, "prelude": prelude} for test in tests]
        if len(jobs) == 1:  # no hop through the thread pool for a single test
            replies: Iterable[dict[str, Any]] = [self._run(jobs[0], limits or self.limits)]
        else:
            replies = self._pool.map(lambda job: self._run(job, limits or self.limits), jobs)
        return [TestResult.model_validate(reply) for reply in replies]

    def run_test(
        self, program: str, test: str, *, prelude: str = "", limits: Limits | None = None
    ) -> TestResult:
        """Run one test against ``program``."""
        return self.run_tests(program, [test], prelude=prelude, limits=limits)[0]

    def run_check(
        self,
        program: str,
        check_code: str,
        entry_point: str,
        *,
        prelude: str = "",
        limits: Limits | None = None,
    ) -> TestResult:
        """Hidden-test scoring: ``check_code`` defines ``check(candidate)``, called with ``entry_point``."""
        job = {
            "kind": "check",
            "program": program,
            "check": check_code,
            "entry": entry_point,
            "prelude": prelude,
        }
        return TestResult.model_validate(self._run(job, limits or self.limits))

    def trace(
        self,
        program: str,
        entry: str,
        test: str,
        *,
        prelude: str = "",
        limits: Limits | None = None,
        cfg: CFG | None = None,
    ) -> Trace:
        """Run ``test`` with ``entry`` traced block by block (wall and CPU limits scaled by ``trace_factor``).

        ``cfg`` replaces the CFG the tracer would build (e.g. one block per line for ldb's line level).
        """
        job: dict[str, Any] = {
            "kind": "trace",
            "program": program,
            "entry": entry,
            "test": test,
            "prelude": prelude,
        }
        if cfg is not None:
            job["cfg"] = cfg.model_dump(mode="json")
        return Trace.model_validate(self._run(job, (limits or self.limits).traced()))

    def record_calls(
        self, program: str, test: str, *, prelude: str = "", limits: Limits | None = None
    ) -> CallTrace:
        """Run ``test`` with every call of the program's own functions recorded (``execution.calls``); the
        limits of a traced run."""
        job = {"kind": "calls", "program": program, "test": test, "prelude": prelude}
        return CallTrace.model_validate(self._run(job, (limits or self.limits).traced()))

    def run_partial(
        self, program: str, prelude: str, call: str = "", *, limits: Limits | None = None
    ) -> PartialRun:
        """Run a fragment with its stand-ins (``prelude``) and an optional ``call``, recording the fragment's
        lines (``execution.partial``); the limits of a traced run."""
        job = {"kind": "partial", "program": program, "prelude": prelude, "call": call}
        return PartialRun.model_validate(self._run(job, (limits or self.limits).traced()))

    def describe(self) -> dict[str, Any]:
        """How jobs are isolated: the mode, and per started worker its job uid (0: none) and tracer state."""
        with self._lock:
            hellos = [worker.hello for worker in self._all if worker.hello is not None]
        return {
            "mode": self.mode,
            "workers": self.size,
            "job_uids": sorted(hello["job_uid"] for hello in hellos),
            "tracer": all(hello["tracer"] for hello in hellos),
            "tracer_errors": sorted({hello["tracer_error"] for hello in hellos if hello["tracer_error"]}),
            "seccomp": all(hello["seccomp"] for hello in hellos),
            "seccomp_errors": sorted({hello["seccomp_error"] for hello in hellos if hello["seccomp_error"]}),
        }

    def close(self) -> None:
        """Stop every worker. The executor cannot be used afterwards."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            workers = list(self._all)
        self._pool.shutdown(wait=True)
        for worker in workers:
            worker.close()
        self._spawner.stop()

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ jobs and workers

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("this Executor is closed")

    def _run(self, job: dict[str, Any], limits: Limits) -> dict[str, Any]:
        self._check_open()
        job = {**job, "limits": limits.to_dict()}
        worker = self._idle.get()
        try:
            reply = worker.request(job, limits.wall_s + _GRACE_S)
        except WorkerError as exc:
            worker = self._replace(worker)
            return _lost(job, limits, str(exc))
        finally:
            self._idle.put(worker)
        result = reply.get("result")
        if not isinstance(result, dict):
            return _lost(job, limits, f"sandbox worker sent no result ({sorted(reply)})")
        return result

    def _start_worker(self) -> WorkerProcess:
        worker = self._spawner.call(
            lambda: WorkerProcess(self.mode, self.tmp_bytes, use_seccomp=self.seccomp)
        )
        with self._lock:
            self._all.add(worker)
        return worker

    def _replace(self, worker: WorkerProcess) -> WorkerProcess:
        worker.close(kill=True)
        with self._lock:
            self._all.discard(worker)
        return self._start_worker()


def _lost(job: dict[str, Any], limits: Limits, error: str) -> dict[str, Any]:
    """The result of a job whose worker crashed or hung: a failure, never a silent loss."""
    test = job.get("test") or f"check({job.get('entry', '')})"
    result: dict[str, Any] = {"test": test, "passed": False, "error": f"{error}; the worker was replaced"}
    if job["kind"] == "trace":
        return {**result, "function": job["entry"]}
    if job["kind"] == "calls":
        return result
    if job["kind"] == "partial":
        return {"stopped": result["error"]}
    return {**result, "killed": True}


_default: Executor | None = None
_default_lock = threading.Lock()


def default_executor() -> Executor:
    """A shared executor with default limits, started on first use and closed when the process exits."""
    global _default
    with _default_lock:
        if _default is None or _default._closed:
            _default = Executor()
            atexit.register(_default.close)
        return _default
