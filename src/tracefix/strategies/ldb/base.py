"""What every format of ldb shares: the options of all formats, the traced failing test, and the helpers
that read a trace (the function under test, its CFG at the chosen level, its parameters, its outcome)."""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Generic, Literal, TypeVar

from pydantic import Field

from tracefix.analysis.cfg import build_cfg
from tracefix.analysis.source import parameter_names, parse_function
from tracefix.records import CFG, Attempt, TestResult, Trace
from tracefix.strategies.common import failing_test
from tracefix.strategies.engine import Context, LoopState
from tracefix.strategies.extract import normalized
from tracefix.strategies.ldb import called
from tracefix.strategies.ldb import evidence as ev
from tracefix.strategies.ldb import findings as fd
from tracefix.strategies.ldb.quickfix import quick_fix
from tracefix.strategies.options import Options
from tracefix.strategies.tests import split_assert


class LdbOptions(Options):
    """Options of every ldb format."""

    level: Literal["block", "line", "function"] = Field(
        default="block",
        description="what the trace shows: basic blocks, every line as its own block, or only the call's "
        "inputs and outcome (the paper's ablation)",
    )
    names: bool = Field(
        default=False,
        description="a failure on a name the program never defines (a misnamed function, a module never "
        "imported) is mended first, without the model",
    )


class EvidenceOptions(LdbOptions):
    """Options of the formats that choose the blocks worth showing (focused, and hole's fallback to it)."""

    blocks: int = Field(default=8, ge=1, le=50, description="at most this many blocks shown")
    passing: int = Field(
        default=3,
        ge=0,
        le=10,
        description="passing visible tests traced: blocks they also run are less suspect",
    )


OptionsT = TypeVar("OptionsT", bound=LdbOptions)


@dataclass(frozen=True)
class Traced:
    """The failing test, the function it calls, that function's CFG at the chosen level, and its trace."""

    failing: TestResult
    entry: str
    cfg: CFG | None
    trace: Trace


@dataclass
class LdbFormat(ABC, Generic[OptionsT]):
    """One format of ldb: trace the failing test, mend an undefined name if asked to, else ask the model."""

    options: OptionsT
    name: str
    format: ClassVar[str]

    @property
    def level(self) -> str:
        return f"{self.options.level}/{self.format}"

    def attempt(self, ctx: Context, state: LoopState) -> Attempt:
        attempt = Attempt(iteration=state.iteration)
        traced = trace_failing(ctx, state, self.options.level)
        attempt.trace = traced.trace
        mended = (
            quick_fix(state.program, traced.failing, ctx.task.entry_point) if self.options.names else None
        )
        if mended is not None and normalized(mended.program) not in state.tried:
            attempt.program, attempt.note = mended.program, mended.note  # no model call
        else:
            self.ask(ctx, state, attempt, traced)
        return attempt

    @abstractmethod
    def ask(self, ctx: Context, state: LoopState, attempt: Attempt, traced: Traced) -> None:
        """Ask the model for a fixed program with this format's evidence; fill ``attempt``."""


def trace_failing(ctx: Context, state: LoopState, level: str) -> Traced:
    """Trace the function the first failing test calls, at ``level`` (in a repository, the function under
    test, which may be a helper of the one the test calls: the prompts show and the cuts apply to it)."""
    failing = failing_test(state)
    entry = ctx.traced or (
        ctx.task.entry_point
        if ctx.task.shown == "function"
        else called.under_test(state.program, failing.test, ctx.task.entry_point)
    )
    cfg = cfg_of(state.program, entry, level)
    trace = ctx.trace(state.program, failing.test, cfg if level == "line" else None, entry=entry)
    return Traced(failing, entry, cfg, trace)


def passing_traces(ctx: Context, state: LoopState, entry: str, level: str, count: int) -> list[Trace]:
    """Traces of the first ``count`` passing visible tests, for fault localisation."""
    passing = [r for r in state.results if r.passed][:count]
    cfg = cfg_of(state.program, entry, level) if level == "line" else None
    return [ctx.trace(state.program, r.test, cfg, entry=entry) for r in passing]


def findings_of(state: LoopState, traced: Traced) -> list[fd.Finding]:
    """What the trace says about the wrong result (``findings.py``); needs a CFG."""
    assert traced.cfg is not None
    expectation = split_assert(traced.failing.test)
    parameters = parameters_of(state.program, traced.entry)
    expected = expectation.expected if expectation else None
    return fd.findings(state.program, traced.cfg, traced.trace, parameters, expected)


def cfg_of(program: str, entry_point: str, level: str) -> CFG | None:
    try:
        cfg = build_cfg(program, entry_point)
    except (SyntaxError, LookupError, ValueError):
        return None
    return split_lines(cfg) if level == "line" else cfg


def split_lines(cfg: CFG) -> CFG:
    """The line-level view of a CFG: each line of a block becomes a block of its own.

    Block ids become line numbers, so the trace of a line-level CFG reads as a line trace.
    """
    first_line = {b.id: min(b.lines) for b in cfg.blocks if b.lines}
    blocks = []
    edges = []
    for block in cfg.blocks:
        lines = sorted(block.lines)
        for here, nxt in itertools.pairwise(lines):
            blocks.append({"id": here, "lines": [here], "successors": [nxt], "kind": block.kind})
            edges.append({"source": here, "target": nxt, "label": "next"})
        last = lines[-1]
        out = [e for e in cfg.edges if e.source == block.id and e.target in first_line]
        targets = sorted({first_line[e.target] for e in out})
        blocks.append({"id": last, "lines": [last], "successors": targets, "kind": block.kind})
        edges.extend({"source": last, "target": first_line[e.target], "label": e.label} for e in out)
    entry = first_line[cfg.entry]
    return CFG.model_validate(
        {
            "function": cfg.function,
            "entry": entry,
            "blocks": sorted(blocks, key=lambda b: b["id"]),
            "edges": edges,
            "first_line": cfg.first_line,
            "last_line": cfg.last_line,
        }
    )


def parameters_of(program: str, entry_point: str) -> list[str]:
    try:
        args = parse_function(program, entry_point).args  # the definition the CFG is built from
    except (SyntaxError, LookupError):
        return []
    return parameter_names(args)


def outcome(trace: Trace, shown: Callable[[str], str] = ev.short) -> str:
    """What the traced call did: ``returned 40.0``, ``raised ValueError: ...`` (values cut by ``shown``), or
    that it never finished."""
    if trace.timeout:
        return "never finished (it was stopped at the time limit)"
    if trace.exception is not None and not trace.exception.in_test:
        message = f": {shown(trace.exception.message)}" if trace.exception.message else ""
        return f"raised {trace.exception.type}{message}"
    return f"returned {shown(trace.return_value or 'None')}"


def no_trace(trace: Trace) -> str:
    """The evidence text when nothing of the function could be traced."""
    return f"(no block trace: {trace.error or 'the function was not called'})"
