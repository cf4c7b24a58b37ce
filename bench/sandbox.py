"""Sandbox latency and throughput, side by side in one run.

Latency: the median wall time of one test job (``assert f(1) == 2`` against a two-line program), run
  - in the executor's pool (bwrap fork-server workers), back to back and with an idle gap between jobs
    (the debugging loop leaves gaps: model calls take seconds; the worker forks and warms the next job's
    process in such gaps);
  - in the pool without bwrap (rlimits-only fork-server), for comparison;
  - in a fresh ``subprocess`` per test (``python -I -c``);
  - in a fresh bubblewrap sandbox per test (same bwrap options as the pool's workers).
Throughput: seconds to run every visible test of the 1,224 GPT-3.5 seeds (HumanEval, MBPP, TransCoder) in the pool.

    .venv/bin/python bench/sandbox.py [--data-dir ../shared/data/ldb] [--runs 200] [--skip-throughput]
        [--out bench/results/sandbox.md]
"""

from __future__ import annotations

import argparse
import ast
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tracefix.execution import bwrap
from tracefix.execution.limits import Limits
from tracefix.execution.sandbox import Executor

PROGRAM = "def f(x):\n    return x + 1\n"
TEST = "assert f(1) == 2"
DATASETS = ("humaneval", "mbpp", "transcoder")
SEED = "seed/gpt-3.5-turbo-0613/seed.jsonl"


def median_ms(job: Callable[[], object], runs: int, gap_s: float = 0.0) -> float:
    """Median wall milliseconds of ``job`` over ``runs`` calls (after two warm-up calls)."""
    job()
    job()
    times = []
    for _ in range(runs):
        if gap_s:
            time.sleep(gap_s)
        start = time.perf_counter()
        job()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def fresh_process(argv: list[str]) -> Callable[[], object]:
    def job() -> object:
        done = subprocess.run(argv, capture_output=True, stdin=subprocess.DEVNULL, timeout=30, check=False)
        assert done.returncode == 0, done.stderr
        return done

    return job


def pooled(executor: Executor) -> Callable[[], object]:
    def job() -> object:
        result = executor.run_test(PROGRAM, TEST)
        assert result.passed, result.error
        return result

    return job


def latency(runs: int) -> list[tuple[str, float]]:
    code = PROGRAM + TEST
    python = [sys.executable, "-I", "-c", code]
    rows: list[tuple[str, float]] = []
    with Executor(workers=os.cpu_count(), sandbox="bwrap") as executor:
        rows.append(("pool (bwrap fork-server), back to back", median_ms(pooled(executor), runs)))
        rows.append(
            ("pool (bwrap fork-server), 20 ms idle between jobs", median_ms(pooled(executor), runs, 0.02))
        )
    with Executor(workers=os.cpu_count(), sandbox="rlimits") as executor:
        rows.append(("pool (rlimits-only fork-server), back to back", median_ms(pooled(executor), runs)))
        rows.append(("pool (rlimits-only fork-server), 20 ms idle", median_ms(pooled(executor), runs, 0.02)))
    rows.append(("fresh subprocess per test (python -I -c)", median_ms(fresh_process(python), runs // 2)))
    rows.append(
        (
            "fresh bwrap per test",
            median_ms(fresh_process(bwrap.command(python, tmp_bytes=64 << 20)), runs // 2),
        )
    )
    return rows


def ratios(rows: dict[str, float]) -> list[str]:
    """How the pool compares with a fresh process per test, measured side by side in this run."""
    pooled_ms = rows["pool (bwrap fork-server), 20 ms idle between jobs"]
    back_to_back = rows["pool (bwrap fork-server), back to back"]
    fresh = rows["fresh subprocess per test (python -I -c)"]
    fresh_bwrap = rows["fresh bwrap per test"]
    return [
        f"Ratios in this run: a pooled job with idle time before it is {fresh / pooled_ms:.1f}x faster than a "
        f"fresh subprocess and {fresh_bwrap / pooled_ms:.1f}x faster than a fresh bwrap; back to back, "
        f"{fresh / back_to_back:.1f}x and {fresh_bwrap / back_to_back:.1f}x. All figures scale with the "
        "machine's load (the fresh subprocess takes about 12 ms on this machine when it is idle).",
    ]


def visible_tests(row: dict[str, Any]) -> list[str]:
    given = row["given_tests"]
    return list(ast.literal_eval(given) if isinstance(given, str) else given)


def throughput(data_dir: Path) -> list[str]:
    seeds = []
    for dataset in DATASETS:
        with (data_dir / dataset / SEED).open(encoding="utf-8") as handle:
            seeds += [json.loads(line) for line in handle if line.strip()]
    with Executor(Limits(wall_s=5.0), sandbox="bwrap") as executor:
        start = time.perf_counter()
        with ThreadPoolExecutor(executor.size) as pool:
            results = list(
                pool.map(lambda row: executor.run_tests(row["solution"], visible_tests(row)), seeds)
            )
        seconds = time.perf_counter() - start
        workers = executor.size
    flat = [result for group in results for result in group]
    return [
        f"{len(seeds)} seeds, {len(flat)} visible tests, {workers} workers: **{seconds:.1f} s** "
        f"({len(flat) / seconds:.0f} tests/s); {sum(r.passed for r in flat)} passed, "
        f"{sum(r.timeout for r in flat)} timed out (wall limit 5 s).",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/ldb"
    )
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--skip-throughput", action="store_true", help="measure latency only")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    load = os.getloadavg()
    rows = latency(args.runs)
    lines = [
        "# Sandbox latency and throughput",
        "",
        f"Command: `.venv/bin/python {' '.join(sys.argv)}`  ",
        f"Date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; machine: {platform.machine()}, "
        f"{os.cpu_count()} cores (shared with other work: load average {load[0]:.1f} at start), "
        f"Python {platform.python_version()}, nice {os.nice(0)}.",
        "",
        f"## Latency of one test job (median of {args.runs} in the pool, {args.runs // 2} for fresh processes)",
        "",
        "| how | median ms |",
        "| --- | ---: |",
        *[f"| {name} | {ms:.2f} |" for name, ms in rows],
        "",
        *ratios(dict(rows)),
        "",
    ]
    if not args.skip_throughput:
        lines += [
            "## Throughput: all visible tests of the 1,224 GPT-3.5 seeds, in the bwrap pool",
            "",
            *throughput(args.data_dir),
        ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
