"""What was wrong, in a sentence or two: read off the first trace and the diff, worded by one short model call.

The evidence is tracefix's own: the failing test and how it failed, what the first trace showed about the
wrong result (ldb's findings: the loop that never ended and how its variables moved, where the returned value
came from, what the raising line read), and the lines the fix changed. The model only puts it into words.
When it cannot (an error, an empty reply, or a reply that names neither a changed line nor a name of the
evidence), the evidence is said as it is, without the model.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from tracefix.analysis.cfg import build_cfg
from tracefix.models.base import Model, ModelError
from tracefix.records import GenParams, Message, Session, Usage
from tracefix.strategies.ldb.base import parameters_of
from tracefix.strategies.ldb.findings import findings
from tracefix.strategies.templates import render
from tracefix.strategies.tests import describe_failure, first_failing, split_assert

CAUSE_TOKENS = 160
MAX_CHARS = 600
MAX_SENTENCES = 2
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Change:
    """A run of lines the fix replaced: the first old line number, the old lines and the new ones."""

    line: int
    old: list[str]
    new: list[str]


@dataclass(frozen=True)
class Evidence:
    test: str
    failure: str
    findings: list[str]
    changes: list[Change]
    names: set[str] = field(default_factory=set)
    """Names of the changed lines and the findings: a reply that mentions none of them is not grounded."""


@dataclass(frozen=True)
class Cause:
    text: str
    by: str
    """"model" or "trace" (the evidence said as it is)."""
    usage: Usage = field(default_factory=Usage)
    calls: int = 0


def evidence(session: Session) -> Evidence | None:
    """The evidence of a session that changed the program and ended fixed; None otherwise."""
    failing = first_failing(session.initial_results)
    if session.outcome != "fixed" or failing is None or session.final_program == session.initial_program:
        return None
    changes = changed_lines(session.initial_program, session.final_program)
    said = _findings(session)
    names = {n for c in changes for line in (*c.old, *c.new) for n in _NAME.findall(line)}
    names |= {n for text in said for n in re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", text)}
    return Evidence(failing.test, describe_failure(failing), said, changes, names)


def changed_lines(before: str, after: str) -> list[Change]:
    old, new = before.splitlines(), after.splitlines()
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    return [
        Change(i1 + 1, old[i1:i2], new[j1:j2])
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]


def _findings(session: Session) -> list[str]:
    """ldb's findings on the first attempt's trace of the seed program (none without a trace)."""
    trace = session.attempts[0].trace if session.attempts else None
    if trace is None or not trace.visits:
        return []
    program = session.initial_program
    try:
        cfg = build_cfg(program, trace.function)
    except (SyntaxError, LookupError, ValueError):
        return []
    expectation = split_assert(trace.test)
    expected = expectation.expected if expectation else None
    said = findings(program, cfg, trace, parameters_of(program, trace.function), expected)
    first_line = {block.id: min(block.lines) for block in cfg.blocks if block.lines}

    def by_line(match: re.Match[str]) -> str:  # a reader sees lines, not the trace's block numbers
        block = int(match.group(1))
        return f"line {first_line[block]}" if block in first_line else match.group(0)

    return [re.sub(r"BLOCK (\d+)", by_line, f.text) for f in said]


def plain(found: Evidence) -> str:
    """The evidence as it is: how the test failed, the first finding, and the first change."""
    parts = [found.failure.rstrip(".") + "."]
    if found.findings:
        parts.append(found.findings[0])
    if found.changes:
        change = found.changes[0]
        old = " / ".join(line.strip() for line in change.old)
        new = " / ".join(line.strip() for line in change.new)
        if not old:
            parts.append(f"The fix adds `{new}` before line {change.line}.")
        elif not new:
            parts.append(f"The fix removes line {change.line}: `{old}`.")
        else:
            parts.append(f"The fix changes line {change.line}: `{old}` became `{new}`.")
    return " ".join(parts)


def explain(session: Session, model: Model, params: GenParams | None = None) -> Cause | None:
    """What was wrong and why the change fixes it, for a fixed session; None when nothing was fixed.

    The caller records it (:func:`record`)."""
    found = evidence(session)
    if found is None:
        return None
    base = params or GenParams()
    asked = base.model_copy(update={"max_tokens": CAUSE_TOKENS, "temperature": 0.0})
    messages = [Message(role="user", content=render("cause", evidence=found, diff=_diff(session)))]
    try:
        reply = model.complete(messages, asked)
    except ModelError:
        return Cause(plain(found), "trace")
    text = _clean(reply.text)
    if not text or not _grounded(text, found):
        return Cause(plain(found), "trace", reply.usage, calls=1)
    return Cause(text, "model", reply.usage, calls=1)


def _diff(session: Session) -> str:
    lines = difflib.unified_diff(
        session.initial_program.splitlines(),
        session.final_program.splitlines(),
        "before",
        "after",
        lineterm="",
    )
    return "\n".join(lines)


def _clean(text: str) -> str:
    """The reply as plain text: code blocks dropped, whitespace joined, at most two sentences."""
    text = re.sub(r"```.*?(```|$)", "", text, flags=re.S).strip()
    text = " ".join(text.split())
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z`])", text)
    text = " ".join(sentences[:MAX_SENTENCES])
    if len(text) > MAX_CHARS:
        cut = text[:MAX_CHARS]
        text = cut[: cut.rfind(". ") + 1] or cut
    return text


def _grounded(text: str, found: Evidence) -> bool:
    lines = {str(c.line + n) for c in found.changes for n in range(max(1, len(c.old)))}
    mentioned = set(re.findall(r"line (\d+)", text))
    return bool(mentioned & lines) or any(re.search(rf"\b{re.escape(n)}\b", text) for n in found.names)


def record(session: Session, model: Model) -> Session:
    """``session`` with its cause said (``Session.cause``), the model call counted in its usage."""
    cause = explain(session, model)
    if cause is None:
        return session
    return session.model_copy(
        update={
            "cause": cause.text,
            "cause_by": cause.by,
            "usage": session.usage + cause.usage,
            "calls": session.calls + cause.calls,
        }
    )
