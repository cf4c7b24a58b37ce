"""Overhead of the tracer, as a ratio to the untraced run measured side by side in one process run.

Workloads:
  (a) a 1e6-iteration loop with an if/else;
  (b) a loop that grows a list to 1e5 items;
  (c) every visible test of the HumanEval GPT-3.5 seed programs (untrusted code: run in a child process).
Times are CPU seconds of this process (``time.process_time``), fastest of ``--repeat`` interleaved rounds.
Beside tracefix's tracer it measures the naive approach: sys.settrace on the function's frames with ``repr`` of
every local at every line (kept in a bounded deque so memory stays finite; the repr cost is all there).

Usage (from the repository root; run it with each interpreter to compare versions):
  .venv/bin/python bench/tracer.py [--repeat 5] [--seeds PATH] [--no-seeds] [--json]
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import signal
import statistics
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable
from contextlib import redirect_stdout
from pathlib import Path
from types import FrameType
from typing import Any

from tracefix.execution.runner import run_test
from tracefix.execution.tracer import default_backend, trace_test

SEEDS = Path("/work/shared/data/ldb/humaneval/seed/gpt-3.5-turbo-0613/seed.jsonl")

LOOP = """
def spin(n):
    a = 0
    b = 0
    for i in range(n):
        if i % 2:
            a += i
        else:
            b += 1
    return a + b
"""

GROW = """
def grow(n):
    items = []
    for i in range(n):
        items.append(i * 2)
    return len(items)
"""


# --------------------------------------------------------------------------- the naive tracer


def naive_trace(program: str, entry: str, test: str, *, trace: bool = True) -> int:
    """settrace on ``entry``'s frames, ``repr`` of every local at every line; returns the number of lines seen.

    With ``trace=False`` the same bare exec runs untraced: the naive tracer's own baseline.
    """
    namespace: dict[str, Any] = {"__name__": "naive"}
    try:
        with redirect_stdout(io.StringIO()):
            exec(compile(program, "<program>", "exec"), namespace)
        target = namespace[entry].__code__
    except Exception:  # a seed whose module-level code fails: nothing to trace (the others fail alike)
        return 0
    seen: deque[dict[str, str]] = deque(maxlen=10_000)

    def local(frame: FrameType, event: str, arg: object) -> Any:
        if event == "line":
            seen.append({name: repr(value) for name, value in frame.f_locals.items()})
        return local

    def on_call(frame: FrameType, event: str, arg: object) -> Any:
        return local if frame.f_code is target else None

    sys.settrace(on_call if trace else None)
    try:
        with redirect_stdout(io.StringIO()):
            exec(compile(test, "<test>", "exec"), namespace)
    except Exception:
        pass
    finally:
        sys.settrace(None)
    return len(seen)


# --------------------------------------------------------------------------- timing


def clock(run: Callable[[], object]) -> float:
    """CPU seconds of this process spent in ``run`` (the machine is shared: wall time measures the neighbours)."""
    start = time.process_time()
    run()
    return time.process_time() - start


def side_by_side(runs: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Fastest CPU time of each run, the runs interleaved round by round so machine noise hits them alike."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            times[name].append(clock(run))
    return {name: min(values) for name, values in times.items()}


def workload(
    program: str, entry: str, test: str, repeat: int, naive_test: str | None = None
) -> dict[str, Any]:
    runs: dict[str, Callable[[], object]] = {
        "untraced": lambda: run_test(program, test),
        "tracefix": lambda: trace_test(program, entry, test),
    }
    result: dict[str, Any] = side_by_side(runs, repeat)
    naive_runs: dict[str, Callable[[], object]] = {
        "naive_untraced": lambda: naive_trace(program, entry, naive_test or test, trace=False),
        "naive": lambda: naive_trace(program, entry, naive_test or test),
    }
    result.update(side_by_side(naive_runs, max(1, repeat // 2)))
    result["naive_test"] = naive_test or test
    return result


# --------------------------------------------------------------------------- HumanEval seeds (child process)


class _Timeout(BaseException):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _Timeout


def seeds_in_this_process(path: Path, repeat: int) -> dict[str, Any]:
    """Time every visible test of every seed untraced, traced and naive (fastest of ``repeat`` each)."""
    signal.signal(signal.SIGALRM, _alarm)
    totals = {"untraced": 0.0, "tracefix": 0.0, "naive_untraced": 0.0, "naive": 0.0}
    ratios: list[float] = []
    tests = skipped = with_visits = 0
    for line in path.read_text().splitlines():
        seed = json.loads(line)
        for test in seed["given_tests"]:
            timed = _time_seed_test(seed["solution"], seed["entry_point"], test, seed["prompt"], repeat)
            if timed is None:
                skipped += 1
                continue
            tests += 1
            with_visits += bool(
                trace_test(seed["solution"], seed["entry_point"], test, prelude=seed["prompt"]).visits
            )
            for name, value in timed.items():
                totals[name] += value
            ratios.append(timed["tracefix"] / timed["untraced"])
    return {
        "tests": tests,
        "skipped": skipped,
        "with_visits": with_visits,
        **totals,
        "median_test_ratio": statistics.median(ratios),
    }


def _time_seed_test(
    program: str, entry: str, test: str, prelude: str, repeat: int
) -> dict[str, float] | None:
    runs: dict[str, Callable[[], object]] = {
        "untraced": lambda: run_test(program, test, prelude=prelude),
        "tracefix": lambda: trace_test(program, entry, test, prelude=prelude),
        "naive_untraced": lambda: naive_trace(prelude + "\n" + program, entry, test, trace=False),
        "naive": lambda: naive_trace(prelude + "\n" + program, entry, test),
    }
    best: dict[str, float] = {}
    try:
        for name, run in runs.items():
            signal.setitimer(signal.ITIMER_REAL, 10.0)
            best[name] = min(clock(run) for _ in range(repeat))
            signal.setitimer(signal.ITIMER_REAL, 0)
    except (_Timeout, KeyError, SyntaxError):
        signal.setitimer(signal.ITIMER_REAL, 0)
        return None
    return best


def seeds_in_child(path: Path, repeat: int) -> dict[str, Any]:
    """Run :func:`seeds_in_this_process` in a child interpreter: seed programs are untrusted."""
    command = [sys.executable, __file__, "--seeds-child", str(path), "--repeat", str(repeat)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600, start_new_session=True)
    if done.returncode != 0:
        raise SystemExit(f"seed child failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --------------------------------------------------------------------------- report


def report(results: dict[str, Any]) -> str:
    head = results["python"]
    lines = [
        f"### Python {head} ({results['backend']})",
        "",
        "| workload | untraced (run_test) | tracefix (trace_test) | ratio | naive | naive ratio (to bare exec) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name in ("a", "b"):
        row = results[name]
        lines.append(
            f"| ({name}) `{row['test']}` | {row['untraced']:.3f} s | {row['tracefix']:.3f} s | "
            f"**{row['tracefix'] / row['untraced']:.1f}x** | {row['naive']:.3f} s (`{row['naive_test']}`) | "
            f"{row['naive'] / row['naive_untraced']:.0f}x |"
        )
    seeds = results.get("c")
    if seeds:
        lines.append(
            f"| (c) {seeds['tests']} visible tests of the seeds (sum of per-test fastest) | "
            f"{seeds['untraced']:.3f} s | {seeds['tracefix']:.3f} s | **{seeds['tracefix'] / seeds['untraced']:.1f}x** "
            f"(median per test {seeds['median_test_ratio']:.1f}x) | {seeds['naive']:.3f} s | "
            f"{seeds['naive'] / seeds['naive_untraced']:.1f}x |"
        )
        lines.append(
            f"\n(c) per test: {1000 * seeds['untraced'] / seeds['tests']:.2f} ms untraced, "
            f"{1000 * seeds['tracefix'] / seeds['tests']:.2f} ms traced (both include exec of the program; "
            f"traced includes building the CFG); {seeds['with_visits']} of {seeds['tests']} traces recorded visits."
        )
        if seeds["skipped"]:
            lines.append(f"\n{seeds['skipped']} seed tests skipped (timeout, missing entry or syntax error).")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seeds", type=Path, default=SEEDS)
    parser.add_argument("--no-seeds", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--seeds-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seeds_child:
        print(json.dumps(seeds_in_this_process(args.seeds_child, args.repeat)))
        return
    results: dict[str, Any] = {"python": platform.python_version(), "backend": default_backend()}
    results["a"] = {"test": "spin(1_000_000)", **workload(LOOP, "spin", "spin(1_000_000)", args.repeat)}
    results["b"] = {
        "test": "grow(100_000)",
        **workload(GROW, "grow", "grow(100_000)", args.repeat, naive_test="grow(10_000)"),
    }
    if not args.no_seeds:
        results["c"] = seeds_in_child(args.seeds, 3)
    print(json.dumps(results, indent=2) if args.json else report(results))


if __name__ == "__main__":
    main()
