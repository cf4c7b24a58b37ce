"""Run one test with the function under test traced block by block.

:func:`trace_test` runs IN THE CURRENT PROCESS: only ever call it inside a sandbox worker
(``tracefix.execution.worker``) or another child process, never in the tracefix process itself. The program is
executed unmodified, compiled under its own file name registered in ``linecache``, so tracebacks show its real
lines, and with the semantics ``python FILE`` gives it, as the runner runs it (``semantics.py``).

The backend is chosen in one place, :func:`make_tracer`: ``sys.monitoring`` on Python 3.12+, ``sys.settrace``
on 3.11. ``TRACEFIX_TRACER=settrace`` forces the settrace backend on any version (to compare the two).
Both backends are imported here, at import time: sandbox workers import the tracer before they lose access to
the file system.

Calls made by the program's own module-level code are traced as well; they are the trace only when loading the
program fails (the test then never ran). When the snapshot budget ran out before the last visits, a short run
is executed a second time to record their states (see ``TraceLimits.replay_max_visits``): its side effects
happen twice, and its states are used only if it made exactly the same visits. Known limits: calls of the function from other threads are not
supported (the recorder keeps one call stack); under settrace, an exception thrown into a generator, caught
there, and followed by a yield at the very same instruction reads as the generator unwinding.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import CodeType, FrameType, TracebackType
from typing import Protocol

from tracefix.analysis.cfg import FunctionNotFound, build_cfg
from tracefix.execution import snapshots, tracer_monitoring, tracer_settrace, tracer_target, values
from tracefix.execution.alarm import repeating_alarm
from tracefix.execution.runner import CappedWriter, describe, summary
from tracefix.execution.semantics import (
    MODULE_NAME,
    PRELUDE_FILE,
    PROGRAM_FILE,
    TEST_FILE,
    ProgramProcess,
    compile_source,
    empty_stdin,
    fresh_module,
)
from tracefix.execution.snapshots import (
    Recorder,
    TraceLimits,
    TraceTimeout,
    VisitRecord,
    render_state,
)
from tracefix.execution.tracer_monitoring import MonitoringTracer
from tracefix.execution.tracer_settrace import SettraceTracer
from tracefix.execution.tracer_target import find_code, line_keys
from tracefix.records import CFG, ExceptionInfo, Trace, Visit

__all__ = [
    "MODULE_NAME",
    "PRELUDE_FILE",
    "PROGRAM_FILE",
    "TEST_FILE",
    "TraceLimits",
    "TraceTimeout",
    "Tracer",
    "default_backend",
    "make_tracer",
    "trace_test",
    "trace_with_cfg",
]

_TRACER_FILES = frozenset(
    module.__file__ or "" for module in (snapshots, tracer_monitoring, tracer_settrace, tracer_target, values)
)
"""Modules that run only inside the tracer's hooks (this module is not one: it sits below the program)."""
_LOAD_FAILED = (
    "the program failed while loading, so the test did not run: visits are of its module-level calls"
)


class Tracer(Protocol):
    """A way of feeding a :class:`~tracefix.execution.snapshots.Recorder` with the events of one code object."""

    name: str

    def start(self, code: CodeType, recorder: Recorder) -> None: ...

    def stop(self) -> None: ...


def default_backend() -> str:
    """``"monitoring"`` where ``sys.monitoring`` exists (3.12+), else ``"settrace"``."""
    return "monitoring" if sys.version_info >= (3, 12) else "settrace"


def make_tracer(backend: str | None = None) -> Tracer:
    """The one place a backend is chosen: ``backend``, else ``$TRACEFIX_TRACER``, else by Python version."""
    name = backend or os.environ.get("TRACEFIX_TRACER") or default_backend()
    if name == "monitoring" and sys.version_info >= (3, 12):
        return MonitoringTracer()
    if name in ("settrace", "monitoring"):
        return SettraceTracer()
    raise ValueError(f"unknown tracer backend {name!r} (use 'monitoring' or 'settrace')")


def trace_test(
    program: str, entry: str, test: str, *, prelude: str = "", limits: TraceLimits | None = None
) -> Trace:
    """Run ``test`` against ``program`` (after ``prelude``) and record the block visits of ``entry``.

    ``entry`` is a function name or ``Class.method`` defined in ``program``. A program that does not parse or
    does not define ``entry`` gives a trace with ``passed=False`` and the reason in ``error``.
    """
    try:
        cfg = build_cfg(program, entry)
    except (SyntaxError, FunctionNotFound) as exc:
        info = describe(exc)
        return Trace(function=entry, test=test, passed=False, error=summary(info), exception=info)
    return trace_with_cfg(program, entry, test, cfg, prelude=prelude, limits=limits)


def trace_with_cfg(
    program: str,
    entry: str,
    test: str,
    cfg: CFG,
    *,
    prelude: str = "",
    limits: TraceLimits | None = None,
    backend: str | None = None,
) -> Trace:
    """:func:`trace_test` with the CFG given (and optionally the backend)."""
    limits = limits or TraceLimits()
    tracer = make_tracer(backend)
    job = _Job(program, entry, test, cfg, prelude, limits, tracer)
    stdout = CappedWriter(limits.max_stdout)
    started = time.perf_counter()
    run = _execute(job, stdout, _Run())
    trace = _assemble(entry, test, cfg, limits, run)
    if isinstance(run.error, TraceTimeout):
        trace.timeout = True
        trace.cut.insert(0, f"stopped after {limits.time_limit_s:g} s: the visits show where the run was")
        trace.truncated = True
    elif run.recorder is not None and _worth_replaying(trace, limits):
        _fill_tail_from_replay(trace, job, run.recorder, run.phase)
    trace.stdout = stdout.getvalue()
    trace.duration_s = time.perf_counter() - started
    trace.backend = tracer.name
    if stdout.dropped:
        trace.cut.append(f"output cut after {limits.max_stdout} characters")
        trace.truncated = True
    return trace


def _execute(job: _Job, stdout: CappedWriter, run: _Run) -> _Run:
    """Run prelude, program and test in a fresh module under the deadline; ``run`` says what happened."""
    module = fresh_module()
    with _captured(stdout), ProgramProcess(module) as process, _deadline(job.limits.time_limit_s, run):
        try:
            _run_traced(job, process, run)
        except BaseException as exc:
            run.error = exc
    return run


def _worth_replaying(trace: Trace, limits: TraceLimits) -> bool:
    """Visits of the ring lack their state (the budget ran out) and a second run is affordable."""
    stateless = any(visit.state_cut for visit in trace.visits)
    return stateless and trace.total_visits <= limits.replay_max_visits


def _fill_tail_from_replay(trace: Trace, job: _Job, first: Recorder, phase: str) -> None:
    """Run the test again, recording the last visits of every block with their state, and give those states to
    the ring's visits. Kept only when the second run made exactly the same visits (a deterministic program)."""
    ring = first.ring_visits()
    counts = first.visit_counts()
    tail_from = list(counts)
    for record in ring:
        tail_from[record.block] = min(tail_from[record.block], record.occurrence)
    replay_limits = dataclasses.replace(job.limits, first_visits=0, snapshot_budget=0)
    replay = _Run(tail_from=tail_from, tail_phase=phase)
    _execute(dataclasses.replace(job, limits=replay_limits), CappedWriter(0), replay)
    second = replay.recorder
    if second is None or second.visit_counts() != counts or replay.phase != phase:
        trace.cut.append(
            "a second run to recover the states of the last visits made different visits: not used"
        )
        return
    found = {(record.block, record.occurrence): record for record in second.tail if record.state is not None}
    index = {block.id: position for position, block in enumerate(job.cfg.blocks)}
    filled = 0
    for position, visit in enumerate(trace.visits):
        again = found.get((index[visit.block], visit.occurrence))
        if visit.state_cut and again is not None:
            ids = [block.id for block in job.cfg.blocks]
            trace.visits[position] = _visit(dataclasses.replace(again, seq=visit.seq), ids, job.limits)
            filled += 1
    trace.cut = [note for note in trace.cut if "have no state" not in note]
    trace.cut.append(f"the states of the last {filled} visits come from a second, identical run of the test")


@dataclass(frozen=True)
class _Job:
    """What to run and how to trace it."""

    program: str
    entry: str
    test: str
    cfg: CFG
    prelude: str
    limits: TraceLimits
    tracer: Tracer


class _Run:
    """What one traced run produced (``tail_from``/``tail_phase``: a replay, see :class:`Recorder`)."""

    def __init__(self, tail_from: list[int] | None = None, tail_phase: str = "") -> None:
        self.tail_from = tail_from
        self.tail_phase = tail_phase
        self.recorder: Recorder | None = None
        self.code: CodeType | None = None
        self.keys: list[int] = []
        self.phase = "program"
        self.running = False
        """True while the program or the test executes (the only time a deadline may interrupt)."""
        self.error: BaseException | None = None


def _run_traced(job: _Job, process: ProgramProcess, run: _Run) -> None:
    namespace = process.module.__dict__
    if job.prelude:
        code = compile_source(job.prelude, PRELUDE_FILE)
        process.rebase()
        exec(*(code, namespace))  # a star call, as rebase requires
    module_code = compile_source(job.program, PROGRAM_FILE)
    # Calls made by the program's own module-level code are traced too: when that code fails (seed programs
    # often end with asserts of their own), those calls are the trace. Otherwise the test's trace replaces it.
    run.phase = "program"
    _traced_exec(
        job, module_code, find_code(namespace, module_code, job.entry, job.cfg.first_line), process, run
    )
    run.phase = "test"
    target = find_code(namespace, module_code, job.entry, job.cfg.first_line)
    _traced_exec(job, compile_source(job.test, TEST_FILE), target, process, run)


def _traced_exec(
    job: _Job, code: CodeType, target: CodeType | None, process: ProgramProcess, run: _Run
) -> None:
    """Execute ``code`` with the calls of ``target`` recorded into a fresh recorder.

    The recursion limit is that of a file's code under ``python``; the tracer's hooks run on top of the
    program's frames and use a few levels of it, so a recursion that ``python`` just allows can stop a few
    levels short under tracing (docs/sandbox.md).
    """
    if target is None:
        raise LookupError(f"the program defines no function {job.entry!r} that tracefix can trace")
    if target is not run.code:
        run.code, run.keys = target, line_keys(job.program, job.cfg, target)
    tail_from = run.tail_from if run.phase == run.tail_phase else None
    run.recorder = Recorder(run.keys, len(job.cfg.blocks), job.limits, tail_from=tail_from)
    process.rebase()
    job.tracer.start(target, run.recorder)
    run.running = True
    try:
        exec(*(code, process.module.__dict__))  # a star call, as rebase requires
    finally:
        run.running = False
        job.tracer.stop()
        run.recorder.finish()


@contextmanager
def _deadline(seconds: float | None, run: _Run) -> Iterator[None]:
    """Stop the run with :class:`TraceTimeout` after ``seconds``; the alarm repeats every 50 ms until the run
    has stopped (a bare ``except:`` in the program may swallow one). Only in the main thread, where signals
    arrive."""
    if seconds is None or threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        if not run.running:
            return  # between the program and the test, or already done: nothing to stop
        if not _inside_tracefix(frame):
            raise TraceTimeout
        # The tracer's own code is running: raising here would leave the recorder half-updated (and settrace
        # would drop its hook without a word). The recorder stops the run at its next safe point instead.
        if run.recorder is not None:
            run.recorder.expire()

    with repeating_alarm(seconds, interrupt):
        yield


def _inside_tracefix(frame: FrameType | None) -> bool:
    """Whether a tracer hook is on the stack (the hooks' modules appear there only while a hook runs)."""
    while frame is not None:
        if frame.f_code.co_filename in _TRACER_FILES:
            return True
        frame = frame.f_back
    return False


@contextmanager
def _captured(stdout: CappedWriter) -> Iterator[None]:
    saved = sys.stdout, sys.stdin
    sys.stdout = stdout
    sys.stdin = empty_stdin()  # input() fails at once instead of waiting
    try:
        yield
    finally:
        sys.stdout, sys.stdin = saved


# --------------------------------------------------------------------------- the Trace record


def _assemble(entry: str, test: str, cfg: CFG, limits: TraceLimits, run: _Run) -> Trace:
    info = None if run.error is None else _exception_info(run.error, run, cfg)
    trace = Trace(
        function=entry,
        test=test,
        passed=run.error is None,
        error=None if info is None else summary(info),
        exception=info,
    )
    recorder = run.recorder
    if recorder is None:
        return trace
    ids = [block.id for block in cfg.blocks]
    visits = _visits(recorder, ids, limits)
    trace.visits = visits
    trace.total_visits = recorder.total()
    trace.block_counts = {ids[index]: count for index, count in enumerate(recorder.visit_counts()) if count}
    trace.calls = recorder.calls
    trace.max_depth = recorder.max_depth
    trace.return_value = recorder.return_value
    trace.cut = _cut_notes(recorder, visits, limits)
    if run.phase == "program" and run.error is not None:
        trace.cut.insert(0, _LOAD_FAILED)
    trace.truncated = bool(trace.cut)
    return trace


def _exception_info(error: BaseException, run: _Run, cfg: CFG) -> ExceptionInfo:
    """The runner's description of the error, plus the block of the traced function it passed through."""
    info = describe(error)
    line = _deepest_line_in(error.__traceback__, run.code)
    if line is not None:
        block_of = cfg.line_to_block()
        info.block = block_of.get(line)
    return info


def _deepest_line_in(tb: TracebackType | None, code: CodeType | None) -> int | None:
    line = None
    while tb is not None:
        if tb.tb_frame.f_code is code:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _visits(recorder: Recorder, ids: list[int], limits: TraceLimits) -> list[Visit]:
    """Kept visits in run order: the first visits of each block and the ring of the last ones."""
    first_in_ring = recorder.total() - len(recorder.ring)
    records = {record.seq: record for record in recorder.kept}
    for record in recorder.tail:
        if record.seq >= first_in_ring:
            records.setdefault(record.seq, record)
    for record in recorder.ring_visits():
        records.setdefault(record.seq, record)
    _attach_exits(recorder, records)
    return [_visit(records[seq], ids, limits) for seq in sorted(records)]


def _attach_exits(recorder: Recorder, records: dict[int, VisitRecord]) -> None:
    """Give the last ring visit of an outermost call the state that call ended with."""
    for ended in recorder.exits:
        mine = [r for r in records.values() if r.frame == ended.frame and r.state is None]
        if mine:
            last = max(mine, key=lambda r: r.seq)
            last.state, last.exit, last.value, last.exception = (
                ended.state,
                ended.exit,
                ended.value,
                ended.exception,
            )


def _visit(record: VisitRecord, ids: list[int], limits: TraceLimits) -> Visit:
    return Visit(
        seq=record.seq,
        block=ids[record.block],
        state={} if record.state is None else render_state(record.state, limits.values),
        changed=record.changed,
        frame=record.frame,
        depth=record.depth,
        occurrence=record.occurrence,
        exit=record.exit,
        value=record.value,
        exception=record.exception,
        state_cut=record.state is None,
    )


def _cut_notes(recorder: Recorder, visits: list[Visit], limits: TraceLimits) -> list[str]:
    total = recorder.total()
    notes = []
    if total > len(visits):
        notes.append(
            f"kept {len(visits)} of {total} visits: the first {limits.first_visits} of each block "
            f"and the last {limits.last_visits}; block_counts has every visit"
        )
    stateless = sum(1 for visit in visits if visit.state_cut)
    if stateless:
        notes.append(
            f"{stateless} kept visits have no state: the snapshot budget "
            f"({limits.snapshot_budget}) ran out and later visits were only counted"
        )
    return notes
