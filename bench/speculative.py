"""Prompt-lookup speculative decoding against plain decoding, on the prompts of a committed run.

    TRACEFIX_THREADS=1 .venv/bin/python bench/speculative.py bench/runs/humaneval-qwen1.5b \\
        "ldb[docstring=on,format=hole,past=on,recut=on,rewrite=on,samples=3,ties=oldest,types=on]" --sessions 4 \\
        --out bench/results/speculative.md

llama-cpp-python ships ``LlamaPromptLookupDecoding``: a draft of the next tokens copied from where the last
n-gram occurred in the prompt, verified in one batch. A fixed program mostly copies the program in its
prompt, the textbook case. Each request (bench/prefix_reuse.py's selection) goes to a plain model and to one
per draft length, in one process, each call cold; reported: seconds side by side and replies that differ.

llama-cpp-python 0.3.36 sizes its logits buffer from the ``logits_all`` argument, not from the draft model
that forces it on, so a draft model without ``logits_all=True`` fails on its first verified batch; this
script passes both.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from llama_cpp import Llama
from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

from prefix_reuse import provenance, publish, requests
from tracefix.models.llama import DEFAULT_N_CTX, default_threads
from tracefix.models.resolve import local_gguf, parse_spec
from tracefix.records import GenParams, Message


def llama(gguf: Path, draft: int) -> Any:
    threads = default_threads()
    extra: dict[str, Any] = {}
    if draft:
        extra = {"logits_all": True, "draft_model": LlamaPromptLookupDecoding(num_pred_tokens=draft)}
    return Llama(
        model_path=str(gguf),
        n_ctx=DEFAULT_N_CTX,
        n_threads=threads,
        n_threads_batch=threads,
        seed=0,
        verbose=False,
        **extra,
    )


def complete(model: Any, messages: list[Message], params: GenParams) -> tuple[str, float, int]:
    model.reset()
    started = time.perf_counter()
    response = model.create_chat_completion(
        messages=[m.model_dump() for m in messages],
        temperature=params.temperature,
        max_tokens=params.max_tokens,
        stop=list(params.stop),
        seed=params.seed,
    )
    seconds = time.perf_counter() - started
    return response["choices"][0]["message"]["content"], seconds, response["usage"]["completion_tokens"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("label")
    parser.add_argument("--sessions", type=int, default=4)
    parser.add_argument("--drafts", default="4,10", help="comma-separated draft lengths (num_pred_tokens)")
    parser.add_argument("--model", default="local:qwen2.5-coder-1.5b")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    gguf, _ = local_gguf(parse_spec(args.model))
    drafts = [int(d) for d in args.drafts.split(",")]
    models = {0: llama(gguf, 0), **{d: llama(gguf, d) for d in drafts}}
    calls = requests(args.run_dir, args.label, args.sessions, max_iters=3)
    started = time.time()
    seconds = dict.fromkeys(models, 0.0)
    differ = dict.fromkeys(models, 0)
    tokens = 0
    for messages, params in calls:
        plain, took, generated = complete(models[0], messages, params)
        seconds[0] += took
        tokens += generated
        for draft in drafts:
            text, took, _ = complete(models[draft], messages, params)
            seconds[draft] += took
            differ[draft] += text != plain
        print(json.dumps({"seconds": seconds, "differ": differ}), file=sys.stderr, flush=True)
    rows = [
        f"| {'plain' if d == 0 else f'prompt lookup, {d} draft tokens'} | {seconds[d]:.0f} "
        f"| {seconds[0] / seconds[d]:.2f}x | {differ[d] if d else '-'} |"
        for d in models
    ]
    publish(
        [
            "# Prompt-lookup speculative decoding (llama-cpp-python's LlamaPromptLookupDecoding)",
            "",
            provenance(
                "bench/speculative.py",
                f"{args.model}, {len(calls)} calls, {tokens} generated tokens, {time.time() - started:.0f} s",
                "Every decoder ran each call in turn in one process: the ratio is side by side.",
            ),
            "",
            "| decoding | seconds | speed-up over plain | replies that differ from plain |",
            "| --- | ---: | ---: | ---: |",
            *rows,
            "",
        ],
        args.out,
    )


if __name__ == "__main__":
    main()
