"""Embedded-model speed, prefix reuse and determinism, measured side by side.

For each model: prompt and generation tokens/s; the second call of a two-turn debugging conversation with
llama.cpp's prefix reuse on (warm) against a cold KV cache; and whether prefix reuse changes replies at
temperature 0 (repeated identical calls, and the second turn warm vs cold).

    .venv/bin/python bench/models.py [--models qwen2.5-coder-0.5b qwen2.5-coder-1.5b] [--out FILE]
    .venv/bin/python bench/models.py --prefix-only     # turn-2 prompt time cold vs warm, long conversation
    .venv/bin/python bench/models.py --repeats-only --max-tokens 256   # determinism with longer replies

Set TRACEFIX_THREADS=1 on a busy machine (see docs/models.md "Determinism and speed").
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
from pathlib import Path
from typing import Any

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


def long_conversation(examples: list[Path]) -> list[Message]:
    """Turn one with every example in it: a prompt of LDB's size (hundreds of tokens of code and tests)."""
    parts = [
        f"```python\n{p.read_text()}```\nTests:\n{p.with_name(p.stem + '_tests.txt').read_text()}"
        for p in examples
    ]
    text = (
        "These functions fail their tests.\n\n"
        + "\n\n".join(parts)
        + "\nWhich block of the first one is wrong?"
    )
    return [SYSTEM, Message(role="user", content=text)]


def prefix_only(name: str, rounds: int) -> str:
    """Turn-2 prompt time (one generated token) cold and warm, on a long conversation: the pure cost that
    prefix reuse removes, without the generation time both modes share."""
    gguf = ensure_gguf(NAMED_MODELS[name], allow_hub=False)
    examples = sorted(p for p in EXAMPLES.glob("*.py") if p.with_name(p.stem + "_tests.txt").exists())
    turn1 = long_conversation(examples)
    one = GenParams(max_tokens=1)
    cold = LlamaModel(gguf, n_ctx=4096)
    warm = LlamaModel(gguf, n_ctx=4096, prefix_reuse=True)
    times: dict[bool, list[float]] = {False: [], True: []}
    try:
        answer = cold.complete(turn1, GenParams(max_tokens=24))
        turn2 = follow_up(turn1, answer)
        for _ in range(rounds):
            times[False].append(cold.complete(turn2, one).latency_s)
            warm.complete(turn1, GenParams(max_tokens=24))  # turn one in the KV cache, as in a real loop
            reply = warm.complete(turn2, one)
            times[True].append(reply.latency_s)
    finally:
        cold.close()
        warm.close()
    tokens = (answer.usage.prompt_tokens, reply.usage.prompt_tokens)
    c, w = statistics.median(times[False]), statistics.median(times[True])
    log(name, "turn-2 prompt times (cold, warm)", times)
    return f"| {name} | {tokens[0]} | {tokens[1]} | {c:.2f} | {w:.2f} | {c / w:.1f}x |"


def logit_drift(name: str, suffixes: list[int]) -> list[str]:
    """Max |difference| between the next-token logits of a prompt evaluated cold and the same prompt
    evaluated as a cached prefix plus a suffix of k tokens: where prefix reuse changes the arithmetic."""
    import llama_cpp
    import numpy as np

    gguf = ensure_gguf(NAMED_MODELS[name], allow_hub=False)
    llm = llama_cpp.Llama(model_path=str(gguf), n_ctx=2048, n_threads=default_threads(), verbose=False)
    text = "".join(p.read_text() for p in sorted(EXAMPLES.glob("*.py")))
    tokens = llm.tokenize(text.encode())

    def last_logits(*chunks: list[int]) -> Any:
        llm.reset()
        for chunk in chunks:
            llm.eval(chunk)
        row = llama_cpp.llama_get_logits_ith(llm.ctx, -1)  # what the sampler reads
        return np.ctypeslib.as_array(row, shape=(llm.n_vocab(),)).copy()

    cold = last_logits(tokens)
    rows = [f"| {name} | {len(tokens)} | cold again | {np.abs(cold - last_logits(tokens)).max():.4f} | - |"]
    for k in suffixes:
        warm = last_logits(tokens[:-k], tokens[-k:])
        same = "yes" if warm.argmax() == cold.argmax() else "no"
        rows.append(f"| {name} | {len(tokens)} | {k} | {np.abs(cold - warm).max():.4f} | {same} |")
    llm.close()
    return rows


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
    parser.add_argument("--prefix-only", action="store_true", help="Only the turn-2 prompt-time comparison.")
    parser.add_argument(
        "--repeats-only", action="store_true", help="Only the repeated-call determinism check."
    )
    parser.add_argument("--logits", action="store_true", help="Only the logit drift of prefix reuse.")
    args = parser.parse_args()
    if args.prefix_only:
        run_prefix_only(args)
        return
    if args.repeats_only:
        run_repeats_only(args)
        return
    if args.logits:
        header = [
            f"{_command()}, {default_threads()} threads",
            "",
            "| model | prompt tokens | suffix tokens evaluated after the cached prefix "
            "| max abs logit difference from cold | same greedy token |",
            "|---|---|---|---|---|",
        ]
        rows = [row for name in args.models for row in logit_drift(name, [1, 2, 4, 7, 8, 16, 64])]
        print("\n".join([*header, *rows]), flush=True)
        _append(args.out, [*header, *rows])
        return
    header = [
        f"{_command()}, "
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
    _append(args.out, [*header, *rows])


def run_repeats_only(args: argparse.Namespace) -> None:
    """Identical calls on the long conversation, prefix reuse on and off, with longer replies."""
    header = [
        f"{_command()}, {default_threads()} threads, load average {os.getloadavg()[0]:.1f}",
        "",
        "| model | max_tokens | calls | differing from the first (reuse on) | differing (reuse off) |",
        "|---|---|---|---|---|",
    ]
    print("\n".join(header), flush=True)
    examples = sorted(p for p in EXAMPLES.glob("*.py") if p.with_name(p.stem + "_tests.txt").exists())
    messages = long_conversation(examples)
    rows = []
    for name in args.models:
        gguf = ensure_gguf(NAMED_MODELS[name], allow_hub=False)
        on = repeats(gguf, messages, True, args.repeats, args.max_tokens)
        off = repeats(gguf, messages, False, args.repeats, args.max_tokens)
        rows.append(f"| {name} | {args.max_tokens} | {args.repeats} | {on} | {off} |")
        print(rows[-1], flush=True)
    _append(args.out, [*header, *rows])


def _command() -> str:
    """The command line as run (with TRACEFIX_THREADS when set) and the date."""
    value = os.environ.get("TRACEFIX_THREADS")
    env = f"TRACEFIX_THREADS={value} " if value else ""
    return f"`{env}{' '.join(['.venv/bin/python', *sys.argv])}` on {datetime.date.today()}"


def _append(out: Path | None, lines: list[str]) -> None:
    if out:
        with out.open("a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n\n")


def run_prefix_only(args: argparse.Namespace) -> None:
    header = [
        f"{_command()}, {default_threads()} threads, median of {args.repeats} rounds, load average {os.getloadavg()[0]:.1f}",
        "",
        "| model | turn-1 prompt tokens | turn-2 prompt tokens | turn-2 prompt s cold | warm | speed-up |",
        "|---|---|---|---|---|---|",
    ]
    print("\n".join(header), flush=True)
    rows = [prefix_only(name, args.repeats) for name in args.models]
    print("\n".join(rows), flush=True)
    _append(args.out, [*header, *rows])


if __name__ == "__main__":
    main()
