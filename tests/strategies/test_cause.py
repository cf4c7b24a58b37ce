"""What was wrong, said after a fix: from the trace's evidence and the diff, worded by one short model call
that must name something of the evidence, else the evidence is said as it is."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tracefix import api
from tracefix.execution.sandbox import Executor
from tracefix.models.fake import ScriptedModel
from tracefix.records import Session
from tracefix.strategies.cause import changed_lines, evidence, record
from tracefix.strategies.tests import parse_tests_file

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SOURCE = (EXAMPLES / "sum_evens.py").read_text()
FIXED = SOURCE.replace("range(1, len(numbers))", "range(len(numbers))")


@pytest.fixture(scope="module")
def fixed() -> Iterator[Session]:
    tests = parse_tests_file((EXAMPLES / "sum_evens_tests.txt").read_text())
    with Executor() as executor:
        yield api.debug(
            SOURCE, "sum_evens", tests, model=ScriptedModel([f"```python\n{FIXED}```"]), executor=executor
        )


def test_the_evidence_is_the_failure_the_findings_by_line_and_the_change(fixed: Session) -> None:
    found = evidence(fixed)
    assert found is not None
    assert found.failure == "sum_evens([2, 4, 6]) returned 10, but the test expects 12."
    assert found.findings[0].startswith("`total` is returned as 10; it changed in line ")
    assert "BLOCK" not in " ".join(found.findings)
    (change,) = found.changes
    assert change.old == ["    for i in range(1, len(numbers)):"] and change.new == [
        "    for i in range(len(numbers)):"
    ]
    assert {"total", "range", "numbers"} <= found.names


def test_a_grounded_reply_is_kept_to_two_sentences_and_counted(fixed: Session) -> None:
    reply = "The loop skipped index 0, so `total` missed 2. Starting at 0 adds it. More words. And more."
    model = ScriptedModel([reply])
    said = record(fixed, model)
    assert said.cause == "The loop skipped index 0, so `total` missed 2. Starting at 0 adds it."
    assert said.cause_by == "model" and said.calls == fixed.calls + 1
    (messages, params) = model.requests[0]
    assert params.max_tokens == 160 and params.temperature == 0.0
    assert "```diff" in messages[0].content and "returned 10, but the test expects 12" in messages[0].content


def test_a_reply_that_names_nothing_of_the_evidence_gives_the_evidence_as_it_is(fixed: Session) -> None:
    said = record(fixed, ScriptedModel(["It was a bug and now it is not."]))
    assert said.cause_by == "trace" and said.calls == fixed.calls + 1
    assert said.cause is not None and said.cause.startswith("sum_evens([2, 4, 6]) returned 10")
    assert "The fix changes line 8: `for i in range(1, len(numbers)):` became" in said.cause


def test_no_model_reply_gives_the_evidence_and_no_call(fixed: Session) -> None:
    said = record(fixed, ScriptedModel([]))  # the script is exhausted: a model error
    assert said.cause_by == "trace" and said.calls == fixed.calls


def test_nothing_is_said_of_a_session_that_fixed_nothing(fixed: Session) -> None:
    unfixed = fixed.model_copy(update={"outcome": "failed"})
    assert record(unfixed, ScriptedModel(["x"])) is unfixed


def test_changed_lines_say_additions_and_removals() -> None:
    (added,) = changed_lines("a\nb\n", "a\nc\nb\n")
    assert (added.line, added.old, added.new) == (2, [], ["c"])
