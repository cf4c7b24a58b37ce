"""The embedded backend, for real: llama.cpp running the 0.5B model (and once the default 1.5B)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tracefix.models.base import ContextOverflow, Model, ModelError
from tracefix.models.cache import CachedModel
from tracefix.models.llama import LlamaModel
from tracefix.models.resolve import load_model
from tracefix.records import GenParams, Message

pytestmark = [pytest.mark.model, pytest.mark.slow]

SYSTEM = Message(role="system", content="You are a concise Python assistant.")
BUGGY = "def add(a, b):\n    return a - b\n"


def ask(text: str) -> list[Message]:
    return [SYSTEM, Message(role="user", content=text)]


def test_reply_with_llama_cpp_usage(small_model: LlamaModel) -> None:
    assert isinstance(small_model, Model) and small_model.max_concurrency == 1
    reply = small_model.complete(ask("Explain what a Python list is."), GenParams(max_tokens=6))
    assert reply.text.strip() and reply.latency_s > 0
    assert reply.usage.completion_tokens == 6 and reply.finish_reason == "length"
    assert reply.usage.prompt_tokens > len(SYSTEM.content.split()) + 6


def test_same_messages_give_the_same_reply_whatever_ran_before(small_model: LlamaModel) -> None:
    question = ask(f"What is wrong with this function?\n```python\n{BUGGY}```")
    params = GenParams(max_tokens=24)
    first = small_model.complete(question, params).text
    small_model.complete(ask("Name three sorting algorithms."), params)  # leaves other state behind
    assert small_model.complete(question, params).text == first
    assert small_model.complete(question, params).text == first


def test_stop_sequences_end_the_reply(small_model: LlamaModel) -> None:
    question = ask("Write the numbers from 1 to 10 separated by commas, nothing else.")
    full = small_model.complete(question, GenParams(max_tokens=40)).text
    stopped = small_model.complete(question, GenParams(max_tokens=40, stop=["5"])).text
    assert "5" in full and "5" not in stopped
    assert full.startswith(stopped)


def test_end_of_stops_the_reply_where_its_function_ends(small_model: LlamaModel) -> None:
    question = ask(
        "Write `def area(r):` returning a circle's area, then `def perimeter(r):`, in one ```python block."
    )
    full = small_model.complete(question, GenParams(max_tokens=200))
    ended = small_model.complete(question, GenParams(max_tokens=200, end_of="area"))
    assert "def perimeter" in full.text and "def perimeter" not in ended.text
    assert ended.text.endswith("```") and full.text.startswith(ended.text[: -len("```")].rstrip("\n"))
    assert ended.usage.completion_tokens < full.usage.completion_tokens and ended.finish_reason == "stop"


def test_context_overflow_reports_prompt_size_and_context(small_gguf: Path) -> None:
    tiny = LlamaModel(small_gguf, n_ctx=256)
    try:
        with pytest.raises(ContextOverflow) as caught:
            tiny.complete(ask("word " * 400), GenParams(max_tokens=4))
    finally:
        tiny.close()
    assert caught.value.context_size == 256
    assert caught.value.prompt_tokens is not None and caught.value.prompt_tokens > 256


def test_prefix_reuse_makes_the_next_turn_of_a_conversation_cheaper(small_gguf: Path) -> None:
    """Counted in tokens llama.cpp evaluates (wall time on a shared machine is too noisy to assert on)."""
    program = "\n".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(20))
    turn1 = ask(f"Here is a module:\n```python\n{program}```\nWhich function adds 7?")
    params = GenParams(max_tokens=4)
    evaluated = {}
    for reuse in (False, True):
        model = LlamaModel(small_gguf, n_ctx=2048, prefix_reuse=reuse)
        try:
            first = model.complete(turn1, params)
            turn2 = [
                *turn1,
                Message(role="assistant", content=first.text),
                Message(role="user", content="Why?"),
            ]
            evaluated[reuse] = 0
            original = model._llm.eval

            def counting_eval(tokens: list[int], original: Any = original, reuse: bool = reuse) -> None:
                evaluated[reuse] += len(tokens)
                original(tokens)

            model._llm.eval = counting_eval
            second = model.complete(turn2, params)
        finally:
            model.close()
        assert second.usage.prompt_tokens > 300  # usage reports the whole prompt either way
    assert evaluated[True] < 0.3 * evaluated[False], evaluated


def test_load_model_resolves_a_named_model_and_caches_replies(
    small_gguf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACEFIX_CACHE", str(tmp_path / "replies.sqlite3"))
    model = load_model("local:qwen2.5-coder-0.5b", n_ctx=1024)
    try:
        assert isinstance(model, CachedModel)
        assert model.name == "local:qwen2.5-coder-0.5b"
        assert (
            model.identity == "gguf-sha256:1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
        )
        first = model.complete(ask("Say yes."), GenParams(max_tokens=3))
        again = model.complete(ask("Say yes."), GenParams(max_tokens=3))
    finally:
        model.close()
    assert (first.cached, again.cached, again.text) == (False, True, first.text)


def test_the_default_model_fixes_an_obvious_bug(large_gguf: Path) -> None:
    model = LlamaModel(large_gguf, name="local:qwen2.5-coder-1.5b", n_ctx=1024)
    try:
        reply = model.complete(
            ask(
                f"`add(2, 3)` returns -1 instead of 5. Reply with only the fixed function.\n```python\n{BUGGY}```"
            ),
            GenParams(max_tokens=40),
        )
    finally:
        model.close()
    assert "a + b" in reply.text


def test_a_file_that_is_not_a_model_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"not a model at all")
    with pytest.raises(ModelError, match=r"llama.cpp cannot load .*bogus.gguf as a GGUF model"):
        LlamaModel(bogus)


def test_prefix_reuse_is_on_unless_the_environment_turns_it_off(
    small_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRACEFIX_PREFIX_REUSE", raising=False)
    default = load_model("local:qwen2.5-coder-0.5b", cache=False, n_ctx=512)
    monkeypatch.setenv("TRACEFIX_PREFIX_REUSE", "0")
    cold = load_model("local:qwen2.5-coder-0.5b", cache=False, n_ctx=512)
    try:
        assert isinstance(default, LlamaModel) and isinstance(cold, LlamaModel)
        assert (default.prefix_reuse, cold.prefix_reuse) == (True, False)
    finally:
        default.close()
        cold.close()
