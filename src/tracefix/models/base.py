"""The one interface every model backend implements, and the errors backends raise.

A backend turns chat messages and generation parameters into a :class:`~tracefix.records.Reply` with the
exact token usage the backend reported (never an estimate) and the measured latency. Callers depend on
:class:`Model` only; which backend answers is decided once, by :func:`tracefix.models.resolve.load_model`.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from tracefix.records import GenParams, Message, Reply

__all__ = [
    "ContextOverflow",
    "GenParams",
    "MalformedReply",
    "Message",
    "Model",
    "ModelError",
    "ModelTimeout",
    "Reply",
    "ServerUnavailable",
]


@runtime_checkable
class Model(Protocol):
    """A chat model: messages and parameters in, reply text with exact usage out."""

    # Read-only properties, so a backend may use plain attributes or properties.
    @property
    def name(self) -> str:
        """Short human-readable name, e.g. ``local:qwen2.5-coder-1.5b`` or ``openai:gpt-4o-mini``."""
        ...

    @property
    def identity(self) -> str:
        """What makes two replies interchangeable, for cache keys: a GGUF's sha256, or server URL + model."""
        ...

    @property
    def max_concurrency(self) -> int:
        """How many :meth:`complete` calls may usefully run at once (1 for an in-process model)."""
        ...

    @property
    def context_size(self) -> int | None:
        """The context window in tokens when the backend knows it, else None."""
        ...

    def complete(self, messages: list[Message], params: GenParams) -> Reply:
        """Generate one reply to ``messages``. Raises :class:`ModelError` subclasses on failure."""
        ...

    def close(self) -> None:
        """Release the backend's resources (model memory, HTTP connections). Idempotent."""
        ...


class ModelError(Exception):
    """Base of every error a model backend raises; the message says what to change."""


class ServerUnavailable(ModelError):
    """The model server could not be reached, or answered with an error that is not the request's fault."""


class ModelTimeout(ModelError):
    """The backend did not answer within the configured timeout."""


class ContextOverflow(ModelError):
    """The prompt (plus the tokens asked for) does not fit in the model's context window."""

    def __init__(self, prompt_tokens: int | None, context_size: int | None, detail: str = "") -> None:
        self.prompt_tokens = prompt_tokens
        self.context_size = context_size
        size = "?" if prompt_tokens is None else str(prompt_tokens)
        window = "?" if context_size is None else str(context_size)
        message = f"prompt of {size} tokens does not fit the model's context of {window} tokens"
        if detail:
            message += f" ({detail})"
        super().__init__(message + "; shorten the prompt or lower max_tokens")


class MalformedReply(ModelError):
    """The backend answered, but not with a usable reply (no choices, no text, broken JSON)."""
