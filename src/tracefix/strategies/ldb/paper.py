"""ldb's ``paper`` format: the LDB paper's two calls, as published.

First a JSON verdict (correct or not, and why) for each of at most ten block visits of the failing test,
then "fix the program", in one conversation. Kept so results stay comparable with the paper on strong
models; small models mostly answer it with the program unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from tracefix.records import Attempt, Message
from tracefix.strategies import view
from tracefix.strategies.engine import Context, LoopState
from tracefix.strategies.ldb import evidence as ev
from tracefix.strategies.ldb.base import LdbFormat, LdbOptions, Traced, no_trace
from tracefix.strategies.ldb.verdicts import parse_verdicts
from tracefix.strategies.templates import chat, render

VERDICT_TOKENS = 512
"""Token cap on the verdict reply (the paper's JSON list of verdicts)."""


class PaperOptions(LdbOptions):
    """ldb[format=paper]: the paper's verdicts on each block, then the fix, in one conversation."""

    format: Literal["paper"] = "paper"


@dataclass
class Paper(LdbFormat[PaperOptions]):
    format: ClassVar[str] = "paper"

    def ask(self, ctx: Context, state: LoopState, attempt: Attempt, traced: Traced) -> None:
        failing, cfg, trace = traced.failing, traced.cfg, traced.trace
        if cfg is not None and trace.visits:
            text, shown = ev.render_paper(state.program, cfg, trace)
        else:
            text, shown = no_trace(trace), []
        attempt.shown_blocks = shown
        actual = failing.actual if failing.actual is not None else (failing.error or "the assertion failed")
        messages = chat(
            "ldb_paper_debug",
            task=ctx.task,
            program=view.shown(state.program, ctx.task),
            failing=failing,
            actual=actual,
            evidence=text,
        )
        params = ctx.settings.params.model_copy(update={"max_tokens": VERDICT_TOKENS})
        verdict_reply = ctx.ask(messages, params)
        parsed = parse_verdicts(verdict_reply.text, expected=range(len(shown)))
        attempt.verdicts = [
            v.model_copy(update={"block": shown[v.block]})
            for v in parsed.verdicts
            if 0 <= v.block < len(shown)
        ]
        attempt.verdict_parse = parsed.how + (" (partial)" if parsed.missing and parsed.verdicts else "")
        fix = [*messages, Message(role="assistant", content=verdict_reply.text)]
        fix.append(Message(role="user", content=render("ldb_paper_fix")))
        attempt.replies.append(verdict_reply)
        ctx.request_program(fix, state, attempt)
