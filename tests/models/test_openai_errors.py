"""How the OpenAI-compatible backend reads a server's answers, against a scripted HTTP server.

The real server (llama-cpp-python) is in test_server.py; here each failure mode is produced on demand.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tracefix.models.base import (
    ContextOverflow,
    MalformedReply,
    ModelError,
    ModelTimeout,
    ServerUnavailable,
)
from tracefix.models.openai_compat import OpenAICompatModel
from tracefix.records import GenParams, Message

ASK = [Message(role="user", content="hi")]


def completion(text: str | None = "hello", usage: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "x",
        "object": "chat.completion",
        "created": 0,
        "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
    }
    if usage:
        body["usage"] = {"prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9}
    return body


@dataclass
class Script:
    """Responses to send, in order: (status, JSON body or raw text, delay in seconds)."""

    responses: list[tuple[int, Any, float]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._send(200, {"object": "list", "data": [{"id": "served", "object": "model"}]})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            script.requests.append(json.loads(self.rfile.read(length)))
            status, body, delay = script.responses.pop(0)
            time.sleep(delay)
            self._send(status, body)

        def _send(self, status: int, body: Any) -> None:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1", script
    httpd.shutdown()
    httpd.server_close()


def model(url: str, **kwargs: Any) -> OpenAICompatModel:
    return OpenAICompatModel(url, "m", backoff_s=0.01, **kwargs)


def test_reply_carries_the_servers_usage_and_sends_the_params(server: tuple[str, Script]) -> None:
    url, script = server
    script.responses.append((200, completion(), 0))
    reply = model(url).complete(ASK, GenParams(temperature=0.5, max_tokens=9, stop=["##"], seed=3))
    assert (reply.text, reply.usage.prompt_tokens, reply.usage.completion_tokens) == ("hello", 7, 2)
    sent = script.requests[0]
    assert (sent["temperature"], sent["max_tokens"], sent["stop"], sent["seed"]) == (0.5, 9, ["##"], 3)
    assert sent["messages"] == [{"role": "user", "content": "hi"}]


def test_model_name_is_asked_of_the_server_when_not_given(server: tuple[str, Script]) -> None:
    url, _ = server
    backend = OpenAICompatModel(url)
    assert backend.identity == f"openai-compatible:{url}#served"


def test_transient_errors_are_retried(server: tuple[str, Script]) -> None:
    url, script = server
    script.responses += [(503, {"error": {"message": "loading"}}, 0), (429, {}, 0), (200, completion(), 0)]
    assert model(url).complete(ASK, GenParams()).text == "hello"
    assert len(script.requests) == 3


def test_transient_errors_give_up_after_the_retries(server: tuple[str, Script]) -> None:
    url, script = server
    script.responses += [(500, {"error": {"message": "boom"}}, 0)] * 3
    with pytest.raises(ServerUnavailable, match="answered HTTP 500: boom"):
        model(url, retries=2).complete(ASK, GenParams())
    assert len(script.requests) == 3


@pytest.mark.parametrize(
    ("message", "prompt", "context"),
    [
        (
            "This model's maximum context length is 1024 tokens. However, you requested 1138 tokens "
            "(1130 in the messages, 8 in the completion).",
            1130,
            1024,
        ),
        (
            "This model's maximum context length is 128000 tokens. However, your messages resulted in "
            "130001 tokens. Please reduce the length of the messages.",
            130001,
            128000,
        ),
    ],
)
def test_context_overflow_reports_prompt_size_and_context_without_retrying(
    server: tuple[str, Script], message: str, prompt: int, context: int
) -> None:
    url, script = server
    script.responses.append((400, {"error": {"message": message, "code": "context_length_exceeded"}}, 0))
    with pytest.raises(ContextOverflow) as caught:
        model(url).complete(ASK, GenParams())
    assert (caught.value.prompt_tokens, caught.value.context_size) == (prompt, context)
    assert f"prompt of {prompt} tokens does not fit the model's context of {context} tokens" in str(
        caught.value
    )
    assert len(script.requests) == 1


def test_llama_cpp_server_overflow_fields(server: tuple[str, Script]) -> None:
    url, script = server
    error = {
        "message": "the request exceeds the available context size",
        "n_prompt_tokens": 5000,
        "n_ctx": 4096,
    }
    script.responses.append((400, {"error": error}, 0))
    with pytest.raises(
        ContextOverflow, match="prompt of 5000 tokens does not fit the model's context of 4096"
    ):
        model(url).complete(ASK, GenParams())


@pytest.mark.parametrize(
    ("status", "error", "message"),
    [
        (404, ModelError, r"has no model 'm' \(HTTP 404\); fix the model in the spec"),
        (401, ModelError, r"refused the API key \(HTTP 401\); check OPENAI_API_KEY"),
        (400, ModelError, r"rejected the request \(HTTP 400\): bad"),
    ],
)
def test_request_errors_are_not_retried(
    server: tuple[str, Script], status: int, error: type[Exception], message: str
) -> None:
    url, script = server
    script.responses.append((status, {"error": {"message": "bad"}}, 0))
    with pytest.raises(error, match=message):
        model(url).complete(ASK, GenParams())
    assert len(script.requests) == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (completion(text=""), "empty reply"),
        (completion(text=None), "empty reply"),
        ({**completion(), "choices": []}, "returned no choices"),
        (completion(usage=False), "reported no token usage"),
        ("<html>not json</html>", "not JSON"),
    ],
)
def test_malformed_replies_are_errors(server: tuple[str, Script], body: Any, message: str) -> None:
    url, script = server
    script.responses.append((200, body, 0))
    with pytest.raises(MalformedReply, match=message):
        model(url).complete(ASK, GenParams())


def test_a_slow_server_times_out(server: tuple[str, Script]) -> None:
    url, script = server
    script.responses += [(200, completion(), 1.0)] * 2
    with pytest.raises(ModelTimeout, match="did not answer in time"):
        model(url, timeout_s=0.2, retries=1).complete(ASK, GenParams())


def test_nothing_listening_is_server_unavailable() -> None:
    backend = OpenAICompatModel("http://127.0.0.1:9/v1", "m", retries=1, backoff_s=0.01)
    with pytest.raises(ServerUnavailable, match=r"cannot reach the model server at http://127.0.0.1:9/v1"):
        backend.complete(ASK, GenParams())


def test_openai_needs_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ModelError, match="set the OPENAI_API_KEY environment variable"):
        OpenAICompatModel.for_openai("gpt-4o-mini")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert OpenAICompatModel.for_openai("gpt-4o-mini").name == "openai:gpt-4o-mini"
