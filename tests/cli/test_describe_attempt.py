"""The lines ``tracefix debug`` prints for each iteration."""

from __future__ import annotations

from tracefix.cli.common import describe_attempt
from tracefix.records import Attempt, TestResult, Verdict


def test_a_cut_block_and_a_quick_fix_are_told_apart() -> None:
    cut = Attempt(
        iteration=0,
        verdicts=[Verdict(block=2, correct=False, explanation="it returned 0")],
        verdict_parse="trace",
        program="x",
        test_results=[TestResult(test="t", passed=False)],
    )
    lines = describe_attempt(cut)
    assert lines[:3] == [
        "iteration 1:",
        "  block 2 blamed by the trace, cut out and rewritten: it returned 0",
        "  0/1 visible tests pass",
    ]
    fixed = Attempt(
        iteration=1, program="y", note="added `import re`", test_results=[TestResult(test="t", passed=True)]
    )
    assert describe_attempt(fixed)[1:3] == [
        "  quick fix, no model call: added `import re`",
        "  1/1 visible tests pass",
    ]
    assert describe_attempt(Attempt(iteration=2, failure="no code"))[1] == "  no new program: no code"
