"""The OpenAI-compatible backend against a real server: llama-cpp-python's, serving the 0.5B model."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from llama_server import LlamaServer

from tracefix.models.base import ContextOverflow, ServerUnavailable
from tracefix.models.llama import LlamaModel
from tracefix.models.openai_compat import OpenAICompatModel
from tracefix.models.resolve import load_model
from tracefix.records import GenParams, Message

pytestmark = [pytest.mark.model, pytest.mark.slow]

ASK = [
    Message(role="system", content="You answer in one short sentence."),
    Message(role="user", content="What does the Python expression len([1, 2, 3]) return?"),
]


def test_reply_and_exact_usage_from_the_server(llama_server: LlamaServer, small_model: LlamaModel) -> None:
    backend = load_model(f"openai-compatible:{llama_server.url}", cache=False)
    assert backend.name == f"openai-compatible:{llama_server.url}#qwen-0.5b"
    reply = backend.complete(ASK, GenParams(max_tokens=12))
    assert reply.text.strip()
    assert 0 < reply.usage.completion_tokens <= 12
    # The same GGUF and chat template in-process count the same prompt tokens: both are llama.cpp's counts.
    assert reply.usage.prompt_tokens == small_model.complete(ASK, GenParams(max_tokens=1)).usage.prompt_tokens


def test_several_requests_in_flight(llama_server: LlamaServer) -> None:
    backend = OpenAICompatModel(llama_server.url, "qwen-0.5b")
    in_flight, peak, lock = 0, 0, threading.Lock()

    def ask(i: int) -> int:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        try:
            messages = [Message(role="user", content=f"Write the number {i} in words.")]
            return backend.complete(messages, GenParams(max_tokens=4)).usage.completion_tokens
        finally:
            with lock:
                in_flight -= 1

    with ThreadPoolExecutor(4) as pool:
        tokens = list(pool.map(ask, range(4)))
    assert all(0 < count <= 4 for count in tokens)
    assert peak == 4  # all four were sent before any answer came back


def test_context_overflow_reports_sizes(llama_server: LlamaServer) -> None:
    backend = OpenAICompatModel(llama_server.url, "qwen-0.5b")
    long = [Message(role="user", content="token " * 1200)]
    with pytest.raises(ContextOverflow) as caught:
        backend.complete(long, GenParams(max_tokens=8))
    assert caught.value.context_size == 1024
    assert caught.value.prompt_tokens is not None and caught.value.prompt_tokens > 1024


def test_a_stopped_server_is_reported_as_unavailable(small_gguf: Path, tmp_path: Path) -> None:
    server = LlamaServer(small_gguf, tmp_path / "server.log", n_ctx=512)
    backend = OpenAICompatModel(server.url, "qwen-0.5b", retries=2, backoff_s=0.05)
    try:
        assert backend.complete(ASK, GenParams(max_tokens=2)).usage.completion_tokens > 0
    finally:
        server.stop()
    started = time.monotonic()
    with pytest.raises(ServerUnavailable, match=f"cannot reach the model server at {server.url}"):
        backend.complete(ASK, GenParams(max_tokens=2))
    assert time.monotonic() - started < 5  # two quick retries, then a clear error
