"""The shipped buggy examples, debugged by ldb on the real embedded model (no response cache)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tracefix import api
from tracefix.cli.common import read_tests
from tracefix.models.base import Model

EXAMPLES = Path(__file__).parents[2] / "examples"
# The three kinds of bug issue 5 names; longest_run (a missing final update) is harder for the 1.5B model:
# bench/examples.py records how each strategy does on all four.
NAMES = ["sum_evens", "count_positives", "product_of_odds"]

pytestmark = [pytest.mark.model, pytest.mark.slow]


@pytest.fixture(scope="module")
def model() -> Iterator[Model]:
    from tracefix.models.resolve import load_model

    loaded = load_model("local:qwen2.5-coder-1.5b", cache=False)
    yield loaded
    loaded.close()


@pytest.mark.parametrize("name", NAMES)
def test_ldb_fixes_the_shipped_example(model: Model, name: str) -> None:
    source = (EXAMPLES / f"{name}.py").read_text()
    tests = read_tests((), EXAMPLES / f"{name}_tests.txt")
    session = api.debug(source, name, tests, model=model, strategy="ldb", max_iters=3)
    assert session.outcome == "fixed", session.final_program
    assert all(r.passed for r in session.attempts[-1].test_results)
    assert session.attempts[0].trace is not None and session.attempts[0].trace.visits


def test_ldb_with_hints_and_a_led_reply_on_the_real_model(model: Model) -> None:
    source = (EXAMPLES / "sum_evens.py").read_text()
    tests = read_tests((), EXAMPLES / "sum_evens_tests.txt")
    session = api.debug(
        source,
        "sum_evens",
        tests,
        model=model,
        strategy="ldb[format=focused,hints=on,prefill=on]",
        max_iters=3,
    )
    assert session.strategy == "ldb[format=focused,hints=on,prefill=on]"
    first = session.attempts[0]
    assert "What the trace shows:" in first.messages[-1].content
    assert first.replies[0].text.startswith("WRONG BLOCK:") and first.verdict_parse == "format"
    assert first.verdicts and not first.verdicts[0].correct
    assert session.outcome == "fixed", session.final_program


def test_hole_naming_blocks_by_code_with_recut_on_the_real_model(model: Model) -> None:
    source = (EXAMPLES / "count_positives.py").read_text()
    tests = read_tests((), EXAMPLES / "count_positives_tests.txt")
    spec = "ldb[cite=code,format=hole,recut=on]"
    session = api.debug(source, "count_positives", tests, model=model, strategy=spec, max_iters=3)
    assert session.strategy == spec
    first = session.attempts[0]
    prompt = first.messages[1].content
    assert "# TODO: the code that was here is wrong" in prompt and "BLOCK" not in prompt
    assert first.verdict_parse == "trace" and [v.block for v in first.verdicts] == first.shown_blocks
    assert session.outcome == "fixed", session.final_program
