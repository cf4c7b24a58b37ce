"""The bounded recorder of block visits that both tracer backends feed.

A backend reports five things: a frame of the traced function starts or resumes, a line of it is about to run,
it raises, and it leaves (return, yield or unwind). The recorder turns lines into *visits* (consecutive lines of
one block in one call) and keeps, within :class:`TraceLimits`:

- the first ``first_visits`` visits of every block, with the local state after each;
- a ring of the last ``last_visits`` visits; these carry a state while the global ``snapshot_budget`` lasts;
- an exact count of every block's visits, whatever was kept.

Snapshot cost is what makes tracing slow, so the line hook does almost nothing: a list lookup, a comparison, a
counter and a ring append. Values are rendered only for kept visits, and atoms are kept by reference until then.

Two more modes serve the tracer: ``expire()`` (from a signal handler) stops the run at the next safe point, and
``tail_from`` makes a recorder replay a run whose counts it knows, recording only the visits of its ring.
"""

from __future__ import annotations

import dataclasses
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from tracefix.execution.values import ValueLimits, is_atom, safe_repr

BLOCK_SHIFT = 20
"""A line key is ``block_index << BLOCK_SHIFT | statement_line``; lines stay below 2**20."""
_NEVER = -(1 << 62)
"""The count of the extra slot that lines outside every block index: always below ``first_visits``."""
_MAX_SUSPENDED = 1000
"""Suspended generator calls remembered at most."""
_ALWAYS = 1 << 62
"""What the hot path compares counts with while a visit waits for its state: every visit goes slow."""

DISABLE: object = getattr(getattr(sys, "monitoring", None), "DISABLE", None)
"""What the line hook returns for lines outside every block (sys.monitoring then stops reporting them)."""

LineHook = Callable[[object, int], object]
SettraceHook = Callable[[FrameType, str, object], object]


@dataclass(frozen=True)
class TraceLimits:
    """How much of a run a trace keeps. Counts are always exact; these bound states and time."""

    first_visits: int = 10
    """Visits kept (with state) from the start of each block."""
    last_visits: int = 20
    """Size of the ring of the most recent visits."""
    snapshot_budget: int = 2000
    """States taken beyond the first visits of each block; after it, later visits are only counted."""
    max_stdout: int = 8192
    """Characters of captured output kept."""
    replay_max_visits: int = 100_000
    """When the budget ran out before the last visits, run the test a second time to record their states, if
    the run made at most this many visits (a replay costs about twice the first run; 0: never)."""
    time_limit_s: float | None = 10.0
    """Seconds after which the traced run is interrupted (from inside, by SIGALRM) and the trace kept as it is:
    a program that loops forever still gives its last visits and state. Keep it below the sandbox's wall limit
    for traces, which kills the whole process. None: no limit."""
    values: ValueLimits = field(default_factory=ValueLimits)
    """How each value is rendered."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TraceLimits:
        """The inverse of :meth:`to_dict`; unknown keys are ignored."""
        names = {f.name for f in dataclasses.fields(cls)} - {"values"}
        values = ValueLimits(**data.get("values", {}))
        return cls(values=values, **{key: val for key, val in data.items() if key in names})


class TraceTimeout(BaseException):
    """Raised inside the traced program when ``TraceLimits.time_limit_s`` runs out.

    A ``BaseException`` so that the program's own ``except Exception`` does not swallow it.
    """

    def __str__(self) -> str:
        return "the traced run took too long"


class Shown:
    """A value already rendered to text (non-atoms are rendered when their visit is snapshotted)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __eq__(self, other: object) -> bool:
        return type(other) is Shown and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


State = dict[str, object]


@dataclass(slots=True)
class VisitRecord:
    """A visit chosen to be kept; its state is filled in when the visit ends."""

    seq: int
    block: int
    """Index of the block in the CFG's ``blocks`` list."""
    frame: int
    depth: int
    occurrence: int
    state: State | None = None
    changed: list[str] = field(default_factory=list)
    exit: str | None = None
    value: str | None = None
    exception: str | None = None


@dataclass(slots=True)
class FrameState:
    """One call of the traced function."""

    number: int
    depth: int
    frame: FrameType
    cur: int = -1
    lim: int = -1
    open: VisitRecord | None = None
    last_state: State | None = None


@dataclass(slots=True)
class ExitRecord:
    """The state of an outermost call when it ended, for the ring visit that has none."""

    frame: int
    state: State
    exit: str
    value: str | None
    exception: str | None


class Recorder:
    """Collects visits from a backend. ``line`` is the hot path; everything else is rare."""

    def __init__(
        self, keys: list[int], n_blocks: int, limits: TraceLimits, *, tail_from: list[int] | None = None
    ) -> None:
        """``tail_from`` turns the recorder into a replay of a run it knows the counts of: it records (with
        state) exactly the visits of each block from that occurrence on, and nothing else."""
        self.keys = keys
        self.tail_from = None if tail_from is None else [*tail_from, 0]
        self.limits = limits
        # One extra slot at index -1: the key -1 (a line outside every block) lands there.
        self.counts = [0] * n_blocks + [_NEVER]
        self.ring: deque[int] = deque(maxlen=max(limits.last_visits, 1))
        self.switches: deque[tuple[int, int, int]] = deque(maxlen=2 * max(limits.last_visits, 1) + 2)
        """(visits so far, call number, depth) each time another call starts running: who owns ring visits."""
        self.kept: list[VisitRecord] = []
        self.tail: deque[VisitRecord] = deque(maxlen=max(limits.last_visits, 1))
        self.exits: deque[ExitRecord] = deque(maxlen=max(limits.last_visits, 1))
        self.budget = limits.snapshot_budget if tail_from is None else 0
        self.stack: list[FrameState] = []
        self.suspended: dict[FrameType, FrameState] = {}
        self.calls = 0
        self.max_depth = 0
        self.return_value: str | None = None
        self.expired = False
        self.trace_local: SettraceHook
        self.line, self._set_hot, self._get_hot = self._make_line_hook()

    # ----------------------------------------------------------------- hot path

    def _make_line_hook(
        self,
    ) -> tuple[LineHook, Callable[[int, int, bool], None], Callable[[], tuple[int, int]]]:
        """The line hook as a closure: closure cells are the cheapest state CPython offers a callback.

        ``cur``/``lim`` bound the keys that continue the current visit (same block, same or later statement).
        A visit goes to the slow path when its block has been seen fewer than ``first`` times; ``first`` is
        raised to :data:`_ALWAYS` while the open visit waits for its state, and the count slot of unknown lines
        is :data:`_NEVER`, so one comparison covers all three cases.
        The settrace flavour of the same hook (:attr:`trace_local`) shares these cells.
        """
        keys, counts, push = self.keys, self.counts, self.ring.append
        ends = [(block + 1) << BLOCK_SHIFT for block in range(len(counts))]
        boundary, first_visits = self._boundary, self.limits.first_visits
        cur, lim, first = -1, -1, _ALWAYS

        def line(code: object, lineno: int) -> object:
            nonlocal cur, lim
            key = keys[lineno]
            if cur <= key < lim:
                cur = key
                return None
            block = key >> BLOCK_SHIFT
            seen = counts[block]
            if seen < first:
                return boundary(key)
            counts[block] = seen + 1
            cur, lim = key, ends[block]
            push(key)
            return None

        def trace_local(frame: FrameType, event: str, arg: object) -> object:
            # ``line`` inlined: on Python 3.11 a second call per line event costs a tenth of the overhead.
            nonlocal cur, lim
            if event != "line":
                self.on_other_event(frame, event, arg)
                return trace_local
            key = keys[frame.f_lineno]
            if cur <= key < lim:
                cur = key
                return trace_local
            block = key >> BLOCK_SHIFT
            seen = counts[block]
            if seen < first:
                boundary(key)
                return trace_local
            counts[block] = seen + 1
            cur, lim = key, ends[block]
            push(key)
            return trace_local

        def set_hot(new_cur: int, new_lim: int, pending: bool) -> None:
            nonlocal cur, lim, first
            cur, lim, first = new_cur, new_lim, _ALWAYS if pending else first_visits

        def get_hot() -> tuple[int, int]:
            return cur, lim

        self.trace_local = trace_local
        if self.tail_from is not None:
            return self._replay_hooks(line), set_hot, get_hot
        return line, set_hot, get_hot

    def _replay_hooks(self, line: LineHook) -> LineHook:
        """In a replay every visit of a block from its ``tail_from`` occurrence on takes the slow path (which
        records it); a replay is rare and bounded, so these hooks favour brevity over speed."""
        tail_from, counts, keys = self.tail_from or [], self.counts, self.keys

        def replay_line(code: object, lineno: int) -> object:
            key = keys[lineno]
            if (
                key >= 0
                and counts[key >> BLOCK_SHIFT] >= tail_from[key >> BLOCK_SHIFT]
                and self._new_visit(key)
            ):
                return self._boundary(key)
            return line(code, lineno)

        def replay_local(frame: FrameType, event: str, arg: object) -> object:
            if event == "line":
                replay_line(None, frame.f_lineno)
            else:
                self.on_other_event(frame, event, arg)
            return replay_local

        self.trace_local = replay_local
        return replay_line

    def _new_visit(self, key: int) -> bool:
        """Whether ``key`` starts a new visit in the running call (rather than continuing the current one)."""
        cur, lim = self._get_hot()
        return not cur <= key < lim

    def on_other_event(self, frame: FrameType, event: str, arg: object) -> None:
        """Non-line settrace events of the traced function; the settrace backend replaces this."""

    def _boundary(self, key: int) -> object:
        """A new visit starts (or a line outside every block ran): the slow path of :meth:`line`."""
        if self.expired:
            self._stop()
        if not self.stack:
            return None
        frame = self.stack[-1]
        if key < 0:
            return DISABLE
        self._close(frame)
        block = key >> BLOCK_SHIFT
        seen = self.counts[block]
        seq = self.total()
        self.counts[block] = seen + 1
        self.ring.append(key)
        record = None
        if seen < self.limits.first_visits:
            record = self._record(seq, block, frame, seen)
            self.kept.append(record)
        elif self.budget > 0 or (self.tail_from is not None and seen >= self.tail_from[block]):
            self.budget = max(self.budget - 1, 0)
            record = self._record(seq, block, frame, seen)
            self.tail.append(record)
        frame.open = record
        frame.cur, frame.lim = key, (block + 1) << BLOCK_SHIFT
        self._sync(frame)
        return None

    # ----------------------------------------------------------------- frames

    def start(self, frame: FrameType) -> None:
        """A new call of the traced function begins."""
        state = FrameState(number=self.calls, depth=len(self.stack), frame=frame)
        self.calls += 1
        self.max_depth = max(self.max_depth, state.depth)
        self._push(state)

    def resume(self, frame: FrameType) -> None:
        """A suspended generator call of the traced function runs again."""
        state = self.suspended.pop(frame, None)
        if state is None:
            self.start(frame)
            return
        state.depth = len(self.stack)
        self._push(state)

    def raised(self, error: BaseException) -> None:
        """An exception was raised in (or propagated into) the running call."""
        if self.stack and self.stack[-1].open is not None:
            self.stack[-1].open.exception = exception_text(error)

    def leave(self, kind: str, value: object) -> None:
        """The running call returns (``"return"``), yields (``"yield"``) or unwinds (``"raise"``)."""
        if not self.stack:
            return
        frame = self.stack.pop()
        record = frame.open
        wanted = record is not None or frame.depth == 0
        text = self._exit_text(kind, value) if wanted else None
        if record is not None:
            self._close(frame)
            record.exit = kind
            record.value, record.exception = (
                text if kind != "raise" else None,
                text if kind == "raise" else None,
            )
        elif frame.depth == 0:
            state = self._snapshot(frame.frame)
            value_text, error_text = (None, text) if kind == "raise" else (text, None)
            self.exits.append(ExitRecord(frame.number, state, kind, value_text, error_text))
        if kind == "return" and frame.depth == 0:
            self.return_value = text
        if kind == "yield":
            frame.cur = frame.lim = -1
            self.suspended[frame.frame] = frame
            if len(self.suspended) > _MAX_SUSPENDED:
                # Abandoned generators would pile up (their frames hold their locals): forget the oldest.
                # Should it run again, it counts as a new call.
                oldest = self.suspended.pop(next(iter(self.suspended)))
                self._close(oldest)
        if self.stack:
            self._sync(self.stack[-1])
            self._switched(self.stack[-1])
        else:
            self._set_hot(-1, -1, True)

    def expire(self) -> None:
        """Stop the run at the next line of the traced function (called from a signal handler)."""
        self.expired = True
        self._set_hot(-1, -1, True)

    def _stop(self) -> None:
        """End every running call as unwound by :class:`TraceTimeout`, then raise it into the program."""
        error = TraceTimeout()
        while self.stack:
            self.leave("raise", error)
        raise error

    def finish(self) -> None:
        """Take the state of visits left open (calls still running or suspended when the test ended)."""
        for frame in [*self.stack, *self.suspended.values()]:
            self._close(frame)
        self.stack.clear()
        self.suspended.clear()

    # ----------------------------------------------------------------- helpers

    def _push(self, state: FrameState) -> None:
        if self.stack:
            top = self.stack[-1]
            top.cur, top.lim = self._get_hot()
        self.stack.append(state)
        self._sync(state)
        self._switched(state)

    def _sync(self, frame: FrameState) -> None:
        self._set_hot(frame.cur, frame.lim, frame.open is not None or self.budget > 0)

    def _switched(self, frame: FrameState) -> None:
        """Log that ``frame`` runs from now on (one entry per visit count: switches without visits merge)."""
        total = self.total()
        if self.switches and self.switches[-1][0] == total:
            self.switches.pop()
        self.switches.append((total, frame.number, frame.depth))

    def total(self) -> int:
        """Visits so far."""
        return sum(self.counts) - _NEVER

    def visit_counts(self) -> list[int]:
        """Visits of each block (by index in the CFG's block list)."""
        return self.counts[:-1]

    def ring_visits(self) -> list[VisitRecord]:
        """The last visits as records without state: sequence number, block, call, depth and occurrence."""
        total, ring = self.total(), list(self.ring)
        first_seq = total - len(ring)
        left = self.visit_counts()
        switches = list(self.switches)
        found: list[VisitRecord] = []
        for offset in reversed(range(len(ring))):
            block, seq = ring[offset] >> BLOCK_SHIFT, first_seq + offset
            while len(switches) > 1 and switches[-1][0] > seq:
                switches.pop()
            call, depth = switches[-1][1:] if switches else (0, 0)
            left[block] -= 1
            found.append(VisitRecord(seq, block, call, depth, left[block]))
        return found[::-1]

    def _record(self, seq: int, block: int, frame: FrameState, seen: int) -> VisitRecord:
        return VisitRecord(seq=seq, block=block, frame=frame.number, depth=frame.depth, occurrence=seen)

    def _close(self, frame: FrameState) -> None:
        """Give the open visit of ``frame`` its state: the locals now, after its block ran."""
        record = frame.open
        if record is None:
            return
        frame.open = None
        state = self._snapshot(frame.frame)
        record.state = state
        record.changed = changed_names(frame.last_state, state)
        frame.last_state = state

    def _snapshot(self, frame: FrameType) -> State:
        """The frame's locals: atoms by reference, everything else rendered now (it may change later)."""
        limits = self.limits.values
        try:
            items = list(frame.f_locals.items())
        except Exception:
            return {}
        return {
            name: value if is_atom(value, limits) else Shown(safe_repr(value, limits))
            for name, value in items
        }

    def _exit_text(self, kind: str, value: object) -> str:
        if kind == "raise" and isinstance(value, BaseException):
            return exception_text(value)
        return safe_repr(value, self.limits.values)


def changed_names(before: State | None, after: State) -> list[str]:
    """Names bound differently in ``after`` than in ``before`` (all of them for the first state of a call)."""
    if before is None:
        return list(after)
    return [name for name, value in after.items() if name not in before or not _same(before[name], value)]


def _same(old: object, new: object) -> bool:
    return old is new or (type(old) is type(new) and old == new)


def render_state(state: State, limits: ValueLimits) -> dict[str, str]:
    """Text for every value of a snapshot."""
    return {
        name: value.text if type(value) is Shown else safe_repr(value, limits)
        for name, value in state.items()
    }


def exception_text(error: BaseException) -> str:
    """``Type: message`` on one bounded line."""
    try:
        message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    except Exception:
        message = "<unprintable message>"
    text = f"{type(error).__name__}: {message}" if message else type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."
