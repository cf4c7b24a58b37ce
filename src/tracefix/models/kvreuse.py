"""Reuse of the KV cache across calls, bit-identical to a cold evaluation.

Consecutive calls of one session share long prompt prefixes (the system prompt, the task, the program up to the
place the strategy changed; a sample drawn again sends the same prompt). Reading those tokens again is most of
a call's prompt time. llama.cpp keeps the previous call's KV cache, so the shared prefix need not be read
again, but reusing it naively changes the arithmetic (bench/results/models.md): the CPU backend computes a
batch of fewer than 8 tokens with another kernel than a larger one, and its matrix kernels work on tiles of
rows anchored at the batch's first row. A row's values are the same in two evaluations only when it was
computed by the same kernel at the same place in its tile, and a reply then depends on what ran before.

So the reused prefix is chosen for exactness (measured: ``bench/prefix_reuse.py``, tested:
``tests/models/test_kvreuse.py``):

- it ends at a multiple of :data:`ALIGN` tokens (every tile keeps its anchor) and at least :data:`MIN_SUFFIX`
  tokens before the prompt's end (the rest is one large batch, the kernel a cold evaluation uses);
- it comes only from the previous *prompt*, never from generated tokens (those were evaluated one at a time);
- the suffix is read in batches that end where a cold evaluation's batches end (multiples of ``n_batch``
  counted from the first token), so the last, possibly small, batch is the same batch.

Every logit is then the one a cold evaluation gives, and the same messages give the same reply whatever ran
before.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

from llama_cpp import Llama

ALIGN = 32
"""A reused prefix ends at a multiple of this many tokens (a multiple of the kernels' row tiles, a divisor of
``n_batch``)."""

MIN_SUFFIX = 32
"""At least this many prompt tokens are read again (the batch kernel, not the small-batch one)."""


def reusable_prefix(cached: Sequence[int], tokens: Sequence[int]) -> int:
    """How many leading ``tokens`` to take from the KV cache holding the prompt ``cached``, exactly."""
    common = 0
    for old, new in zip(cached, tokens, strict=False):
        if old != new:
            break
        common += 1
    keep = min(common, len(tokens) - MIN_SUFFIX)
    return max(0, keep - keep % ALIGN)


def batch_ends(start: int, count: int, n_batch: int) -> list[int]:
    """Where the batches reading tokens ``start .. start + count`` end: at the multiples of ``n_batch`` a cold
    evaluation from token 0 also ends at, and at the last token."""
    ends = []
    position = start
    while position < start + count:
        position = min(start + count, (position // n_batch + 1) * n_batch)
        ends.append(position)
    return ends


class PrefixReusingLlama(Llama):
    """``Llama`` that starts each prompt from the exactly reusable prefix of the previous one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._prompt: list[int] = []
        """The previous prompt, once it has been read in full (its KV rows are in the cache)."""
        self.reused_tokens = 0
        """How many prompt tokens the last call took from the cache."""

    def eval(self, tokens: Sequence[int]) -> None:
        start = int(self.n_tokens)
        done = 0
        for end in batch_ends(start, len(tokens), int(self.n_batch)):
            super().eval(tokens[done : end - start])
            done = end - start

    def generate(
        self, tokens: Sequence[int], *args: Any, **kwargs: Any
    ) -> Generator[int, Sequence[int] | None, None]:
        prompt = list(tokens)
        keep = reusable_prefix(self._prompt[: int(self.n_tokens)], prompt)
        self._prompt = []  # until this prompt has been read
        self.reused_tokens = keep
        # Llama.generate matches the cached ids against the prompt, so it reuses exactly `keep` (0: it resets)
        self.n_tokens = keep
        for count, token in enumerate(super().generate(prompt, *args, **kwargs)):
            if count == 0:
                self._prompt = prompt
            yield token
