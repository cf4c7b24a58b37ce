"""Findings: what the trace says about the wrong result, in a few plain sentences.

Where the evidence (``evidence.py``) shows blocks and their states, a finding states a conclusion read off
the trace, so a small model does not have to draw it: the values the raising line read; where each variable
of the final ``return`` got its value (never changed, set once, changed in which blocks); and which run of
which block put the first wrong element into a returned list or string. A finding may blame a block
(``culprit``): ldb's hole format cuts that block first.
"""

from __future__ import annotations

import ast
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from tracefix.records import CFG, Trace, Visit
from tracefix.strategies.ldb.evidence import short

MAX_FINDINGS = 4


def block_number(block: int) -> str:
    return f"BLOCK {block}"


@dataclass
class Finding:
    """One sentence of what the trace shows; ``culprit`` is the block it blames, with ``why`` in short."""

    text: str
    culprit: int | None = None
    why: str = ""


def _names(code: str) -> list[str]:
    """Variable names read by a line of code, in order of appearance (no attributes or calls' names)."""
    text = code.strip().rstrip(":")
    for prefix in ("return ", "elif ", "if ", "while "):
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    try:
        tree = ast.parse(text, mode="exec")
    except SyntaxError:
        return []
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    seen: dict[str, None] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and id(node) not in called:
            seen.setdefault(node.id, None)
    return list(seen)


def _history(visits: Sequence[Visit], name: str) -> list[Visit]:
    return [v for v in visits if name in v.changed]


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


def _literal(text: str | None) -> object:
    """The value a safe repr stands for, when it is a plain literal; else None."""
    if text is None:
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


_NON_LITERAL_FLOATS = {"inf": float("inf"), "-inf": float("-inf"), "nan": float("nan")}
"""Safe reprs of floats that ``ast.literal_eval`` does not read."""

_ARTICLES = {"int": "an int", "float": "a float", "str": "a string", "bool": "a bool", "NoneType": "None"}


def _kind(value: object) -> str:
    name = type(value).__name__
    return _ARTICLES.get(name, f"a {name}")


def type_finding(returned: str | None, expected: str | None) -> Finding | None:
    """The returned value and the test's expected value are of different types: said in one sentence.

    ``returned`` is the safe repr of what the call returned, ``expected`` the source of the test's expected
    value; None unless both read as plain literals (``inf``, ``-inf`` and ``nan`` read as floats)."""
    if returned is None or expected is None:
        return None
    got = _NON_LITERAL_FLOATS.get(returned.strip(), _literal(returned))
    want = _literal(expected)
    if (got is None and returned.strip() != "None") or (want is None and expected.strip() != "None"):
        return None
    if type(got) is not type(want):
        said_got = _kind(got) if got is None else f"{_kind(got)} ({short(returned)})"
        said_want = _kind(want) if want is None else f"{_kind(want)} ({short(expected)})"
        if same_value(got, want):
            return Finding(
                f"The function returned {said_got}, but the test expects {said_want}: the value is "
                "right, only its type is wrong.",
                why=f"it returns the right value, but the test expects {_kind(want)}",
            )
        return Finding(f"The function returned {said_got}, but the test expects {said_want}.")
    if isinstance(got, list | tuple) and isinstance(want, list | tuple) and got and want:
        first_got, first_want = got[0], want[0]
        if type(first_got) is not type(first_want):
            return Finding(
                f"The function returned {_kind(got)} of {type(first_got).__name__} elements "
                f"({short(returned)}), but the test expects {type(first_want).__name__} elements "
                f"({short(expected)})."
            )
    return None


def same_value(got: object, want: object) -> bool:
    """``got`` is ``want`` but for its type: a number as a string or the reverse, an int as a float within
    float precision, a list for a tuple (or the reverse) of the same elements, any value whose ``str`` is
    the expected string. Equal numbers of two types are never asked about: ``==`` holds for them."""
    if type(got) is type(want) or got is None or want is None:
        return False
    if isinstance(want, str):
        return str(got) == want
    if isinstance(got, str):
        return (number := _number(got)) is not None and _same_number(number, want)
    if isinstance(got, list | tuple) and isinstance(want, list | tuple):
        return list(got) == list(want)
    return _same_number(got, want)


def _number(text: str) -> float | None:
    try:
        return float(text.strip())
    except (ValueError, OverflowError):
        return None


def _same_number(got: object, want: object) -> bool:
    numbers = (int, float)
    if isinstance(got, bool) or isinstance(want, bool) or not isinstance(got, numbers):
        return False
    if not isinstance(want, numbers):
        return False
    try:
        return math.isclose(float(got), float(want), rel_tol=1e-12)
    except OverflowError:
        return False


def first_difference(actual: object, expected: object) -> int | None:
    """Index of the first element where two lists, tuples or strings of one type differ; None if none."""
    if not isinstance(expected, list | tuple | str) or type(actual) is not type(expected):
        return None
    assert isinstance(actual, list | tuple | str)
    for index, (got, want) in enumerate(zip(actual, expected, strict=False)):
        if got != want:
            return index
    return None if len(actual) == len(expected) else min(len(actual), len(expected))


def _divergence(
    name: str,
    frame: Sequence[Visit],
    actual: object,
    expected: object,
    parameters: Sequence[str],
) -> Finding | None:
    """Which visit put the first wrong element into the returned sequence ``name``, and the locals then."""
    index = first_difference(actual, expected)
    if index is None or not isinstance(actual, list | tuple | str) or index >= len(actual):
        return None  # no difference, or the result is only too short (said by the length)
    assert isinstance(expected, list | tuple | str)
    want = repr(expected[index]) if index < len(expected) else "nothing (the result is too long)"
    got = short(repr(actual[index]))
    head = f"The first wrong element of `{name}` is at index {index}: {got}, where the test expects {short(want)}."
    for visit in frame:
        value = _literal(visit.state.get(name)) if name in visit.changed else None
        if isinstance(value, type(actual)) and len(value) > index and value[index] == actual[index]:
            others = [n for n, v in visit.state.items() if n != name and n not in parameters and len(v) <= 40]
            others = others[:4]
            context = ", ".join(f"{n} = {visit.state[n]}" for n in others)
            run = f"{block_number(visit.block)} on its run {visit.occurrence + 1}"
            text = f"{head} It was put there by {run}" + (f" ({context})." if context else ".")
            why = f"it put {got} at index {index} of `{name}`, where the test expects {short(want)}"
            return Finding(text, visit.block, why)
    return Finding(head)


def _returned_subject(name: str, value: str, statement: str, bare: bool) -> str:
    """How a finding names a variable of the final ``return``: returned itself (``return total``), or read
    by a return that computes from it (``return max(found)``), whose value is not the variable's."""
    if bare:
        return f"`{name}` is returned as {value}"
    return f"`{name}` is {value} when `{short(statement)}` runs"


def _return_findings(
    program_lines: Sequence[str],
    cfg: CFG,
    trace: Trace,
    parameters: Sequence[str],
    expected: str | None,
) -> list[Finding]:
    """Where each variable of the final ``return`` got its value in the outermost call.

    A visit's ``changed`` compares its state with the previous *kept* visit's, so when visits were dropped
    a change shows at the next kept visit: "set once" and "the last change" stay true, counts do not.

    Arguments the call never changed are left out: their values are in the failing test already."""
    outer = [v for v in trace.visits if v.depth == 0]
    last = next((v for v in reversed(outer) if v.exit == "return"), None)
    if last is None:
        return []
    frame = [v for v in outer if v.frame == last.frame]
    lines = [program_lines[n - 1].strip() for n in cfg.block(last.block).lines if 0 < n <= len(program_lines)]
    statement = next((line for line in reversed(lines) if line.startswith("return")), "")
    complete = not trace.truncated and len(trace.visits) == trace.total_visits
    complete = complete and not any(v.state_cut for v in frame)
    out: list[Finding] = []
    for name in _names(statement):
        if name not in last.state:
            continue
        changes = _history(frame, name)
        if name in parameters and all(v is frame[0] for v in changes):
            continue
        bare = statement.strip() == f"return {name}"
        subject = _returned_subject(name, short(last.state[name]), statement, bare)
        if not changes:
            out.append(Finding(f"{subject}: it never changed during the call."))
        elif len(changes) == 1:  # true with dropped visits too: a kept state after a change would show it
            out.append(
                Finding(
                    f"{subject}, the value {block_number(changes[0].block)} gave it; no later block changed it."
                )
            )
        elif complete:
            counts = Counter(block_number(v.block) for v in changes)
            where = ", ".join(f"{place} ({_times(n)})" for place, n in counts.items())
            out.append(Finding(f"{subject}; it changed in {where}."))
        else:  # visits were dropped: a change is seen at the next kept visit, so only the last is sure
            out.append(Finding(f"{subject}; its last change was in {block_number(changes[-1].block)}."))
        if bare and (
            found := _divergence(name, frame, _literal(last.state[name]), _literal(expected), parameters)
        ):
            out.append(found)
    return out


def _exception_findings(program_lines: Sequence[str], trace: Trace) -> list[Finding]:
    """The values read by the line that raised, as they were when it raised."""
    exc = trace.exception
    if exc is None or exc.in_test or exc.line is None or not 0 < exc.line <= len(program_lines):
        return []
    raising = next((v for v in reversed(trace.visits) if v.exception), None)
    code = program_lines[exc.line - 1].strip()
    state = raising.state if raising is not None else {}
    values = [f"{n} = {short(state[n])}" for n in _names(code) if n in state]
    where = f"line {exc.line} (`{code}`)"
    if raising is not None:
        where += f", in {block_number(raising.block)} on its run {raising.occurrence + 1}"
    text = f"{exc.type}: {exc.message}".rstrip(": ")
    sentence = f"{text} was raised at {where}" + (f", with {', '.join(values)}." if values else ".")
    culprit = raising.block if raising is not None else exc.block
    return [Finding(sentence, culprit, f"it raised {text}")]


LOOP_KINDS = frozenset({"for", "async for", "while"})
SHOWN_VALUES = 4
"""At most this many of a loop variable's last distinct values are named."""


def _hang_findings(program_lines: Sequence[str], cfg: CFG, trace: Trace) -> list[Finding]:
    """For a run stopped at the time limit: which loop was still running, how many times its header ran, and
    how the names its header reads moved over the visits kept (first ones and last ones), or where it was
    when no loop ran."""
    if not trace.timeout:
        return []
    loops = [b for b in cfg.blocks if b.kind in LOOP_KINDS and trace.block_counts.get(b.id)]
    if not loops:
        last = trace.visits[-1] if trace.visits else None
        lines = cfg.block(last.block).lines if last is not None else []
        if not lines or not 0 < lines[-1] <= len(program_lines):
            return [Finding("The test did not finish: it was stopped at the time limit.")]
        code = program_lines[lines[-1] - 1].strip()
        return [Finding(f"The test did not finish: it was stopped at line {lines[-1]} (`{code}`).")]
    loop = max(loops, key=lambda b: trace.block_counts[b.id])
    line = min(loop.lines)
    code = program_lines[line - 1].strip() if 0 < line <= len(program_lines) else ""
    runs = trace.block_counts[loop.id]
    visits = [v for v in trace.visits if v.block == loop.id]
    moved = [_movement(name, visits) for name in _loop_names(code)]
    said = "; ".join(m for m in moved if m)
    sentence = (
        f"The test did not finish: the loop at line {line} (`{code}`) ran {runs:,} times before it was stopped"
        + (f"; {said}." if said else ".")
    )
    return [Finding(sentence, loop.id, "the loop never ended")]


def _loop_names(code: str) -> list[str]:
    """The names a loop header reads: a ``while`` condition's, or a ``for`` loop's target and iterable."""
    text = code.strip().rstrip(":")
    for prefix in ("async for ", "for "):
        if text.startswith(prefix):
            target, _, iterable = text[len(prefix) :].partition(" in ")
            return list(dict.fromkeys([*_names(target), *_names(iterable)]))
    return _names(text)


def _movement(name: str, visits: Sequence[Visit]) -> str:
    """How ``name`` moved over ``visits``: "`i` stayed 0", or its last distinct values."""
    values = [v.state[name] for v in visits if name in v.state]
    if not values:
        return ""
    distinct = list(dict.fromkeys(values))
    if len(distinct) == 1:
        return f"`{name}` stayed {short(values[0])}"
    last = [short(value) for value in distinct[-SHOWN_VALUES:]]
    return f"`{name}` went {'... ' if len(distinct) > SHOWN_VALUES else ''}{', '.join(last)}"


def findings(
    program: str,
    cfg: CFG,
    trace: Trace,
    parameters: Sequence[str] = (),
    expected: str | None = None,
) -> list[Finding]:
    """A few sentences that tie the wrong result to the blocks that produced it, read off the trace.

    A run that did not finish: the loop still running and how its variables moved. An exception: the
    values the raising line read. A wrong return value: where each variable of the
    ``return`` got its value (``parameters``, the function's, are skipped when the call left them alone),
    and, given the test's ``expected`` value, which run of which block put the first wrong element into a
    returned list or string.
    """
    lines = program.splitlines()
    found = (
        _hang_findings(lines, cfg, trace)
        or _exception_findings(lines, trace)
        or _return_findings(lines, cfg, trace, parameters, expected)
    )
    return found[:MAX_FINDINGS]
