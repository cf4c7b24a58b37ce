"""Low-level process control for the worker: prctl flags, rlimits, and sweeping a job's leftover processes.

Linux only. The worker makes itself a *child subreaper*, so every process a job leaves behind (even one that
called ``setsid`` and whose parent died) is re-parented to the worker. "The worker has no children" therefore
means "the job left nothing behind", which makes the common case (a well-behaved job) one ``waitpid`` call.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import signal
import time

from tracefix.execution.limits import Limits

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
PR_SET_KEEPCAPS = 8
CAP_DAC_READ_SEARCH = 2
_CAPABILITY_VERSION_3 = 0x20080522

_libc = ctypes.CDLL(None, use_errno=True)


def prctl(option: int, value: int) -> None:
    """Call prctl(2) with one argument; raise OSError on failure."""
    if _libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def set_rlimits(limits: Limits, *, limit_processes: bool) -> None:
    """Apply the job's rlimits to the current process (hard limits too, so the job cannot raise them)."""
    cpu = limits.cpu_seconds()
    # Past the soft CPU limit the kernel sends SIGXCPU (fatal to Python); the hard limit then sends SIGKILL.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_size_bytes, limits.file_size_bytes))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash must not spend seconds writing a core file
    if limit_processes:
        # RLIMIT_NPROC counts every process of the uid, so it only means "this job" under a uid of its own.
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))


def drop_privileges(uid: int, *, keep_read_search: bool = False) -> None:
    """Become ``uid`` (and the group of the same number) with no supplementary groups and no capabilities.

    ``keep_read_search`` keeps CAP_DAC_READ_SEARCH alone: the process may read any file (the interpreter
    under a 0700 home, say) but writes, deletes and signals only as ``uid``.
    """
    if keep_read_search:
        prctl(PR_SET_KEEPCAPS, 1)
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    if keep_read_search:
        _set_capabilities(1 << CAP_DAC_READ_SEARCH)


class _CapHeader(ctypes.Structure):
    _fields_ = (("version", ctypes.c_uint32), ("pid", ctypes.c_int))


class _CapData(ctypes.Structure):
    _fields_ = (
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    )


def _set_capabilities(mask: int) -> None:
    """Make ``mask`` (capabilities 0-31) the effective and permitted set of this process; drop all others."""
    header = _CapHeader(_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)(_CapData(mask, mask, 0), _CapData(0, 0, 0))
    if _libc.capset(ctypes.byref(header), data) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def kill_group(pgid: int) -> None:
    """SIGKILL a whole process group and its leader, if any of them is left."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pgid, signal.SIGKILL)


def sweep(job_uid: int, *, budget_s: float = 5.0) -> int:
    """Kill and reap every process left by the last job; return how many were reaped.

    With a dedicated job uid, one ``kill(-1, SIGKILL)`` sent *as that uid* kills all its processes at once
    (a fork bomb cannot outrun it); without one, the worker's children are killed round by round (orphans of
    each round are re-parented to the worker, the subreaper, and are killed in the next).
    """
    reaped = 0
    end = time.monotonic() + budget_s
    while time.monotonic() < end:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return reaped
        if pid:
            reaped += 1
            continue
        if job_uid:
            _kill_all_of_uid(job_uid)
        else:
            _kill_children()
        reaped += _reap_some()
    return reaped


def _reap_some() -> int:
    try:
        os.waitpid(-1, 0)
    except ChildProcessError:
        return 0
    return 1


def _kill_all_of_uid(uid: int) -> None:
    helper = os.fork()
    if helper == 0:
        try:
            os.setuid(uid)
            os.kill(-1, signal.SIGKILL)  # every process this uid may signal, except the helper itself
        finally:
            os._exit(0)


def _kill_children() -> None:
    for pid in children(os.getpid()):
        kill_group(pid)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def descendants(pid: int) -> list[int]:
    """Children, grandchildren, ... of ``pid`` at this moment (from /proc)."""
    found: list[int] = []
    frontier = [pid]
    while frontier:
        below = [child for parent in frontier for child in children(parent)]
        found.extend(below)
        frontier = below
    return found


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (all its threads), from /proc."""
    found: list[int] = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as handle:
                found.extend(int(part) for part in handle.read().split())
        except OSError:
            continue
    return found
