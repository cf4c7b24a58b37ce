"""A backend for any server that speaks the OpenAI chat-completions API.

OpenAI itself, vLLM, SGLang, Ollama and the llama.cpp servers all do. The official ``openai`` SDK does the
HTTP; this module decides what each failure means for the user, and retries (with exponential backoff)
only what may pass on its own: a refused connection, a timeout, HTTP 408/409/429 and 5xx. A request the
server rejects (bad model name, context overflow, wrong key) fails at once with a message naming the fix.
Many requests may be in flight at once; the client is thread-safe and a semaphore bounds the concurrency.
"""

from __future__ import annotations

import os
import re
import threading
import time
from typing import Any

import openai

from tracefix.models.base import (
    ContextOverflow,
    MalformedReply,
    ModelError,
    ModelTimeout,
    ServerUnavailable,
)
from tracefix.records import GenParams, Message, Reply, Usage

OPENAI_URL = "https://api.openai.com/v1"
TRANSIENT_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})

# How servers word a context overflow. OpenAI: "maximum context length is 128000 tokens. However, your
# messages resulted in 130000 tokens"; vLLM and llama-cpp-python: "... However, you requested 3000 tokens
# (2500 in the messages, 500 in the completion)"; llama.cpp's C++ server: "exceeds the available context
# size", with n_prompt_tokens and n_ctx as fields of the error.
_OVERFLOW = re.compile(r"maximum context length|exceeds? (?:the available )?context", re.IGNORECASE)
_CTX = re.compile(r"maximum context length is (\d+)|context window of (\d+)")
_PROMPT = re.compile(r"(\d+) in the messages|resulted in (\d+) tokens|Requested tokens \((\d+)\)")


class OpenAICompatModel:
    """Chat completions from an OpenAI-compatible server."""

    def __init__(
        self,
        base_url: str,
        model: str | None = None,
        *,
        api_key: str | None = None,
        name: str | None = None,
        timeout_s: float = 600.0,
        max_concurrency: int = 8,
        retries: int = 2,
        backoff_s: float = 0.5,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._model = model
        self._name = name
        self.max_concurrency = max_concurrency
        self.context_size: int | None = None
        self.retries = retries
        self.backoff_s = backoff_s
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self._model_lock = threading.Lock()
        # The SDK's own retries are off: this class decides what is transient.
        self._client = openai.OpenAI(
            base_url=self.base_url,
            api_key=api_key or os.environ.get("TRACEFIX_API_KEY") or "not-needed",
            timeout=timeout_s,
            max_retries=0,
        )

    @classmethod
    def for_openai(cls, model: str, *, timeout_s: float = 600.0) -> OpenAICompatModel:
        """The OpenAI API with the key from ``OPENAI_API_KEY``."""
        key = os.environ.get("OPENAI_API_KEY")
        if not key:
            raise ModelError(f"openai:{model} needs an API key: set the OPENAI_API_KEY environment variable")
        base = os.environ.get("OPENAI_BASE_URL", OPENAI_URL)
        return cls(base, model, api_key=key, name=f"openai:{model}", timeout_s=timeout_s)

    @property
    def model(self) -> str:
        """The served model name; asked of the server (``/models``) when the spec did not give one."""
        with self._model_lock:
            if self._model is None:
                listing = self._call(lambda: self._client.models.list())
                ids = [entry.id for entry in listing.data]
                if not ids:
                    raise MalformedReply(f"{self.base_url}/models lists no model; name one with #model")
                self._model = ids[0]
            return self._model

    @property
    def name(self) -> str:
        """``openai:MODEL`` or ``openai-compatible:URL#MODEL``."""
        return self._name or f"openai-compatible:{self.base_url}#{self.model}"

    @property
    def identity(self) -> str:
        """Server URL and model name: replies from the same pair are interchangeable."""
        return f"openai-compatible:{self.base_url}#{self.model}"

    def complete(self, messages: list[Message], params: GenParams) -> Reply:
        """One chat completion; transient failures are retried, the rest raise a :class:`ModelError`."""
        model = self.model
        request: dict[str, Any] = {
            "model": model,
            "messages": [m.model_dump() for m in messages],
            "temperature": params.temperature,
            "max_tokens": params.max_tokens,
            "seed": params.seed,
        }
        if params.stop:
            request["stop"] = list(params.stop)
        with self._slots:
            started = time.perf_counter()
            response = self._call(lambda: self._client.chat.completions.create(**request))
            latency = time.perf_counter() - started
        return _reply(response, self.name, latency)

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()

    def _call(self, request: Any) -> Any:
        """Run ``request`` with retries for transient faults, translating SDK errors into ModelErrors."""
        for attempt in range(self.retries + 1):
            try:
                return request()
            except openai.OpenAIError as exc:
                error = self._translate(exc)
                if not _transient(exc) or attempt == self.retries:
                    raise error from exc
            except ValueError as exc:  # the SDK lets a body that is not JSON through as a JSONDecodeError
                raise MalformedReply(
                    f"{self.base_url} answered with something that is not JSON: {exc}"
                ) from exc
            time.sleep(min(self.backoff_s * 2**attempt, 8.0))
        raise AssertionError("unreachable")

    def _translate(self, exc: openai.OpenAIError) -> ModelError:
        where = self.base_url
        if isinstance(exc, openai.APITimeoutError):
            return ModelTimeout(f"{where} did not answer in time; raise the timeout or check the server load")
        if isinstance(exc, openai.APIConnectionError):
            return ServerUnavailable(f"cannot reach the model server at {where}: is it running? ({exc})")
        if isinstance(exc, openai.APIStatusError):
            return _status_error(exc, where, self._model)
        if isinstance(exc, openai.APIResponseValidationError):
            return MalformedReply(f"{where} sent a response that is not a chat completion: {exc}")
        return ModelError(f"request to {where} failed: {exc}")


def _transient(exc: openai.OpenAIError) -> bool:
    if isinstance(exc, openai.APIConnectionError):  # includes timeouts
        return True
    return isinstance(exc, openai.APIStatusError) and exc.status_code in TRANSIENT_STATUS


def _status_error(exc: openai.APIStatusError, where: str, model: str | None) -> ModelError:
    status, detail = exc.status_code, _detail(exc)
    overflow = _context_overflow(detail, exc.body)
    if overflow is not None:
        return overflow
    if status in TRANSIENT_STATUS:
        return ServerUnavailable(f"{where} answered HTTP {status}: {detail}")
    if status in (401, 403):
        return ModelError(f"{where} refused the API key (HTTP {status}); check OPENAI_API_KEY: {detail}")
    if status == 404:
        return ModelError(f"{where} has no model {model!r} (HTTP 404); fix the model in the spec: {detail}")
    return ModelError(f"{where} rejected the request (HTTP {status}): {detail}")


def _detail(exc: openai.APIStatusError) -> str:
    body = exc.body  # the SDK has already unwrapped {"error": {...}}
    if isinstance(body, dict):
        for key in ("message", "detail"):
            if body.get(key):
                return str(body[key])
    return str(exc.message)


def _context_overflow(detail: str, body: object) -> ContextOverflow | None:
    if not _OVERFLOW.search(detail):
        return None
    fields = body if isinstance(body, dict) else {}
    prompt = _first_int(_PROMPT.search(detail)) or _int(fields.get("n_prompt_tokens"))
    ctx = _first_int(_CTX.search(detail)) or _int(fields.get("n_ctx"))
    return ContextOverflow(prompt, ctx, detail)


def _first_int(match: re.Match[str] | None) -> int | None:
    if match is None:
        return None
    return next((int(group) for group in match.groups() if group is not None), None)


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None  # also for None: the field is absent


def _reply(response: Any, model: str, latency: float) -> Reply:
    choices = getattr(response, "choices", None)
    if not choices:
        raise MalformedReply(f"{model} returned no choices")
    choice = choices[0]
    text = getattr(getattr(choice, "message", None), "content", None)
    if not isinstance(text, str) or not text:
        raise MalformedReply(f"{model} returned an empty reply (finish_reason {choice.finish_reason})")
    usage = getattr(response, "usage", None)
    if usage is None:
        raise MalformedReply(f"{model} reported no token usage; tracefix needs the server's exact counts")
    return Reply(
        text=text,
        usage=Usage(prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens),
        latency_s=latency,
        model=model,
        finish_reason=choice.finish_reason,
    )
