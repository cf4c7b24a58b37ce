"""The hierarchical strategy and the mgdebugger baseline on the real embedded model (bounded: one iteration)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tracefix import api
from tracefix.models.base import Model

pytestmark = [pytest.mark.model, pytest.mark.slow]

PROGRAM = '''
def is_vowel(ch):
    return ch in "aeiou"


def count_vowels(text):
    """Count the vowels (a, e, i, o, u, lower or upper case) in text."""
    return sum(1 for ch in text if is_vowel(ch))
'''
TESTS = ['assert count_vowels("hello") == 2', 'assert count_vowels("HELLO") == 2']


@pytest.fixture(scope="module")
def model() -> Iterator[Model]:
    from tracefix.models.resolve import load_model

    loaded = load_model("local:qwen2.5-coder-1.5b", cache=False)
    yield loaded
    loaded.close()


def test_hierarchical_judges_the_helpers_real_calls_on_the_real_model(model: Model) -> None:
    session = api.debug(PROGRAM, "count_vowels", TESTS, model=model, strategy="hierarchical", max_iters=1)
    (attempt,) = session.attempts
    record = attempt.hierarchy
    assert record is not None and record.order == ["is_vowel", "count_vowels"]
    assert record.calls is not None and record.calls.counts == {"count_vowels": 1, "is_vowel": 5}
    (check,) = record.checked
    assert check.function == "is_vowel" and check.recorded == 5
    assert [c.shown for c in check.checks][:2] == [
        "is_vowel('H') returned False",
        "is_vowel('E') returned False",
    ]
    assert all(c.samples == 3 for c in check.checks)
    assert any(c.answers for c in check.checks), "no judging reply could be read"
    assert record.debugged in ("is_vowel", "count_vowels")
    assert session.outcome in ("fixed", "failed")  # what the 1.5B model concludes varies; the wiring may not


def test_mgdebugger_runs_its_steps_on_the_real_model(model: Model) -> None:
    session = api.debug(
        PROGRAM, "count_vowels", TESTS, model=model, strategy="mgdebugger[samples=1,retries=1]", max_iters=1
    )
    (attempt,) = session.attempts
    record = attempt.hierarchy
    assert record is not None and record.decomposition is not None
    assert record.order and record.order[-1] == "count_vowels"
    assert [c.function for c in record.checked] == record.order
    assert session.calls == len(attempt.replies) >= 1 + len(record.order)
    assert session.outcome in ("fixed", "failed")
