"""The fork-server: a long-lived process that runs one job at a time, each in a fresh forked child.

Started by the executor (``sandbox.py``), normally inside bubblewrap, as
``python -I -B -m tracefix.execution.worker --uid N``. It imports the runner and the tracer once, then reads
jobs (length-prefixed JSON, see ``protocol.py``) on stdin and answers each on stdout.

Between jobs it forks the *spare* child for the next job, which isolates itself at once: a new session and
process group, stdin/stdout/stderr on /dev/null, no descriptor but its two pipes, a cleared environment, an
empty job directory, the job uid (when the worker runs as root), ``no_new_privs`` and the seccomp filter; it
then runs a trivial test (so the pages any test touches are copied before the clock starts) and waits. A job
is written to the spare, which applies the job's rlimits, runs it and writes the result as JSON. The worker
enforces the wall limit, kills the child's process group, and (being a child subreaper) sweeps every process
the job left behind before the next job starts.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import importlib
import json
import os
import select
import shutil
import signal
import stat
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from tracefix.execution import calls, partial, procs, protocol, runner, seccomp, semantics
from tracefix.execution.limits import Limits
from tracefix.execution.snapshots import TraceLimits
from tracefix.records import CFG, Record, Trace

# Imported once here so forked jobs do not pay for importing the modules test programs use most.
_PRELOAD = [
    "array",
    "bisect",
    "cmath",
    "collections",
    "copy",
    "dataclasses",
    "datetime",
    "decimal",
    "enum",
    "fractions",
    "functools",
    "hashlib",
    "heapq",
    "itertools",
    "json",
    "math",
    "numbers",
    "operator",
    "random",
    "re",
    "statistics",
    "string",
    "textwrap",
    "typing",
    "unicodedata",
]

_JOB_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}


@dataclass
class Outcome:
    """What the worker saw of one job child."""

    data: bytes
    status: int | None
    """The wait status, or None when the result came complete before the child was reaped."""
    timed_out: bool
    too_big: bool
    duration_s: float


@dataclass
class Spare:
    """A forked, isolated child waiting for its job on ``job_fd``."""

    pid: int
    job_fd: int
    result_fd: int
    workdir: str


class Worker:
    """The job loop; ``job_uid`` 0 means the jobs keep the worker's uid."""

    def __init__(self, job_uid: int, *, use_seccomp: bool = True) -> None:
        self.job_uid = job_uid if os.geteuid() == 0 else 0
        # Where the job uid could not read the interpreter (outside bubblewrap, under a 0700 /root), jobs keep
        # the right to read files, and only that, so they can import the standard library.
        self.read_anywhere = bool(self.job_uid) and not _readable_by_anyone()
        self.seccomp_filter, self.seccomp_error = _compile_seccomp() if use_seccomp else (None, "disabled")
        self.tracer, self.tracer_error = _import_tracer()
        self.jobs_root = tempfile.mkdtemp(prefix="tracefix-jobs-")
        os.chmod(self.jobs_root, 0o711)
        self.count = 0
        self.spare: Spare | None = None
        self.unreaped: Spare | None = None

    def hello(self) -> dict[str, Any]:
        """The first message: the worker is ready and what it can do."""
        return {
            "ready": True,
            "pid": os.getpid(),
            "job_uid": self.job_uid,
            "read_anywhere": self.read_anywhere,
            "tracer": self.tracer is not None,
            "tracer_error": self.tracer_error,
            "seccomp": self.seccomp_filter is not None,
            "seccomp_error": self.seccomp_error,
        }

    def handle(self, job: dict[str, Any]) -> dict[str, Any]:
        """Give one job to the spare child and return the reply message.

        When the child has sent a complete result and has no descendants, it is killed but reaped only in
        :meth:`finish`, after the reply is out: the kernel's teardown of a forked interpreter costs about a
        millisecond that no caller needs to wait for. Anything else is killed and reaped before the reply.
        """
        self.finish()
        limits = Limits.from_dict(job.get("limits", {}))
        spare = self.spare or self._fork_spare()
        self.spare = None
        start = time.perf_counter()
        with contextlib.suppress(BrokenPipeError):  # a dead child is reported by its status below
            protocol.write_all(spare.job_fd, json.dumps(job).encode("utf-8"))
        os.close(spare.job_fd)
        outcome = _collect(spare.pid, spare.result_fd, start, limits)
        if outcome.status is None and not outcome.timed_out:
            self.unreaped = spare
        else:
            self._reap(spare)
        return {"result": _result(job, limits, outcome)}

    def finish(self) -> None:
        """Reap the last job's child and sweep whatever it left behind (before any next job starts)."""
        if self.unreaped is not None:
            spare, self.unreaped = self.unreaped, None
            os.waitpid(spare.pid, 0)
            self._reap(spare)

    def _reap(self, spare: Spare) -> None:
        procs.kill_group(spare.pid)  # stragglers the job started in its own group
        procs.sweep(self.job_uid)
        os.close(spare.result_fd)
        _remove_workdir(spare.workdir)

    def prepare(self) -> None:
        """Fork the child for the next job now, between jobs, so no job waits for a fork."""
        self.finish()
        if self.spare is None:
            self.spare = self._fork_spare()

    def _fork_spare(self) -> Spare:
        workdir = self._workdir()
        job_read, job_write = os.pipe()
        result_read, result_write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(job_write)
            os.close(result_read)
            _child(self, job_read, result_write, workdir)
        os.close(job_read)
        os.close(result_write)
        return Spare(pid, job_write, result_read, workdir)

    def _workdir(self) -> str:
        self.count += 1
        path = os.path.join(self.jobs_root, f"job{self.count}")
        os.mkdir(path, 0o700)
        if self.job_uid:
            os.chown(path, self.job_uid, self.job_uid)
        return path

    def close(self) -> None:
        """Kill the spare child and remove the jobs directory."""
        self.finish()
        if self.spare is not None:
            procs.kill_group(self.spare.pid)
            os.waitpid(self.spare.pid, 0)
        shutil.rmtree(self.jobs_root, ignore_errors=True)


def _readable_by_anyone() -> bool:
    """Whether another uid could import from the interpreter and tracefix (e.g. not under a 0700 /root).

    Jobs import modules the worker did not preload; under a uid that cannot read them, they would fail.
    """
    dirs = {
        sysconfig.get_paths()["stdlib"],
        sysconfig.get_paths()["purelib"],
        os.path.dirname(runner.__file__),
    }
    return all(_open_to_others(path) for path in dirs)


def _open_to_others(path: str) -> bool:
    parts = os.path.abspath(path).split("/")
    for depth in range(1, len(parts) + 1):
        mode = os.stat("/".join(parts[:depth]) or "/").st_mode
        if not mode & stat.S_IXOTH:
            return False
    return bool(os.stat(path).st_mode & stat.S_IROTH)


def _remove_workdir(path: str) -> None:
    try:
        os.rmdir(path)  # the common case: the job left its directory empty
    except OSError:
        shutil.rmtree(path, ignore_errors=True)


def _compile_seccomp() -> tuple[bytes | None, str | None]:
    if not seccomp.available():
        return None, "pyseccomp or libseccomp is not installed"
    try:
        return seccomp.compiled(), None
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"


INNER_SHARE = 0.8
"""The share of a traced job's wall limit after which the tracer stops the run itself."""


def trace_limits(limits: Limits) -> TraceLimits:
    """The tracer's own limits for a traced job under ``limits``: it stops a run that does not end (keeping
    its visits) before the sandbox kills the process (which would keep nothing), at its default time limit or
    within ``INNER_SHARE`` of the job's wall limit, whichever comes first."""
    return TraceLimits(time_limit_s=_inner_limit(TraceLimits().time_limit_s, limits))


def call_limits(limits: Limits) -> calls.CallLimits:
    """The call recorder's limits for a job under ``limits``: stopped from inside, as :func:`trace_limits`."""
    return calls.CallLimits(time_limit_s=_inner_limit(calls.CallLimits().time_limit_s, limits))


def _inner_limit(default: float | None, limits: Limits) -> float:
    """``default`` seconds, or ``INNER_SHARE`` of the job's wall limit when that comes first."""
    inner = INNER_SHARE * limits.wall_s
    return inner if default is None else min(default, inner)


def _import_tracer() -> tuple[ModuleType | None, str | None]:
    try:
        return importlib.import_module("tracefix.execution.tracer"), None
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"


# --------------------------------------------------------------------------- the job child


def _child(worker: Worker, job_fd: int, result_fd: int, workdir: str) -> None:
    """Isolate this forked process, wait for the job, run it, write the result, and never return."""
    me = os.getpid()
    try:
        _isolate(worker, (job_fd, result_fd), workdir)
        _warm_up()
        job = json.loads(_read_all(job_fd))
        os.close(job_fd)
        limits = Limits.from_dict(job.get("limits", {}))
        procs.set_rlimits(limits, limit_processes=bool(worker.job_uid))
        record = _run_job(worker, job, limits)
        data = _encode(lambda: {"result": record.model_dump(mode="json")})
    except BaseException as exc:
        data = _encode(functools.partial(_job_failure, exc))
    try:
        if os.getpid() != me:
            return  # a process the job forked came back up here: only the job itself reports
        protocol.write_all(result_fd, data)
        os.close(result_fd)  # the worker sees the end of the result now, not after this process's teardown
    finally:
        os._exit(0)


def _job_failure(exc: BaseException) -> dict[str, Any]:
    return {"failure": f"{type(exc).__name__}: {exc}", "memory": isinstance(exc, MemoryError)}


_OUT_OF_MEMORY = b'{"failure": "MemoryError: no memory left to send the result", "memory": true}'


def _encode(payload: Callable[[], dict[str, Any]]) -> bytes:
    """The JSON of ``payload()`` (ASCII: lone surrogates too).

    A job that ran out of memory may leave none to build its result with: the program's module and the
    reference cycles its frames are caught in (an exception's traceback) are then freed, and the result is
    built again; failing that, the result says the memory ran out.
    """
    for attempt in range(2):
        try:
            return json.dumps(payload()).encode("ascii")
        except MemoryError:
            if attempt == 0:
                _release_program()
    return _OUT_OF_MEMORY


def _release_program() -> None:
    """Drop what the job's program holds: its module, and (through a collection) the frames of its errors."""
    sys.modules.pop(semantics.MODULE_NAME, None)
    gc.collect()


def _isolate(worker: Worker, keep: tuple[int, int], workdir: str) -> None:
    os.setsid()
    procs.prctl(procs.PR_SET_PDEATHSIG, signal.SIGKILL)  # the job dies with its worker
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    low, high = sorted(keep)
    os.closerange(3, low)
    os.closerange(low + 1, high)
    os.closerange(high + 1, 1 << 16)
    os.chdir(workdir)
    os.environ.clear()
    os.environ.update(_JOB_ENV, HOME=workdir, TMPDIR=workdir)
    tempfile.tempdir = workdir
    if worker.job_uid:
        procs.drop_privileges(worker.job_uid, keep_read_search=worker.read_anywhere)
    procs.prctl(procs.PR_SET_NO_NEW_PRIVS, 1)
    if worker.seccomp_filter is not None:
        seccomp.install(worker.seccomp_filter)


def _warm_up() -> None:
    """Run a trivial test while waiting for the job: the pages any test touches get copied now, not later."""
    result = runner.run_test("def _warm(x):\n    return x\n", "assert _warm(1) == 1")
    json.dumps(result.model_dump(mode="json"))


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


def _run_job(worker: Worker, job: dict[str, Any], limits: Limits) -> Record:
    kind = job["kind"]
    prelude = job.get("prelude", "")
    cap = limits.output_bytes
    if kind == "test":
        return runner.run_test(job["program"], job["test"], prelude=prelude, output_cap=cap)
    if kind == "check":
        return runner.run_check(job["program"], job["check"], job["entry"], prelude=prelude, output_cap=cap)
    if kind == "trace":
        if worker.tracer is None:
            raise RuntimeError(f"the tracer could not be imported ({worker.tracer_error})")
        inner = trace_limits(limits)
        if job.get("cfg") is not None:
            cfg = CFG.model_validate(job["cfg"])
            trace: Trace = worker.tracer.trace_with_cfg(
                job["program"], job["entry"], job["test"], cfg, prelude=prelude, limits=inner
            )
        else:
            trace = worker.tracer.trace_test(
                job["program"], job["entry"], job["test"], prelude=prelude, limits=inner
            )
        return trace
    if kind == "calls":
        return calls.record_calls(job["program"], job["test"], prelude=prelude, limits=call_limits(limits))
    if kind == "partial":
        return partial.run_partial(
            job["program"],
            prelude,
            job.get("call", ""),
            time_limit_s=_inner_limit(None, limits),
            output_cap=cap,
        )
    raise ValueError(f"unknown job kind {kind!r}")


# --------------------------------------------------------------------------- the worker side of a job


def _collect(pid: int, read_fd: int, start: float, limits: Limits) -> Outcome:
    """Read the child's result until it is complete, the child exits, or its time is up.

    Returns with the child either reaped (``status`` set) or, when its complete result came first and it has
    no descendants, killed but not yet reaped (``status`` None).
    """
    deadline = start + limits.wall_s
    chunks: list[bytes] = []
    size, too_big, exited, complete = 0, False, False, False
    pidfd = os.pidfd_open(pid)
    poller = select.poll()
    poller.register(read_fd, select.POLLIN)
    poller.register(pidfd, select.POLLIN)
    try:
        while not (exited or complete or too_big):
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                break
            for fd, _ in poller.poll(remaining * 1000):
                if fd == pidfd:
                    exited = True
                    continue
                chunk = os.read(read_fd, 1 << 16)
                complete = not chunk
                chunks.append(chunk)
                size += len(chunk)
                too_big = size > limits.result_bytes
    finally:
        os.close(pidfd)
    duration = time.perf_counter() - start
    timed_out = not (exited or complete or too_big)
    procs.kill_group(pid)
    if complete and size and not procs.descendants(pid):
        return Outcome(b"".join(chunks), None, False, False, duration)
    _, status = os.waitpid(pid, 0)
    if not too_big and not complete:
        chunks.append(_drain(read_fd, limits.result_bytes - size))
    return Outcome(b"".join(chunks), None if timed_out else status, timed_out, too_big, duration)


def _drain(fd: int, budget: int) -> bytes:
    """What is left in the pipe once every writer is gone."""
    os.set_blocking(fd, False)
    chunks: list[bytes] = []
    while budget > 0:
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            break
        if not chunk:
            break
        chunks.append(chunk)
        budget -= len(chunk)
    return b"".join(chunks)


def _result(job: dict[str, Any], limits: Limits, outcome: Outcome) -> dict[str, Any]:
    """The record (as JSON data) to send back: the child's own, or one that says what went wrong."""
    if not outcome.timed_out and not outcome.too_big and outcome.data:
        try:
            payload = json.loads(outcome.data)
        except ValueError:
            payload = {}
        if isinstance(payload.get("result"), dict):
            result: dict[str, Any] = payload["result"]
            return result
        if "failure" in payload:
            return _failure(
                job, outcome, f"the job failed: {payload['failure']}", memory=bool(payload["memory"])
            )
    return _failure(job, outcome, _what_happened(limits, outcome), memory=False)


def _what_happened(limits: Limits, outcome: Outcome) -> str:
    if outcome.timed_out:
        return f"timed out after {limits.wall_s:g} s"
    if outcome.too_big:
        return f"the result was larger than {limits.result_bytes} bytes"
    status = outcome.status or 0
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU:
            return f"CPU time limit of {limits.cpu_seconds()} s exceeded"
        return f"killed by signal {signal.Signals(sig).name}"
    return f"the program exited (status {os.waitstatus_to_exitcode(status)}) before the test finished"


def _failure(job: dict[str, Any], outcome: Outcome, error: str, *, memory: bool) -> dict[str, Any]:
    status = outcome.status or 0
    signaled = outcome.status is not None and os.WIFSIGNALED(status)
    cpu = signaled and os.WTERMSIG(status) == signal.SIGXCPU
    test = job.get("test") or f"check({job.get('entry', '')})"
    base: dict[str, Any] = {
        "test": test,
        "passed": False,
        "error": error,
        "duration_s": outcome.duration_s,
        "timeout": outcome.timed_out or cpu,
    }
    if job["kind"] == "trace":
        return {**base, "function": job.get("entry", "")}
    if job["kind"] == "calls":
        return base
    if job["kind"] == "partial":  # killed from outside: nothing of the run came back
        return {"stopped": error, "duration_s": outcome.duration_s}
    return {**base, "memory_limit": memory, "killed": signaled and not cpu}


# --------------------------------------------------------------------------- entry point


def serve(worker: Worker, inbox: int, outbox: int) -> None:
    """Answer jobs until the executor closes the pipe."""
    protocol.write_message(outbox, worker.hello())
    worker.prepare()
    while (job := protocol.read_message(inbox)) is not None:
        protocol.write_message(outbox, worker.handle(job))
        worker.prepare()


def main(argv: list[str] | None = None) -> None:
    """``python -m tracefix.execution.worker [--uid N] [--no-seccomp] [--sandboxed]``: serve jobs on stdin/stdout.

    ``--sandboxed`` says the worker runs inside bubblewrap, so /dev/shm is its own to open up.
    """
    args = sys.argv[1:] if argv is None else argv
    uid = int(args[args.index("--uid") + 1]) if "--uid" in args else 0
    use_seccomp = "--no-seccomp" not in args
    procs.prctl(procs.PR_SET_CHILD_SUBREAPER, 1)
    procs.prctl(procs.PR_SET_PDEATHSIG, signal.SIGKILL)  # outside bubblewrap: die with the executor
    for name in _PRELOAD:
        importlib.import_module(name)
    worker = Worker(uid, use_seccomp=use_seccomp)
    if "--sandboxed" in args and worker.job_uid:
        os.chmod("/dev/shm", 0o1777)  # the sandbox's own tmpfs: job uids need it for POSIX semaphores
    # The protocol keeps private copies of stdin/stdout; fds 0 and 1 then point elsewhere so nothing a
    # library prints can corrupt a message.
    inbox, outbox = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(2, 1)
    gc.freeze()  # keep the imported objects' pages shared with the forked jobs
    try:
        serve(worker, inbox, outbox)
    finally:
        worker.close()


if __name__ == "__main__":
    main()
