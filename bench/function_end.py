"""What ending a repository-mode reply at its function (``GenParams.end_of``) saves, on stored replies.

    .venv/bin/python bench/function_end.py --add OUT.json [...]   # take the replies of `tracefix pytest --json` outputs
    .venv/bin/python bench/function_end.py --out bench/results/function_end.md

The replies live in bench/function_end/replies.jsonl (one per line: the output it came from, the function
under test, the iteration and the reply's text), taken from ``tracefix pytest --json`` runs made without
``end_of``, so every reply there is whole. Greedy decoding makes the reply that stops at the function's end a
prefix of the whole one, so cutting each stored reply where ``tracefix.models.ending`` would have stopped it
gives the reply generation would have given, without running the model. For each reply: completion tokens
whole and cut (the embedded model's tokenizer), and whether the function the engine reads from both is the
same code (comments and layout aside: ``extract.normalized``, the engine's own test of a tried program).
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

from llama_cpp import Llama

from tracefix.analysis.source import FunctionNotFound, function_source
from tracefix.models.ending import cut
from tracefix.models.weights import NAMED_MODELS, cached_path
from tracefix.strategies.extract import extract_program, normalized

REPLIES = Path(__file__).parent / "function_end" / "replies.jsonl"


def function_read(text: str, name: str) -> str | None:
    """The function ``name`` as the engine reads it from reply ``text`` (normalized), or None."""
    program = extract_program(text, name).program
    if program is None:
        return None
    try:
        return normalized(function_source(program, name))
    except (FunctionNotFound, SyntaxError):
        return None


def add(outputs: list[Path]) -> None:
    REPLIES.parent.mkdir(exist_ok=True)
    with REPLIES.open("a", encoding="utf-8") as sink:
        for path in outputs:
            out = json.loads(path.read_text())
            for attempt in out["session"]["attempts"]:
                for reply in attempt["replies"]:
                    row = {"output": path.name, "entry": out["target"]["function"]}
                    row |= {"iteration": attempt["iteration"], "text": reply["text"]}
                    sink.write(json.dumps(row) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--add", nargs="+", type=Path, default=[])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.add:
        add(args.add)
    vocab = Llama(
        model_path=str(cached_path(NAMED_MODELS["qwen2.5-coder-1.5b"])), vocab_only=True, verbose=False
    )
    rows = []
    for line in REPLIES.read_text().splitlines():
        reply = json.loads(line)
        name = reply["entry"].rpartition(".")[2]
        whole, ended = reply["text"], cut(reply["text"], name)
        tokens = [len(vocab.tokenize(t.encode(), add_bos=False, special=True)) for t in (whole, ended)]
        same = function_read(whole, name) == function_read(ended, name)
        rows.append((reply["output"], reply["iteration"], *tokens, same))
    whole_sum, ended_sum = sum(r[2] for r in rows), sum(r[3] for r in rows)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout
    lines = [
        "# Ending a repository-mode reply at its function (`GenParams.end_of`)",
        "",
        f"`.venv/bin/python bench/function_end.py --out bench/results/function_end.md` at {commit.strip()}, over",
        f"`{REPLIES.relative_to(REPLIES.parent.parent.parent)}`: whole replies of `tracefix pytest --json` runs made",
        "without `end_of`, each cut where generation now stops; tokens by the 1.5B model's tokenizer.",
        "",
        "| output | iteration | completion tokens, whole | ended | same function read |",
        "| --- | ---: | ---: | ---: | --- |",
        *(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {'yes' if r[4] else 'NO'} |" for r in rows),
        "",
        f"Total: {whole_sum} completion tokens whole, {ended_sum} ended ({ended_sum / max(whole_sum, 1):.0%}); "
        f"{sum(r[4] for r in rows)} of {len(rows)} replies give the same function.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
