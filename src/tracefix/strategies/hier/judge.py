"""Judging a subfunction's real calls: which returned something wrong, and what it should have returned.

The model sees the task, the program and the calls a failing test really made to one subfunction (arguments
and results, recorded by ``execution.calls``), and answers per call. Several samples are drawn; a call counts
as wrong only when at least ``agree`` of them name the same expected value (MGDebugger keeps its generated
tests by majority vote; here the votes are on real calls). Each agreed call becomes a unit test of the
subfunction: ``assert helper(3, [1, 2]) == 7``, its arguments the recorded ones.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from dataclasses import dataclass

from tracefix.analysis.source import parse_function
from tracefix.records import Call, CallCheck, Message
from tracefix.strategies.templates import chat

_LINE = re.compile(r"^\W*(?:call\s*)?#?(\d+)[\s*`]*[:.)\-]\s*(.+)$", re.IGNORECASE)
_WRONG = re.compile(r"\b(?:should\s+(?:be|return|have\s+returned)|expected)\b\s*:?\s*(.+)$", re.IGNORECASE)
_RIGHT = re.compile(r"^\W*(?:ok|okay|correct|right|yes|fine)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Shown:
    """A recorded call as the judge is shown it (numbered from 1), and whether a unit test can redo it."""

    number: int
    call: Call
    text: str
    """``helper(3, [1, 2]) returned 7`` / ``raised ValueError: ...``."""
    callable_text: str | None
    """``helper(3, [1, 2])`` when every argument is a literal that can be written back; else None."""
    note: str = ""
    """How often the same call was made, when more than once (`` (the same call 25 times of ...)``)."""


def shown_calls(
    program: str, function: str, calls: list[Call], limit: int, total: int | None = None
) -> list[Shown]:
    """The first ``limit`` calls of ``function`` with distinct arguments, as the judge is shown them; a call
    made more than once says how often among the recorded ones (``total``: all calls of the function)."""
    own = [call for call in calls if call.function == function]
    same = Counter(_key(call) for call in own)
    seen: set[tuple[tuple[str, str], ...]] = set()
    chosen: list[Shown] = []
    for call in own:
        key = _key(call)
        if not call.finished or key in seen:
            continue
        seen.add(key)
        written = call_text(program, function, call)
        head = written or f"{function}({', '.join(f'{k}={v}' for k, v in call.args.items())})"
        outcome = f"raised {call.exception}" if call.exception is not None else f"returned {call.result}"
        note = ""
        if same[key] > 1:
            of = f" of {total}" if total is not None and total > len(own) else ""
            note = f" (the same call {same[key]} times among the {len(own)} recorded{of})"
        chosen.append(Shown(len(chosen) + 1, call, f"{head} {outcome}", written, note))
        if len(chosen) == limit:
            break
    return chosen


def _key(call: Call) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(call.args.items()))


def call_text(program: str, function: str, call: Call) -> str | None:
    """The call as Python that redoes it (``helper(3, [1, 2])``), when every argument is a literal; a method
    (its ``self`` is not a literal) gives None."""
    try:
        node = parse_function(program, function)
    except (SyntaxError, LookupError):
        return None
    args = node.args
    parts: list[str] = []
    for param in [*args.posonlyargs, *args.args]:
        if param.arg not in call.args:
            return None
        parts.append(call.args[param.arg])
    if args.vararg is not None:
        parts.append(f"*{call.args.get(args.vararg.arg, '()')}")
    for param in args.kwonlyargs:
        if param.arg in call.args:
            parts.append(f"{param.arg}={call.args[param.arg]}")
    if args.kwarg is not None:
        parts.append(f"**{call.args.get(args.kwarg.arg, '{}')}")
    if "." in function or any(_literal(value) is None for value in call.args.values()):
        return None  # a method's instance, or a value shown cut or as <...>, cannot be written back
    return f"{function}({', '.join(parts)})"


def messages(
    description: str, program: str, function: str, shown: list[Shown], failing: str, failure: str
) -> list[Message]:
    return chat(
        "hier_judge",
        description=description,
        program=program,
        function=function,
        calls=[s.text + s.note for s in shown],
        failing=failing,
        failure=failure,
    )


def parse(text: str, count: int) -> dict[int, str | None]:
    """Call number -> None (judged right) or the expected value's text (judged wrong); calls not answered
    are left out."""
    verdicts: dict[int, str | None] = {}
    for line in text.splitlines():
        match = _LINE.match(line.strip().strip("`*"))
        if match is None:
            continue
        number, rest = int(match.group(1)), match.group(2).strip()
        if not 1 <= number <= count or number in verdicts:
            continue
        wrong = _WRONG.search(rest)
        if wrong is not None:
            value = _normalized(wrong.group(1))
            if value is not None:
                verdicts[number] = value
        elif _RIGHT.match(rest):
            verdicts[number] = None
    return verdicts


def tally(shown: list[Shown], replies: list[dict[int, str | None]], agree: int) -> list[CallCheck]:
    """The votes on each shown call: wrong when at least ``agree`` replies name the same expected value (one
    other than the call returned); an agreed call that can be written back makes a unit test."""
    checks = []
    for item in shown:
        recorded = _normalized(item.call.result) if item.call.result is not None else None
        # "should be X" where X is what the call returned is a verdict of right
        wrong = [v for reply in replies if (v := reply.get(item.number)) is not None and v != recorded]
        expected, votes = Counter(wrong).most_common(1)[0] if wrong else (None, 0)
        agreed = expected is not None and votes >= agree
        test = f"assert {item.callable_text} == {expected}" if agreed and item.callable_text else None
        checks.append(
            CallCheck(
                call=item.call,
                shown=item.text,
                answers=sum(1 for reply in replies if item.number in reply),
                wrong_votes=len(wrong),
                samples=len(replies),
                expected=expected,
                agreed=agreed,
                test=test,
            )
        )
    return checks


def _normalized(text: str) -> str | None:
    """The canonical text of the literal value ``text`` starts with (``should be 7 because ...`` -> ``7``),
    else None."""
    text = text.strip().strip("`")[:400]
    ends = [len(text)] + [i for i in range(len(text) - 1, 0, -1) if text[i] in " ,;("]
    for end in ends:
        value = _literal(text[:end].strip().rstrip(".,;").strip("`"))
        if value is not None:
            return repr(value[0])
    return None


def _literal(text: str) -> tuple[object] | None:
    try:
        return (ast.literal_eval(text),)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
