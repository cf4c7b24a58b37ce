"""Each strategy on the shipped buggy examples, with the real embedded model and no response cache.

    .venv/bin/python bench/examples.py [--model SPEC] [--max-iters N] [--strategies SPECS] [--out FILE]

Records, per example and strategy: fixed or not, iterations, model calls, tokens and seconds.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import sys
from pathlib import Path

from tracefix import api
from tracefix.models.resolve import load_model
from tracefix.strategies.spec import split_specs
from tracefix.strategies.tests import parse_tests_file

EXAMPLES = Path(__file__).parents[1] / "examples"
NAMES = ["sum_evens", "count_positives", "product_of_odds", "longest_run"]
STRATEGIES = "ldb,feedback,explain,ldb[format=hole]"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="local:qwen2.5-coder-1.5b")
    parser.add_argument("--max-iters", type=int, default=3)
    parser.add_argument("--strategies", default=STRATEGIES, help="comma-separated strategy specs")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    model = load_model(args.model, cache=False)
    rows = [
        "| example | strategy | outcome | iterations | calls | tokens | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in NAMES:
        source = (EXAMPLES / f"{name}.py").read_text()
        tests = parse_tests_file((EXAMPLES / f"{name}_tests.txt").read_text(encoding="utf-8"))
        for strategy in split_specs(args.strategies):
            session = api.debug(source, name, tests, model=model, strategy=strategy, max_iters=args.max_iters)
            row = (
                f"| {name} | {strategy} | {session.outcome} | {len(session.attempts)} | {session.calls} "
                f"| {session.usage.total_tokens} | {session.duration_s:.0f} |"
            )
            rows.append(row)
            print(row, flush=True)
    model.close()
    command = "  ".join(["", ".venv/bin/python", *sys.argv]).strip()
    header = [
        "# Strategies on the shipped buggy examples",
        "",
        f"Command: `{command}`  ",
        f"Date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; machine: {platform.machine()}, "
        f"2 cores; model {args.model}, max {args.max_iters} iterations, no response cache.",
        "",
    ]
    text = "\n".join([*header, *rows, ""])
    if args.out:
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
