"""Debug a few named problems with one strategy, outside a run store: a quick check of a change on the seeds
it is meant for, before a benchmark run measures it on a sample.

Each task id's GPT-3.5 seed is debugged with the strategy spec on the configured model (max 3 iterations, the
benchmark's settings), then scored on its hidden tests (scoring only; the loop never sees them). One JSON line
per problem to stdout: outcome (visible tests), hidden pass, model calls and seconds.

    TRACEFIX_THREADS=2 .venv/bin/python bench/probe_ids.py --dataset mbpp --data-dir ../shared/data/ldb \\
        --strategy ldb MBPP/56 MBPP/70
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from tracefix.api import debug_task
from tracefix.bench.datasets import load_problems
from tracefix.bench.harness import score_hidden
from tracefix.bench.seeds import default_seed_file, load_seed_file
from tracefix.execution.sandbox import Executor
from tracefix.models.resolve import load_model


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", required=True, choices=["humaneval", "mbpp", "transcoder"])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--strategy", default="ldb")
    parser.add_argument("--max-iters", type=int, default=3)
    parser.add_argument(
        "--sessions", type=Path, help="also write each session (prompts, replies, programs) as JSON here"
    )
    parser.add_argument("task_ids", nargs="+")
    args = parser.parse_args()
    problems = {p.task_id: p for p in load_problems(args.dataset, args.data_dir)}
    seed_file = default_seed_file(args.data_dir, args.dataset)
    if seed_file is None:
        raise SystemExit(f"no seed file for {args.dataset} under {args.data_dir}")
    seeds = load_seed_file(seed_file)
    model = load_model(None)
    executor = Executor()
    for task_id in args.task_ids:
        problem = problems[task_id]
        started = time.monotonic()
        session = debug_task(
            problem.task,
            seeds[task_id].program,
            model,
            strategy=args.strategy,
            max_iters=args.max_iters,
            executor=executor,
        )
        hidden = score_hidden(executor, problem, session.final_program)
        row = {
            "id": task_id,
            "strategy": args.strategy,
            "outcome": session.outcome,
            "hidden": hidden.passed,
            "calls": session.calls,
            "s": round(time.monotonic() - started, 1),
        }
        print(json.dumps(row), flush=True)
        if args.sessions is not None:
            args.sessions.mkdir(parents=True, exist_ok=True)
            path = args.sessions / f"{task_id.replace('/', '_')}.json"
            path.write_text(session.model_dump_json(indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
