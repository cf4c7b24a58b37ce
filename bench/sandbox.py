"""Sandbox latency and throughput, side by side in one run.

Latency: the median wall time of one test job (``assert f(1) == 2`` against a two-line program), run
  - in the executor's pool (bwrap fork-server workers);
  - in the pool without bwrap (rlimits-only fork-server), for comparison;
  - in a fresh ``subprocess`` per test (``python -I -c``);
  - in a fresh bubblewrap sandbox per test (same bwrap options as the pool's workers);
sampled in turn, one of each per round, so all four see the same background load (and the pools are idle
before each job, as in the debugging loop, where model calls take seconds: the worker forks and warms the
next job's process in such gaps). Then the pool again with jobs back to back, where that preparation is on
the clock.
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
POOL = "pool (bwrap fork-server)"
BURST = "pool (bwrap fork-server), back to back"
FRESH = "fresh subprocess per test (python -I -c)"
FRESH_BWRAP = "fresh bwrap per test"
SEED = "seed/gpt-3.5-turbo-0613/seed.jsonl"


def interleaved_medians(jobs: dict[str, tuple[Callable[[], object], float]], runs: int) -> dict[str, float]:
    """Median wall milliseconds of each job, sampled in turn (one sample of each per round) so every method
    sees the same background load. Each job is ``(call, idle seconds before each sample)``."""
    for call, _ in jobs.values():
        call()
        call()
    times: dict[str, list[float]] = {name: [] for name in jobs}
    for _ in range(runs):
        for name, (call, gap_s) in jobs.items():
            if gap_s:
                time.sleep(gap_s)
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(samples) * 1000 for name, samples in times.items()}


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
    with (
        Executor(workers=os.cpu_count(), sandbox="bwrap") as sandboxed,
        Executor(workers=os.cpu_count(), sandbox="rlimits") as plain,
    ):
        # One sample of each in turn: the pools are idle before each of their jobs, as in the debugging loop.
        medians = interleaved_medians(
            {
                POOL: (pooled(sandboxed), 0.0),
                "pool (rlimits-only fork-server)": (pooled(plain), 0.0),
                FRESH: (fresh_process(python), 0.0),
                FRESH_BWRAP: (fresh_process(bwrap.command(python, tmp_bytes=64 << 20)), 0.0),
            },
            runs,
        )
        # Jobs right after one another: the worker's preparation for the next job is then on the clock.
        medians[BURST] = interleaved_medians({BURST: (pooled(sandboxed), 0.0)}, runs)[BURST]
        medians["pool (rlimits-only fork-server), back to back"] = interleaved_medians(
            {"b": (pooled(plain), 0.0)}, runs
        )["b"]
    return list(medians.items())


def ratios(rows: dict[str, float]) -> list[str]:
    """How the pool compares with a fresh process per test, measured side by side in this run."""
    return [
        f"Ratios in this run: a pooled job is {rows[FRESH] / rows[POOL]:.1f}x faster than a fresh subprocess and "
        f"{rows[FRESH_BWRAP] / rows[POOL]:.1f}x faster than a fresh bwrap; back to back, "
        f"{rows[FRESH] / rows[BURST]:.1f}x and {rows[FRESH_BWRAP] / rows[BURST]:.1f}x. All figures scale with the "
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
        f"## Latency of one test job (median of {args.runs} samples each, taken in turn)",
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
