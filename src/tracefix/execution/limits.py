"""Resource limits for one sandboxed job, shared by the executor (parent) and the worker (child side)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB


@dataclass(frozen=True)
class Limits:
    """What one job may use. Every field is an option with a default that suits unit-test-sized programs."""

    wall_s: float = 5.0
    """Wall-clock seconds for one untraced test; the whole process group is killed past it."""
    cpu_s: float | None = None
    """CPU seconds (RLIMIT_CPU); None means the wall limit rounded up plus one second."""
    memory_bytes: int = 1 * GIB
    """Address space of the job process (RLIMIT_AS)."""
    file_size_bytes: int = 16 * MIB
    """Largest file the job may write (RLIMIT_FSIZE)."""
    open_files: int = 64
    """Open file descriptors (RLIMIT_NOFILE)."""
    processes: int = 16
    """Processes and threads of the job's user (RLIMIT_NPROC); only enforced for the unprivileged job uid."""
    output_bytes: int = 8 * KIB
    """Captured stdout and stderr are each cut to this many characters (the cut is marked)."""
    trace_factor: float = 5.0
    """A traced run gets this many times the untraced wall and CPU limits (tracing is slower)."""
    result_bytes: int = 64 * MIB
    """Largest JSON result a job may send back (a bigger one is reported as an error)."""

    def cpu_seconds(self) -> int:
        """The RLIMIT_CPU soft limit in whole seconds."""
        if self.cpu_s is not None:
            return max(1, math.ceil(self.cpu_s))
        return math.ceil(self.wall_s) + 1

    def traced(self) -> Limits:
        """The limits for a traced run of the same test."""
        return dataclasses.replace(
            self,
            wall_s=self.wall_s * self.trace_factor,
            cpu_s=None if self.cpu_s is None else self.cpu_s * self.trace_factor,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy (sent to the worker with each job)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Limits:
        """The inverse of :meth:`to_dict`; unknown keys are ignored so old workers accept new parents."""
        names = {field.name for field in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in names})
