"""The embedded backend: a GGUF model run in-process by llama-cpp-python.

One request at a time (a lock): llama.cpp's context holds a single KV cache, and on a small CPU the
threads of one request already use every core.

Prefix reuse and determinism. Consecutive calls share long prompt prefixes, and llama.cpp keeps the previous
call's KV cache; :mod:`tracefix.models.kvreuse` reuses the part of it that gives bit-identical logits (a
prefix aligned to the kernels' tiles, read from the previous prompt only), so the same messages always give
the same reply whatever ran before, and a call reads only what is new (``bench/results/prefix_reuse.md``).
``prefix_reuse=False`` (``TRACEFIX_PREFIX_REUSE=0`` through ``load_model``) starts every call cold.
"""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path
from typing import Any

from tracefix.models import ending
from tracefix.models.base import ContextOverflow, MalformedReply, ModelError
from tracefix.records import GenParams, Message, Reply, Usage

DEFAULT_N_CTX = 8192
_OVERFLOW = re.compile(r"Requested tokens \((\d+)\) exceed context window of (\d+)")


def cpu_threads() -> int:
    """Cores this process may run on (affinity-aware, unlike ``os.cpu_count``)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def default_threads() -> int:
    """``TRACEFIX_THREADS`` if set, else every core.

    Every core is fastest on an idle machine. On an oversubscribed one (more runnable processes than
    cores) llama.cpp's threads wait for each other at every operation, and one thread is several times
    faster than two (bench/results/models.md), hence the override."""
    value = os.environ.get("TRACEFIX_THREADS", "").strip()
    if value:
        if not value.isdigit() or int(value) < 1:
            raise ModelError(f"TRACEFIX_THREADS must be a positive integer, not {value!r}")
        return int(value)
    return cpu_threads()


class LlamaModel:
    """A GGUF chat model run in-process with its own chat template."""

    max_concurrency = 1

    def __init__(
        self,
        path: Path,
        *,
        name: str | None = None,
        identity: str | None = None,
        n_ctx: int | None = None,
        n_threads: int | None = None,
        prefix_reuse: bool = True,
    ) -> None:
        try:  # here, not at the top: importing llama_cpp takes 0.9 s, and only an embedded model needs it
            from tracefix.models.kvreuse import PrefixReusingLlama
        except ImportError as exc:
            raise ModelError(
                "the embedded model needs llama-cpp-python; run scripts/install-llama.sh (see docs/models.md)"
            ) from exc
        self.name = name or f"local:{path.name}"
        self.identity = identity or f"gguf:{path.resolve()}"
        self.prefix_reuse = prefix_reuse
        self.path = path
        threads = n_threads or default_threads()
        self._lock = threading.Lock()
        try:
            self._llm: Any = PrefixReusingLlama(
                model_path=str(path),
                n_ctx=n_ctx or DEFAULT_N_CTX,
                n_threads=threads,
                n_threads_batch=threads,
                seed=0,
                verbose=False,
            )
        except (ValueError, RuntimeError) as exc:  # llama.cpp could not read the file as a model
            raise ModelError(f"llama.cpp cannot load {path} as a GGUF model: {exc}") from exc
        self.context_size: int | None = int(self._llm.n_ctx())

    def complete(self, messages: list[Message], params: GenParams) -> Reply:
        """Generate a reply with the GGUF's chat template; usage is llama.cpp's own token count."""
        if self._llm is None:
            raise ModelError(f"{self.name} is closed")
        with self._lock:
            if not self.prefix_reuse:
                self._llm.reset()  # cold KV cache
            started = time.perf_counter()
            ender = None if params.end_of is None else _EndOf(self._llm, params.end_of)
            try:
                response = self._llm.create_chat_completion(
                    messages=[m.model_dump() for m in messages],
                    temperature=params.temperature,
                    max_tokens=params.max_tokens,
                    stop=list(params.stop),
                    seed=params.seed,
                    logits_processor=None if ender is None else [ender],
                )
            except ValueError as exc:
                raise _translate(exc) from exc
            latency = time.perf_counter() - started
        reply = _reply(response, self.name, latency)
        if params.end_of is None:
            return reply
        return reply.model_copy(update={"text": ending.cut(reply.text, params.end_of)})

    def close(self) -> None:
        """Free the model's memory now rather than at garbage collection."""
        with self._lock:
            if self._llm is not None:
                self._llm.close()
                self._llm = None


class _EndOf:
    """A logits processor that makes end-of-generation the only choice once the reply's function ``name``
    has ended (``ending.function_end``): the reply is cut there with its usage exact."""

    def __init__(self, llm: Any, name: str) -> None:
        self.llm, self.name = llm, name
        self.prompt: int | None = None
        self.eos = int(llm.token_eos())

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        if self.prompt is None:
            self.prompt = len(input_ids)
        text = self.llm.detokenize(list(input_ids[self.prompt :])).decode("utf-8", errors="ignore")
        if ending.function_end(text, self.name) is None:
            return scores
        ended = scores.copy()
        ended[:] = float("-inf")
        ended[self.eos] = 0.0
        return ended


def _translate(exc: ValueError) -> ModelError:
    match = _OVERFLOW.search(str(exc))
    if match:
        return ContextOverflow(int(match.group(1)), int(match.group(2)))
    return ModelError(f"llama.cpp rejected the request: {exc}")


def _reply(response: dict[str, Any], model: str, latency: float) -> Reply:
    """The reply of a chat response."""
    try:
        choice = response["choices"][0]
        text = choice["message"]["content"]
        usage = response["usage"]
    except (KeyError, IndexError, TypeError) as exc:
        raise MalformedReply(f"llama.cpp returned an unexpected response shape: {exc!r}") from exc
    if not isinstance(text, str) or not text:
        reason = choice.get("finish_reason")
        raise MalformedReply(f"llama.cpp returned an empty reply (finish_reason {reason})")
    return Reply(
        text=text,
        usage=Usage(prompt_tokens=usage["prompt_tokens"], completion_tokens=usage["completion_tokens"]),
        latency_s=latency,
        model=model,
        finish_reason=choice.get("finish_reason"),
    )
