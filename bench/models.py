"""Embedded-model speed, prefix reuse and determinism, measured side by side.

For each model: prompt and generation tokens/s; the second call of a two-turn debugging conversation with
llama.cpp's prefix reuse on (warm) against a cold KV cache; and whether prefix reuse changes replies at
temperature 0 (repeated identical calls, and the second turn warm vs cold).

    .venv/bin/python bench/models.py [--models qwen2.5-coder-0.5b qwen2.5-coder-1.5b] [--out FILE]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
from pathlib import Path

from tracefix.models.llama import LlamaModel, cpu_threads, default_threads
from tracefix.models.weights import NAMED_MODELS, ensure_gguf
from tracefix.records import GenParams, Message, Reply

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SYSTEM = Message(role="system", content="You are an expert Python debugger. Be concise.")


def conversation(example: Path) -> list[Message]:
    """Turn one of a debugging conversation about a shipped buggy example."""
    tests = (example.with_name(example.stem + "_tests.txt")).read_text()
    program = example.read_text()
    prompt = (
        f"This function fails its tests.\n```python\n{program}```\nTests:\n```python\n{tests}```\n"
        "Walk through the failing test block by block, say which block is wrong and why."
    )
    return [SYSTEM, Message(role="user", content=prompt)]


def follow_up(turn1: list[Message], reply: Reply) -> list[Message]:
    """Turn two: the model's answer and a request for the fix (shares turn one as a prefix)."""
    ask = "Now give the fixed function only, in one ```python block."
    return [*turn1, Message(role="assistant", content=reply.text), Message(role="user", content=ask)]


def speed(model: LlamaModel, messages: list[Message], max_tokens: int) -> dict[str, float]:
    """Prompt tokens/s from a one-token call, generation tokens/s from the rest of a longer one (both cold)."""
    first = model.complete(messages, GenParams(max_tokens=1))
    full = model.complete(messages, GenParams(max_tokens=max_tokens))
    generated = full.usage.completion_tokens - 1
    return {
        "prompt_tokens": first.usage.prompt_tokens,
        "prompt_tps": first.usage.prompt_tokens / first.latency_s,
        "gen_tokens": generated,
        "gen_tps": generated / max(full.latency_s - first.latency_s, 1e-9),
    }


def second_turns(
    gguf: Path, examples: list[Path], max_tokens: int
) -> dict[bool, list[tuple[float, str, int]]]:
    """For each example, the second turn's latency, text and prompt size, with prefix reuse off and on.

    Turn one is always answered cold, so both modes see the same conversation."""
    params = GenParams(max_tokens=max_tokens)
    cold = LlamaModel(gguf, n_ctx=4096)
    warm = LlamaModel(gguf, n_ctx=4096, prefix_reuse=True)
    results: dict[bool, list[tuple[float, str, int]]] = {False: [], True: []}
    try:
        for example in examples:
            turn1 = conversation(example)
            turn2 = follow_up(turn1, cold.complete(turn1, params))
            for reuse, model in ((False, cold), (True, warm)):
                if reuse:
                    model.complete(turn1, params)  # leaves turn one in the KV cache, as in a real loop
                reply = model.complete(turn2, params)
                results[reuse].append((reply.latency_s, reply.text, reply.usage.prompt_tokens))
    finally:
        cold.close()
        warm.close()
    return results


def repeats(gguf: Path, messages: list[Message], reuse: bool, count: int, max_tokens: int) -> int:
    """How many of ``count`` identical calls in one process differ from the first reply."""
    model = LlamaModel(gguf, n_ctx=4096, prefix_reuse=reuse)
    try:
        texts = [model.complete(messages, GenParams(max_tokens=max_tokens)).text for _ in range(count)]
    finally:
        model.close()
    return sum(text != texts[0] for text in texts)


def log(model: str, step: str, value: object) -> None:
    """Progress on stderr, so a run cut short still shows what it measured."""
    print(f"# {model} {step}: {value}", file=sys.stderr, flush=True)


def bench_model(name: str, args: argparse.Namespace) -> list[str]:
    gguf = ensure_gguf(NAMED_MODELS[name], allow_hub=False)
    examples = sorted(p for p in EXAMPLES.glob("*.py") if p.with_name(p.stem + "_tests.txt").exists())
    examples = examples[: args.examples]
    rates: dict[int, list[dict[str, float]]] = {}
    for threads in args.speed_threads:
        model = LlamaModel(gguf, n_ctx=4096, n_threads=threads)
        try:
            rates[threads] = [
                speed(model, conversation(example), args.max_tokens) for example in examples[:2]
            ]
        finally:
            model.close()
        log(name, f"speed with {threads} threads", rates[threads])
    turns = second_turns(gguf, examples, args.max_tokens)
    cold_s = [t for t, _, _ in turns[False]]
    warm_s = [t for t, _, _ in turns[True]]
    changed = sum(a[1] != b[1] for a, b in zip(turns[False], turns[True], strict=True))
    log(name, "turn 2 (latency s, prompt tokens)", {k: [(t, n) for t, _, n in v] for k, v in turns.items()})
    repeated = conversation(examples[0])
    differ_warm = repeats(gguf, repeated, True, args.repeats, args.max_tokens)
    differ_cold = repeats(gguf, repeated, False, args.repeats, args.max_tokens)
    log(name, "repeats differing (reuse on, off)", (differ_warm, differ_cold))
    speeds = " ".join(
        f"| {threads} | {statistics.mean(r['prompt_tps'] for r in found):.0f} "
        f"| {statistics.mean(r['gen_tps'] for r in found):.1f} "
        for threads, found in rates.items()
    )
    row = (
        f"| {name} | {statistics.mean(r['prompt_tokens'] for r in next(iter(rates.values()))):.0f} {speeds}"
        f"| {statistics.median(t[2] for t in turns[False]):.0f} "
        f"| {statistics.median(cold_s):.2f} | {statistics.median(warm_s):.2f} "
        f"| {statistics.median(c / w for c, w in zip(cold_s, warm_s, strict=True)):.1f}x "
        f"| {changed} of {len(examples)} "
        f"| {differ_warm} of {args.repeats - 1} | {differ_cold} of {args.repeats - 1} |"
    )
    print(row, flush=True)
    return [row]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"])
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--examples", type=int, default=3, help="Conversations for the turn-2 comparison.")
    parser.add_argument(
        "--speed-threads", type=int, nargs="+", default=[1, cpu_threads()], help="Thread counts for speed."
    )
    parser.add_argument("--out", type=Path, default=None, help="Append the table to this markdown file.")
    args = parser.parse_args()
    env = f"TRACEFIX_THREADS={os.environ['TRACEFIX_THREADS']} " if os.environ.get("TRACEFIX_THREADS") else ""
    header = [
        f"`{env}{' '.join(['.venv/bin/python', *sys.argv])}` on {datetime.date.today()}, "
        f"{platform.machine()}, {cpu_threads()} cores, {default_threads()} threads for the conversation "
        f"columns, max_tokens {args.max_tokens}, "
        f"load average at start {os.getloadavg()[0]:.1f}",
        "",
        "| model | prompt tokens "
        + "| threads | prompt tok/s | generation tok/s " * len(args.speed_threads)
        + "| turn-2 prompt tokens | turn 2 cold s | turn 2 warm s | speed-up "
        "| turn-2 replies changed by reuse | repeats differing (reuse on) | repeats differing (reuse off) |",
        "|---" * (9 + 3 * len(args.speed_threads)) + "|",
    ]
    print("\n".join(header), flush=True)
    rows = [row for name in args.models for row in bench_model(name, args)]
    if args.out:
        with args.out.open("a", encoding="utf-8") as handle:
            handle.write("\n".join([*header, *rows]) + "\n\n")


if __name__ == "__main__":
    main()
