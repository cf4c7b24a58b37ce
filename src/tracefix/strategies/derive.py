"""Tests derived from the task description by the model, kept only where independent samples agree.

A program that passes every visible test cannot be debugged from them. The model may still know what the
description asks on other inputs: it is asked several times (temperature > 0, a seed per sample) for new
``assert f(...) == expected`` lines, written from the description and the visible tests alone (never the
program, so the expected values are not read off its behaviour). A call is kept as a test only when at least
``agree`` samples give it the same expected value and no other value is given as often. Calls the visible
tests already make are left out: the visible tests speak for them.

No strategy uses these tests yet: measured with the embedded 1.5B model (``bench/probe_derive.py``,
``bench/results/probe_derive-*.md``) they mislead more often than they expose a bug. They are kept for
stronger models and for the probe.
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tracefix.records import GenParams, Message, Task, Usage
from tracefix.strategies.extract import code_blocks

if TYPE_CHECKING:
    from tracefix.models.base import Model

SYSTEM = "You are an expert Python programmer who writes precise unit tests."

TEMPERATURE = 0.7
MAX_TOKENS = 384
OPEN = "```python\n"
"""The reply's first words on a model that continues a reply: the asserts come at once, and the reply ends
at the closing fence instead of running on into explanations."""


@dataclass
class Derived:
    """What derivation gave: the agreed tests, every sample's parsed asserts, and what the calls cost."""

    tests: list[str]
    samples: list[dict[str, str]] = field(default_factory=list)
    """Per sample: call source -> expected-value source, as parsed."""
    calls: int = 0
    usage: Usage = field(default_factory=Usage)


def derive_messages(task: Task, count: int = 5) -> list[Message]:
    """The request for new tests: the description and the visible tests, never a program."""
    known = "\n".join(task.visible_tests)
    user = (
        f"{task.description.rstrip()}\n\n"
        f"These tests of `{task.entry_point}` are known:\n```python\n{known}\n```\n\n"
        f"Write {count} more tests of `{task.entry_point}` on other inputs, in the same form "
        f"(`assert {task.entry_point}(...) == expected`), one per line, in one ```python block. "
        "Work out each expected value from the task description step by step in your head; "
        "choose inputs whose result you are sure of."
    )
    return [Message(role="system", content=SYSTEM), Message(role="user", content=user)]


def parse_asserts(text: str, entry_point: str) -> dict[str, str]:
    """The ``assert entry(...) == expected`` lines of a reply: call source -> expected source, first wins.

    ``assert entry(...)`` and ``assert not entry(...)`` read as ``== True`` and ``== False``; expected
    values are normalised (``ast.unparse``) so equal literals compare equal as text. Anything else (other
    comparisons, helper code, prose) is skipped."""
    found: dict[str, str] = {}
    for chunk in code_blocks(text) or [text]:
        for line in chunk.splitlines():
            pair = _assert_pair(line.strip(), entry_point)
            if pair is not None and pair[0] not in found:
                found[pair[0]] = pair[1]
    return found


def _assert_pair(line: str, entry_point: str) -> tuple[str, str] | None:
    if not line.startswith("assert"):
        return None
    try:
        tree = ast.parse(line)
    except SyntaxError:
        return None
    node = tree.body[0] if len(tree.body) == 1 else None
    if not isinstance(node, ast.Assert):
        return None
    test = node.test
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq):
        call, expected = test.left, test.comparators[0]
    elif isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        call, expected = test.operand, ast.Constant(False)
    else:
        call, expected = test, ast.Constant(True)
    if not _calls(call, entry_point) or _mentions(expected, entry_point):
        return None
    return ast.unparse(call), ast.unparse(expected)


def _calls(node: ast.expr, entry_point: str) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == entry_point


def _mentions(node: ast.expr, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


def agreed_tests(
    samples: list[dict[str, str]], *, agree: int = 2, exclude: list[str] | None = None
) -> list[str]:
    """The asserts whose expected value at least ``agree`` samples give, more often than any other value.

    ``exclude`` holds tests (assert lines) whose calls are already tested. Order: first appearance."""
    known = _tested_calls(exclude or [])
    values: dict[str, Counter[str]] = {}
    for sample in samples:
        for call, expected in sample.items():
            values.setdefault(call, Counter())[expected] += 1
    tests = []
    for call, counts in values.items():
        ranked = counts.most_common(2)
        top, times = ranked[0]
        tied = len(ranked) > 1 and ranked[1][1] == times
        if times >= agree and not tied and call not in known:
            tests.append(f"assert {call} == {top}")
    return tests


def _tested_calls(tests: list[str]) -> set[str]:
    calls: set[str] = set()
    for test in tests:
        try:
            tree = ast.parse(test)
        except SyntaxError:
            continue
        calls.update(ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.Call))
    return calls


def derive_tests(model: Model, task: Task, *, samples: int = 3, agree: int = 2, count: int = 5) -> Derived:
    """Ask ``model`` ``samples`` times for new tests of ``task`` and keep the agreed ones."""
    messages = derive_messages(task, count)
    led = bool(getattr(model, "continues_assistant", False))
    if led:
        messages.append(Message(role="assistant", content=OPEN))
    derived = Derived(tests=[])
    for index in range(samples):
        params = GenParams(
            temperature=TEMPERATURE, max_tokens=MAX_TOKENS, seed=index, stop=["```"] if led else []
        )
        reply = model.complete(messages, params)
        derived.calls += 1
        derived.usage = derived.usage + reply.usage
        text = f"{OPEN}{reply.text}\n```" if led else reply.text
        derived.samples.append(parse_asserts(text, task.entry_point))
    derived.tests = agreed_tests(derived.samples, agree=agree, exclude=task.visible_tests)
    return derived
