"""A scripted stand-in for a model, for tests of the code around models (strategies, reports).

Its usage figures are synthetic (whitespace-separated words), not tokens of any real tokenizer: never
use it to measure anything.
"""

from __future__ import annotations

import threading

from tracefix.models.base import ModelError
from tracefix.records import GenParams, Message, Reply, Usage


class ScriptExhausted(ModelError):
    """The scripted model was asked for more replies than its script holds."""


class ScriptedModel:
    """Returns the scripted replies in order and records every request it was sent."""

    max_concurrency = 1
    context_size: int | None = None

    def __init__(self, replies: list[str], *, name: str = "scripted") -> None:
        self.name = name
        self.identity = f"scripted:{name}"
        self.replies = list(replies)
        self.requests: list[tuple[list[Message], GenParams]] = []
        self._lock = threading.Lock()

    def complete(self, messages: list[Message], params: GenParams) -> Reply:
        """The next scripted reply; raises :class:`ScriptExhausted` when the script has run out."""
        with self._lock:
            index = len(self.requests)
            self.requests.append((list(messages), params))
        if index >= len(self.replies):
            count = len(self.replies)
            raise ScriptExhausted(
                f"scripted model {self.name!r} has {count} replies; asked for reply {index + 1}"
            )
        text = self.replies[index]
        prompt_words = sum(len(m.content.split()) for m in messages)
        usage = Usage(prompt_tokens=prompt_words, completion_tokens=len(text.split()))
        return Reply(text=text, usage=usage, model=self.name, finish_reason="stop")

    @property
    def remaining(self) -> int:
        """Scripted replies not yet returned."""
        with self._lock:
            return max(0, len(self.replies) - len(self.requests))

    def close(self) -> None:
        """Nothing to release."""
