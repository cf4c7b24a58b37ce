"""MGDebugger's first step: the model rewrites a monolithic function as a tree of small subfunctions.

The rewrite is meant to keep the behaviour, bug included. The hierarchical strategy accepts it only when it
gives every visible test the same outcome as the original (same pass or fail, same value returned or same
exception); ``mgdebugger`` takes it as MGDebugger does, when it parses and defines the entry point.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tracefix.analysis.callgraph import call_tree
from tracefix.records import Attempt, Message, TestResult
from tracefix.strategies.engine import Context
from tracefix.strategies.extract import extract_program
from tracefix.strategies.templates import chat

TRIES = 3
"""Requests when a reply cannot be read: no program that parses, no fixed function (MGDebugger's parse
retries)."""


@dataclass(frozen=True)
class Decomposition:
    program: str | None
    """The decomposed program, or None."""
    why: str
    """"accepted", or why there is none."""


def ask(ctx: Context, program: str, attempt: Attempt) -> Decomposition:
    """Ask for ``program`` as a tree of subfunctions; accepted when it parses, defines the entry point and calls
    at least one subfunction."""
    entry = ctx.task.entry_point
    messages = chat("hier_decompose", description=ctx.task.description, program=program, entry=entry)

    def calls_one(candidate: str) -> str | None:
        return None if call_tree(candidate, entry).helpers else f"the reply's `{entry}` calls no subfunction"

    return request(ctx, messages, program, attempt, calls_one)


def request(
    ctx: Context,
    messages: list[Message],
    program: str,
    attempt: Attempt,
    refuse: Callable[[str], str | None] = lambda candidate: None,
) -> Decomposition:
    """Ask ``messages`` up to :data:`TRIES` times until a reply holds a program defining the entry point that
    ``refuse`` does not refuse (it says why it does); the replies go to ``attempt``."""
    why = "no reply"
    for n in range(TRIES):
        reply = ctx.ask(messages, ctx.sample(n, ctx.settings.params.seed))
        attempt.replies.append(reply)
        extraction = extract_program(reply.text, ctx.task.entry_point, program)
        if extraction.program is None:
            why = f"the reply had no usable program ({extraction.failure})"
            continue
        refused = refuse(extraction.program)
        if refused is None:
            return Decomposition(extraction.program, "accepted")
        why = refused
    return Decomposition(None, why)


def same_outcomes(before: list[TestResult], after: list[TestResult]) -> str | None:
    """None when every test has the same outcome in both runs, else the first difference, said."""
    for old, new in zip(before, after, strict=True):
        if old.passed != new.passed:
            return f"it {'passes' if new.passed else 'fails'} {new.test.strip()}, which the original " + (
                "failed" if new.passed else "passed"
            )
        if old.passed:
            continue
        old_type = old.exception.type if old.exception else None
        new_type = new.exception.type if new.exception else None
        if old_type != new_type or old.actual != new.actual:
            return f"on {new.test.strip()} it gives {_outcome(new)} where the original gave {_outcome(old)}"
    return None


def _outcome(result: TestResult) -> str:
    if result.actual is not None and (result.exception is None or result.exception.type == "AssertionError"):
        return result.actual
    return result.exception.type if result.exception else "a failure"
