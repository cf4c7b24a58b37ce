"""The bubblewrap command line that wraps each worker, and a one-time check that it runs here."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import tracefix
from tracefix.execution.semantics import WORKER_ENV

# System paths the interpreter may need, bound read-only (missing ones are skipped; symlinks recreated).
_SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# A few files of /etc, not all of it: enough for the dynamic loader, time zones and user names.
_ETC_FILES = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/nsswitch.conf",
    "/etc/passwd",
    "/etc/group",
)
# The worker (root inside the sandbox) keeps only what it needs: switch jobs to their uid, signal them,
# and own and remove their directories. Everything else is dropped from its bounding set.
_WORKER_CAPS = ("CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER")
# Directories the sandbox makes its own. An import-path entry that is one of them (a script run from /tmp puts
# /tmp on sys.path) is not bound: a read-only host /tmp over the private one leaves the worker no temporary
# directory, and a bind of / would carry the whole host.
_OWN_PATHS = ("/", "/tmp", "/proc", "/dev")


def executable() -> str | None:
    """The bwrap binary, if installed."""
    return shutil.which("bwrap")


def python_paths() -> list[str]:
    """Directories the interpreter and tracefix are read from: prefixes, the import path, the source tree."""
    candidates = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(Path(sys.executable).resolve().parent)}
    candidates.add(str(Path(tracefix.__file__).resolve().parent.parent))
    candidates.update(entry for entry in sys.path if os.path.isabs(entry))
    existing = sorted(
        path for path in candidates if os.path.isdir(path) and os.path.normpath(path) not in _OWN_PATHS
    )
    # Keep only the outermost directories; a bind of a parent already carries its children.
    return [path for path in existing if not any(_inside(path, other) for other in existing if other != path)]


def _inside(path: str, other: str) -> bool:
    return path.startswith(other.rstrip("/") + "/")


def command(inner: list[str], *, tmp_bytes: int) -> list[str]:
    """The full command that runs ``inner`` in a fresh sandbox."""
    binary = executable()
    if binary is None:
        raise FileNotFoundError("bwrap is not installed")
    args = [
        binary,
        "--unshare-pid",
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
    ]
    args += ["--die-with-parent", "--new-session", "--hostname", "sandbox", "--clearenv"]
    for name, value in WORKER_ENV.items():
        args += ["--setenv", name, value]
    args += _system_binds()
    args += ["--proc", "/proc", "--dev", "/dev", "--size", str(tmp_bytes), "--tmpfs", "/tmp"]
    # After the private /tmp, so an interpreter or checkout that lives under /tmp is bound over it.
    args += _python_binds()
    args += ["--chdir", "/tmp"]
    if os.geteuid() == 0:
        args += ["--cap-drop", "ALL"]
        for cap in _WORKER_CAPS:
            args += ["--cap-add", cap]
    return [*args, "--", *inner]


def _system_binds() -> list[str]:
    args: list[str] = []
    for path in _SYSTEM_PATHS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in _ETC_FILES:
        args += ["--ro-bind-try", path, path]
    return args


def _python_binds() -> list[str]:
    args: list[str] = []
    paths = python_paths()
    # bwrap creates the parents of a bind with the host's modes; /root (0700) would hide the interpreter
    # from the unprivileged job uid, so the parents are made traversable first (/tmp exists already).
    parents = {str(p) for path in paths for p in Path(path).parents if str(p) not in ("/", "/tmp")}
    for parent in sorted(parents, key=len):
        if parent not in paths:
            args += ["--perms", "0755", "--dir", parent]
    for path in paths:
        args += ["--ro-bind", path, path]
    return args


@functools.cache
def works() -> tuple[bool, str]:
    """Whether bwrap can build the sandbox on this machine (checked once per process), and why not."""
    if executable() is None:
        return False, "bwrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    try:
        probe = subprocess.run(
            command([sys.executable, "-c", "pass"], tmp_bytes=1 << 20),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"bwrap could not start: {exc}"
    if probe.returncode != 0:
        return False, f"bwrap failed: {probe.stderr.strip() or probe.returncode}"
    return True, ""
