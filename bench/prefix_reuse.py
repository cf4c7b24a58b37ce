"""Prefix reuse across calls (tracefix.models.kvreuse), measured on the prompts of a committed run.

    TRACEFIX_THREADS=1 .venv/bin/python bench/prefix_reuse.py bench/runs/humaneval-qwen1.5b \\
        "ldb[docstring=on,format=hole,past=on,recut=on,rewrite=on,samples=3,ties=oldest,types=on]" --sessions 8 \\
        --out bench/results/prefix_reuse.md

Every model request of the first sessions (made again by today's code from the stored replies, with
their own parameters: a sample drawn again sends the same prompt at a temperature) goes to two embedded
models in one process, call by call: one starting every call cold, one reusing the previous call's KV
cache. Both generate the whole reply, so the seconds compare what a debugging run would spend. Reported: seconds per call side by side, the prompt
tokens taken from the cache, and how many replies differ (the design says none may).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from tracefix.api import debug_task
from tracefix.execution.sandbox import Executor
from tracefix.models.fake import ScriptedModel
from tracefix.models.kvreuse import PrefixReusingLlama
from tracefix.models.llama import LlamaModel, default_threads
from tracefix.models.resolve import local_gguf, parse_spec
from tracefix.records import GenParams, Message, Session


def requests(
    run_dir: Path, label: str, sessions: int, max_iters: int
) -> list[tuple[list[Message], GenParams]]:
    """Every model request of the first ``sessions`` debugged sessions of ``label``, in order, as today's code
    makes them: each session is debugged again with the model's stored replies given back in order (the
    scripted model of bench/replay.py), which records each request's messages and parameters."""
    files = sorted((run_dir / "sessions" / label).glob("*.json"))
    if not files:
        sys.exit(f"no sessions for {label!r} in {run_dir}")
    found: list[tuple[list[Message], GenParams]] = []
    debugged = 0
    with Executor() as executor:
        for path in files:
            stored = Session.model_validate_json(path.read_text())
            replies = [reply.text for attempt in stored.attempts for reply in attempt.replies]
            if not replies:
                continue
            model = ScriptedModel(replies, name=stored.model)
            debug_task(
                stored.task,
                stored.initial_program,
                model,
                strategy=label,
                max_iters=max_iters,
                executor=executor,
            )
            found.extend(model.requests)
            debugged += 1
            if debugged >= sessions:
                break
    return found


def measure(gguf: Path, calls: list[tuple[list[Message], GenParams]]) -> list[dict[str, Any]]:
    cold = LlamaModel(gguf, prefix_reuse=False)
    warm = LlamaModel(gguf)
    rows = []
    try:
        for number, (messages, params) in enumerate(calls):
            a = cold.complete(messages, params)
            b = warm.complete(messages, params)
            llm = warm._llm
            assert isinstance(llm, PrefixReusingLlama)
            rows.append(
                {
                    "call": number,
                    "prompt_tokens": a.usage.prompt_tokens,
                    "completion_tokens": a.usage.completion_tokens,
                    "reused_tokens": llm.reused_tokens,
                    "cold_s": a.latency_s,
                    "warm_s": b.latency_s,
                    "same": a.text == b.text,
                }
            )
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    finally:
        cold.close()
        warm.close()
    return rows


def table(label: str, rows: list[dict[str, Any]]) -> str:
    cold = sum(r["cold_s"] for r in rows)
    warm = sum(r["warm_s"] for r in rows)
    prompt = sum(r["prompt_tokens"] for r in rows)
    reused = sum(r["reused_tokens"] for r in rows)
    ratios = [r["cold_s"] / r["warm_s"] for r in rows if r["warm_s"] > 0]
    return "\n".join(
        [
            f"### `{label}`",
            "",
            "| calls | prompt tokens | taken from the cache | completion tokens | seconds cold | seconds reusing "
            "| total ratio | median per-call ratio | replies that differ |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            f"| {len(rows)} | {prompt} | {reused} ({reused / max(prompt, 1):.0%}) "
            f"| {sum(r['completion_tokens'] for r in rows)} | {cold:.0f} | {warm:.0f} | {cold / warm:.2f}x "
            f"| {statistics.median(ratios):.2f}x | {sum(not r['same'] for r in rows)} |",
            "",
        ]
    )


def provenance(script: str, details: str, after: str) -> str:
    """The results file's first line: when, the command that wrote it, threads, ``details``, the load."""
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    threads = os.environ.get("TRACEFIX_THREADS", "")
    return (
        f"Written {when} by `TRACEFIX_THREADS={threads} .venv/bin/python {script} {' '.join(sys.argv[1:])}` "
        f"({default_threads()} threads, {details}, load average {os.getloadavg()[0]:.1f} at the end). {after}"
    )


def publish(lines: list[str], out: Path | None) -> None:
    """Write the results to ``out`` (if given) and print them."""
    text = "\n".join(lines)
    if out:
        out.write_text(text)
    print(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("labels", nargs="+", help="strategy labels (session folders) of the run")
    parser.add_argument("--sessions", type=int, default=8, help="debugged sessions per label")
    parser.add_argument("--max-iters", type=int, default=3, help="the run's --max-iters")
    parser.add_argument("--model", default="local:qwen2.5-coder-1.5b")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    gguf, _ = local_gguf(parse_spec(args.model))
    started = time.time()
    sections = []
    for label in args.labels:
        rows = measure(gguf, requests(args.run_dir, label, args.sessions, args.max_iters))
        sections.append(table(label, rows))
    publish(
        [
            "# Prefix reuse across calls, exact (tracefix.models.kvreuse)",
            "",
            provenance(
                "bench/prefix_reuse.py",
                f"{args.model}, {time.time() - started:.0f} s",
                "Both models ran in one process, call by call, so the ratio is side by side; absolute seconds on "
                "this shared machine are noisy.",
            ),
            "",
            *sections,
        ],
        args.out,
    )


if __name__ == "__main__":
    main()
