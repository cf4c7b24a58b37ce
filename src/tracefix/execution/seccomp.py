"""An optional seccomp filter for job processes, through pyseccomp (ctypes over libseccomp).

The filter allows everything a test program plausibly needs and refuses (EPERM) what it never needs: IPv4/IPv6
and raw sockets (so even the rlimits-only fallback has no network), new namespaces, ptrace and reading other
processes' memory, mounts, kernel keyrings, BPF, perf events, userfaultfd, io_uring and module or kexec loading.
Without pyseccomp or libseccomp the sandbox runs without a filter (``available()`` says so).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import os
import socket
import tempfile
from typing import Any

try:
    import pyseccomp as _seccomp
except (ImportError, OSError, RuntimeError):  # pyseccomp raises RuntimeError when libseccomp is missing
    _seccomp = None

_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_BPF_INSTRUCTION = 8  # bytes of one struct sock_filter
_libc = ctypes.CDLL(None, use_errno=True)

_DENIED = [
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "mount",
    "umount2",
    "pivot_root",
    "unshare",
    "setns",
    "keyctl",
    "add_key",
    "request_key",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "swapon",
    "swapoff",
    "reboot",
    "acct",
    "open_by_handle_at",
    "name_to_handle_at",
]
_NO_SOCKETS = (socket.AF_INET, socket.AF_INET6, socket.AF_PACKET)
_NEW_NAMESPACES = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000)
"""CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET."""


def available() -> bool:
    """Whether a filter can be installed here."""
    return _seccomp is not None


@functools.cache
def compiled() -> bytes:
    """The filter as a classic BPF program (built once per process; loading it in each job is then cheap)."""
    if _seccomp is None:
        raise RuntimeError("pyseccomp or libseccomp is not available")
    lib: Any = _seccomp
    rules = lib.SyscallFilter(lib.ALLOW)
    deny = lib.ERRNO(errno.EPERM)
    for name in _DENIED:
        _add(rules, deny, name)
    for family in _NO_SOCKETS:
        _add(rules, deny, "socket", lib.Arg(0, lib.EQ, family))
    for flag in _NEW_NAMESPACES:
        _add(rules, deny, "clone", lib.Arg(0, lib.MASKED_EQ, flag, flag))
    # clone3 passes its flags in memory a filter cannot read; ENOSYS makes the C library fall back to clone.
    _add(rules, lib.ERRNO(errno.ENOSYS), "clone3")
    with tempfile.TemporaryFile() as handle:
        rules.export_bpf(handle)
        handle.seek(0)
        return handle.read()


class _SockFprog(ctypes.Structure):
    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.c_void_p))


def install(program: bytes) -> None:
    """Load a compiled filter into the current process (and its future children); needs ``no_new_privs``."""
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // _BPF_INSTRUCTION, ctypes.addressof(buffer))
    if _libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def _add(rules: Any, action: int, name: str, *args: Any) -> None:
    # A syscall this kernel or architecture does not have needs no rule.
    with contextlib.suppress(OSError, ValueError, RuntimeError):
        rules.add_rule(action, name, *args)
