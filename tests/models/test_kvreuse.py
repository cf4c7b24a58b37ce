"""Prefix reuse across calls: which prefix is reused, and that it changes no logit (the real 0.5B model)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tracefix.models.kvreuse import ALIGN, MIN_SUFFIX, PrefixReusingLlama, batch_ends, reusable_prefix
from tracefix.models.llama import LlamaModel
from tracefix.records import GenParams, Message


def test_the_reused_prefix_is_aligned_and_leaves_a_large_suffix() -> None:
    cached = list(range(1000))
    assert reusable_prefix(cached, list(range(1000))) == (1000 - MIN_SUFFIX) // ALIGN * ALIGN
    assert reusable_prefix(cached, [*range(100), -1, *range(500)]) == 100 // ALIGN * ALIGN
    assert reusable_prefix(cached, [*range(ALIGN - 1), -1, *range(500)]) == 0
    assert reusable_prefix([], list(range(500))) == 0
    assert reusable_prefix(cached, list(range(MIN_SUFFIX + 5))) == 0
    assert all(reusable_prefix(cached, list(range(n))) % ALIGN == 0 for n in range(0, 300, 7))


def test_batches_end_where_a_cold_evaluation_ends_them() -> None:
    assert batch_ends(0, 1100, 512) == [512, 1024, 1100]
    assert batch_ends(960, 140, 512) == [1024, 1100]
    assert batch_ends(1024, 6, 512) == [1030]
    assert batch_ends(100, 1, 512) == [101]
    assert batch_ends(5, 0, 512) == []


def _prompt(ending: str) -> list[Message]:
    program = "".join(f"def f{i}(x):\n    return x * {i} + {i % 3}\n\n" for i in range(30))
    return [
        Message(role="system", content="You are an expert Python programmer."),
        Message(role="user", content=f"```python\n{program}```\n{ending}"),
    ]


def _first_logits(llm: PrefixReusingLlama, tokens: list[int]) -> np.ndarray:
    """Read a prompt the way a call does and return the logits of its last token."""
    generator = llm.generate(tokens, temp=0.0)
    next(generator)
    generator.close()
    logits = llm._ctx.get_logits()  # type: ignore[no-untyped-call]
    return np.ctypeslib.as_array(logits, shape=(llm.n_vocab(),)).copy()


@pytest.mark.model
@pytest.mark.slow
def test_a_reused_prefix_changes_no_logit_and_no_reply(small_gguf: Path) -> None:
    cold = LlamaModel(small_gguf, n_ctx=2048, prefix_reuse=False)
    warm = LlamaModel(small_gguf, n_ctx=2048)
    try:
        first = _prompt("Which function returns the largest value for x = 2?")
        second = _prompt("Which function of these has a bug? Say why in one sentence.")
        params = GenParams(max_tokens=32)
        for messages in (first, second, first):
            expected = cold.complete(messages, params).text
            assert warm.complete(messages, params).text == expected
        llm = warm._llm
        assert isinstance(llm, PrefixReusingLlama) and llm.reused_tokens > 200

        def tokens(messages: list[Message]) -> list[int]:
            return llm.tokenize(messages[1].content.encode(), add_bos=False)

        cold._llm.reset()
        reference = _first_logits(cold._llm, tokens(second))
        assert cold._llm.reused_tokens == 0
        _first_logits(llm, tokens(first))
        reused = _first_logits(llm, tokens(second))
        assert llm.reused_tokens > 200
        assert np.array_equal(reused, reference)
    finally:
        cold.close()
        warm.close()
