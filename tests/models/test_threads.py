"""How many threads the embedded model uses."""

from __future__ import annotations

import pytest

from tracefix.models.base import ModelError
from tracefix.models.llama import cpu_threads, default_threads


def test_every_core_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRACEFIX_THREADS", raising=False)
    assert default_threads() == cpu_threads() >= 1


def test_the_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACEFIX_THREADS", "1")
    assert default_threads() == 1


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_a_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("TRACEFIX_THREADS", value)
    with pytest.raises(ModelError, match="TRACEFIX_THREADS must be a positive integer"):
        default_threads()
