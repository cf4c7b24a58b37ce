"""ldb's ``focused`` format: one request showing the few blocks worth a look.

The evidence picks them (the failing block located by the trace and by the passing tests, loop runs
collapsed, changed variables only); the model names the wrong block in one line and writes the fix in the
same reply. Built for small local models, which in the paper's two-call format mostly returned the program
unchanged. The hole format falls back to this request when it has nothing left to cut.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from pydantic import Field

from tracefix.records import Attempt, Trace, Verdict
from tracefix.strategies.common import problem_values
from tracefix.strategies.engine import Context, LoopState
from tracefix.strategies.ldb import evidence as ev
from tracefix.strategies.ldb.base import (
    EvidenceOptions,
    LdbFormat,
    Traced,
    findings_of,
    no_trace,
    outcome,
    parameters_of,
    passing_traces,
)
from tracefix.strategies.ldb.verdicts import parse_prose_verdicts, parse_wrong_block
from tracefix.strategies.templates import chat


class FocusedOptions(EvidenceOptions):
    """ldb[format=focused]: the blocks worth a look, the wrong one named and fixed in one reply."""

    format: Literal["focused"] = "focused"
    hints: bool = Field(
        default=False,
        description="say above the blocks what the trace shows about the wrong result (its findings)",
    )


@dataclass
class Focused(LdbFormat[FocusedOptions]):
    format: ClassVar[str] = "focused"

    def ask(self, ctx: Context, state: LoopState, attempt: Attempt, traced: Traced) -> None:
        o = self.options
        request_focused(ctx, state, attempt, traced, o.level, o.blocks, o.passing, hints=o.hints)


def request_focused(
    ctx: Context,
    state: LoopState,
    attempt: Attempt,
    traced: Traced,
    level: str,
    blocks: int,
    passing: int,
    *,
    hints: bool,
) -> None:
    """Ask with the focused evidence; the verdict is the block the reply names (the last reply naming one)."""
    text, shown = _evidence(ctx, state, traced, level, blocks, passing, hints)
    attempt.shown_blocks = shown
    messages = chat("ldb_focused", evidence=text, level=level, **problem_values(state))
    ctx.request_program(messages, state, attempt, whole_reply=True)  # the verdict may follow the code
    verdicts: list[Verdict] = []
    how = "none"
    for reply in attempt.replies:
        named = parse_wrong_block(reply.text)
        if named is not None:
            verdicts, how = [named], "format"
        elif prose := parse_prose_verdicts(reply.text):
            verdicts, how = prose, "prose"
    attempt.verdicts = verdicts
    attempt.verdict_parse = how


def _evidence(
    ctx: Context, state: LoopState, traced: Traced, level: str, blocks: int, passing: int, hints: bool
) -> tuple[str, list[int]]:
    cfg, trace = traced.cfg, traced.trace
    if cfg is None or not trace.visits:
        return no_trace(trace), []
    if level == "function":
        return _function_view(state.program, traced.entry, trace), []
    ran = [set(t.block_counts) for t in passing_traces(ctx, state, traced.entry, level, passing)]
    gathered = ev.gather(state.program, cfg, trace, ran, state.task.suspicions)
    shown, hidden = ev.select(gathered, blocks)
    text = ev.render_focused(shown, hidden)
    if hints and (found := findings_of(state, traced)):
        text = "What the trace shows:\n" + "\n".join(f"- {f.text}" for f in found) + "\n\n" + text
    return text, [b.block for b in shown]


def _function_view(program: str, entry_point: str, trace: Trace) -> str:
    """The function level of the ablation: the call's arguments and its outcome, nothing in between."""
    first = trace.visits[0].state
    params = parameters_of(program, entry_point)
    args = ", ".join(f"{p} = {ev.short(first[p])}" for p in params if p in first)
    return f"[FUNCTION {entry_point}] called with {args or 'no arguments'}\n  {outcome(trace, shown=str)}"
