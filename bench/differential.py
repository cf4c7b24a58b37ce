"""Differential check: each program and test run by plain ``python`` and by tracefix's executor, outcomes compared.

A *pair* is a program and one of its visible tests (with the task's prelude). Each pair runs three ways:

- ``python``: a temporary file holding the prelude, the program and the test (in that order) run as
  ``python FILE`` with the interpreter tracefix runs on, in a fresh subprocess (stdin empty, cwd a fresh
  directory, hash seed random as ``python`` leaves it, wall timeout; see :class:`PlainPython`);
- ``run``: ``Executor.run_tests(program, [test], prelude=prelude)``;
- ``trace``: ``Executor.trace(program, entry, test, prelude=prelude)``.

An outcome is ``pass``, the type name of the exception that ended the run, ``timeout``, ``killed`` or
``SystemExit`` (the program exited before the test finished). The sets:

- ``humaneval``, ``mbpp``, ``transcoder``: LDB's GPT-3.5 seeds with their task's visible tests and prelude;
- ``humanevalfix``: the 164 HumanEvalFix programs with their tasks' visible tests and prelude (as
  ``tracefix bench --dataset humanevalfix`` loads them);
- ``... (no prelude)``: the programs of those sets whose task has a prelude, run without it, as
  ``tracefix run FILE`` runs a program;
- ``examples``: ``examples/NAME.py`` with ``examples/NAME_tests.txt``, entry point ``NAME``;
- ``... hidden``: each program's hidden tests through ``tracefix.bench.scoring.score``, once with the
  executor and once with :class:`PlainPython` (the same scorer code, so this script never reads a hidden
  test itself); the outcome is the score's pass/fail and first error.

Every difference gets an explanation from :func:`explain` (which re-runs the ``python`` side the way tracefix
deliberately differs, e.g. with the hash seed tracefix fixes) or from ``WHY``; anything else is listed as
**not explained**.

    .venv/bin/python bench/differential.py [--data-dir ../shared/data/ldb]
        [--fix-dir ../shared/data/humanevalfix] [--sets humaneval,mbpp,...] [--timeout 5]
        [--workers N] [--no-trace] [--no-hidden] [--out bench/results/differential.md] [--json-out FILE]
        [--before FILE]

``--before`` adds the numbers of an earlier ``--json-out`` (e.g. of the code before a fix) to the report.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tracefix.bench.datasets import BenchProblem, load_problems
from tracefix.bench.scoring import HiddenScore, score
from tracefix.bench.seeds import default_seed_file, load_seed_file
from tracefix.execution.limits import GIB, Limits
from tracefix.execution.sandbox import Executor
from tracefix.execution.snapshots import TraceLimits
from tracefix.records import ExceptionInfo, TestResult, Trace
from tracefix.strategies.tests import parse_tests_file

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
LDB_SETS = ("humaneval", "mbpp", "transcoder")
ALL_SETS = (*LDB_SETS, "humanevalfix", "examples")
DONE = 97
"""The exit status the ``python`` side ends with once the test has finished (``os._exit``, after the test)."""
PLAIN_MEMORY = 4 * GIB
"""Address-space cap of the ``python`` side: a guard for this machine, well above the executor's 1 GiB."""
_TAIL = 8192


# --------------------------------------------------------------------------- the plain python side


@dataclass(frozen=True)
class PlainRun:
    """What ``python FILE`` did: its outcome, seconds, and the end of its stderr."""

    outcome: str
    seconds: float
    stderr: str = ""


def plain_source(prelude: str, program: str, test: str) -> str:
    """The file the ``python`` side runs: prelude, program and test, then the exit that says the test finished.

    The end is ``os._exit(DONE)``: a status no uncaught exception gives (1) and that a program calling
    ``sys.exit(0)`` or ``exit()`` before the test finished does not give either (0).
    """
    parts = [part.rstrip("\n") for part in (prelude, program, test) if part.strip()]
    return "\n".join([*parts, f"import os as _differential_os\n_differential_os._exit({DONE})\n"])


class PlainPython:
    """Runs files as ``python FILE`` (``sys.executable``, no options), one fresh subprocess each.

    Also a scorer's executor (``run_tests``/``run_check``), so ``score`` can run hidden tests here too.
    """

    def __init__(
        self, timeout_s: float, *, hash_seed: str | None = None, run_name: str | None = None
    ) -> None:
        self.timeout_s = timeout_s
        self.hash_seed = hash_seed
        """``PYTHONHASHSEED`` for the child; None leaves it unset (random, as ``python`` does by default)."""
        self.run_name = run_name
        """Run the file as ``runpy.run_path(FILE, run_name=...)`` instead: ``__name__`` is not ``__main__``."""

    def run(self, source: str) -> PlainRun:
        with tempfile.TemporaryDirectory(prefix="tracefix-differential-") as tmp:
            path = Path(tmp) / "program.py"
            path.write_text(source, encoding="utf-8")
            argv = [sys.executable, str(path)]
            if self.run_name is not None:
                code = f"import runpy, sys; sys.argv = [{str(path)!r}]; runpy.run_path({str(path)!r}, run_name={self.run_name!r})"
                argv = [sys.executable, "-c", code]
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": tmp}
            if self.hash_seed is not None:
                env["PYTHONHASHSEED"] = self.hash_seed
            with (Path(tmp) / "stderr").open("w+b") as stderr:
                started = time.perf_counter()
                proc = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                    cwd=tmp,
                    env=env,
                    start_new_session=True,
                    preexec_fn=_cap_memory,
                )
                try:
                    status: int | None = proc.wait(timeout=self.timeout_s)
                except subprocess.TimeoutExpired:
                    status = None
                seconds = time.perf_counter() - started
                _kill_group(proc.pid)
                proc.wait()
                stderr.seek(max(0, stderr.seek(0, os.SEEK_END) - _TAIL))
                tail = stderr.read().decode("utf-8", "replace")
        return PlainRun(plain_outcome(status, tail), seconds, tail)

    def run_tests(self, program: str, tests: list[str], *, prelude: str = "") -> list[TestResult]:
        return [_as_result(test, self.run(plain_source(prelude, program, test))) for test in tests]

    def run_check(self, program: str, check_code: str, entry_point: str, *, prelude: str = "") -> TestResult:
        test = f"{check_code.rstrip()}\ncheck({entry_point})\n"
        return _as_result(f"check({entry_point})", self.run(plain_source(prelude, program, test)))


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (PLAIN_MEMORY, PLAIN_MEMORY))


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


_EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*)(?::(?: |$)|$)")


def plain_outcome(status: int | None, stderr_tail: str) -> str:
    """The outcome of a ``python FILE`` run from its exit status and the end of its stderr."""
    if status is None:
        return "timeout"
    if status == DONE:
        return "pass"
    if status < 0:
        return "killed"
    lines = [line for line in stderr_tail.splitlines() if line.strip()]
    reported = "Traceback (most recent call last):" in stderr_tail or any(
        line.startswith('  File "') for line in lines
    )
    if reported and lines and (match := _EXCEPTION_LINE.match(lines[-1])):
        return match[1].rsplit(".", 1)[-1]  # "__main__.Oops" -> "Oops", as the sandbox names it
    return "SystemExit"  # no traceback: sys.exit()/exit() (any status), before the test finished


def _as_result(test: str, run: PlainRun) -> TestResult:
    passed = run.outcome == "pass"
    exception = (
        None
        if passed or run.outcome in ("timeout", "killed")
        else ExceptionInfo(type=run.outcome, message="")
    )
    return TestResult(
        test=test,
        passed=passed,
        error=None if passed else run.outcome,
        exception=exception,
        timeout=run.outcome == "timeout",
        killed=run.outcome == "killed",
        duration_s=run.seconds,
    )


# --------------------------------------------------------------------------- the executor side


def result_outcome(result: TestResult | Trace) -> str:
    """The outcome of a sandboxed test or trace, in the words of :func:`plain_outcome`."""
    if result.passed:
        return "pass"
    if result.timeout:
        return "timeout"
    if isinstance(result, TestResult) and result.memory_limit:
        return "MemoryError"
    if result.exception is not None:
        return result.exception.type
    if isinstance(result, TestResult) and result.killed:
        return "killed"
    return f"failed ({result.error})"


def score_outcome(hidden: HiddenScore) -> str:
    """A hidden-test score as an outcome: ``pass`` or its first error (an exception type or a limit)."""
    if hidden.passed:
        return "pass"
    return {"timed out": "timeout", "memory limit": "MemoryError"}.get(
        hidden.error or "", hidden.error or "failed"
    )


# --------------------------------------------------------------------------- pairs


@dataclass(frozen=True)
class Program:
    """A program of one set, with what its task gives: tests, prelude, entry point, hidden tests."""

    group: str
    task_id: str
    program: str
    tests: tuple[str, ...]
    entry: str
    prelude: str = ""
    problem: BenchProblem | None = None


@dataclass
class Pair:
    """One program and one test, and the outcome of each way of running them."""

    group: str
    task_id: str
    index: int
    """The test's position among the program's tests, or -1 for the hidden tests."""
    program: str
    test: str
    entry: str
    prelude: str
    python: str = ""
    run: str = ""
    trace: str = ""
    python_seconds: float = 0.0
    notes: dict[str, str] = field(default_factory=dict)
    """Per side that differs from ``python`` ("run", "trace"): the explanation."""

    @property
    def key(self) -> str:
        where = "hidden" if self.index < 0 else f"test {self.index + 1}"
        return f"{self.group} {self.task_id} {where}"

    def differs(self, side: str) -> bool:
        value = getattr(self, side)
        return bool(value) and value != self.python


def dataset_programs(dataset: str, data_dir: Path) -> list[Program]:
    """The default seeds of ``dataset`` with their tasks, as ``tracefix bench`` loads them."""
    path = default_seed_file(data_dir, dataset)
    if path is None:
        raise SystemExit(f"differential: no {dataset} seeds under {data_dir}")
    seeds = load_seed_file(path)
    return [
        _program(dataset, problem, seeds[problem.task_id].program)
        for problem in load_problems(dataset, data_dir)
        if problem.task_id in seeds
    ]


def _program(group: str, problem: BenchProblem, program: str) -> Program:
    task = problem.task
    return Program(
        group, task.task_id, program, tuple(task.visible_tests), task.entry_point, task.prelude, problem
    )


def example_programs(directory: Path = EXAMPLES) -> list[Program]:
    programs = []
    for tests_file in sorted(directory.glob("*_tests.txt")):
        name = tests_file.name.removesuffix("_tests.txt")
        source = (directory / f"{name}.py").read_text(encoding="utf-8")
        tests = parse_tests_file(tests_file.read_text(encoding="utf-8"))
        programs.append(Program("examples", name, source, tuple(tests), name))
    return programs


def without_prelude(programs: Iterable[Program]) -> list[Program]:
    """The programs whose task has a prelude, without it: as ``tracefix run FILE`` runs them."""
    return [
        Program(f"{p.group} (no prelude)", p.task_id, p.program, p.tests, p.entry, "", None)
        for p in programs
        if p.prelude
    ]


def pairs_of(programs: Iterable[Program]) -> list[Pair]:
    return [
        Pair(p.group, p.task_id, i, p.program, test, p.entry, p.prelude)
        for p in programs
        for i, test in enumerate(p.tests)
    ]


# --------------------------------------------------------------------------- running


def run_python(pairs: Sequence[Pair], plain: PlainPython, workers: int) -> None:
    def one(pair: Pair) -> None:
        done = plain.run(plain_source(pair.prelude, pair.program, pair.test))
        pair.python, pair.python_seconds = done.outcome, done.seconds

    _each(one, pairs, workers)


def run_executor(pairs: Sequence[Pair], executor: Executor, workers: int, *, trace: bool) -> None:
    def one(pair: Pair) -> None:
        [result] = executor.run_tests(pair.program, [pair.test], prelude=pair.prelude)
        pair.run = result_outcome(result)
        if trace:
            pair.trace = result_outcome(
                executor.trace(pair.program, pair.entry, pair.test, prelude=pair.prelude)
            )

    _each(one, pairs, workers)


def run_hidden(
    programs: Sequence[Program], executor: Executor, plain: PlainPython, workers: int
) -> list[Pair]:
    """One pair per program: its hidden tests scored by ``score`` with each executor."""
    pairs = [Pair(f"{p.group} hidden", p.task_id, -1, p.program, "", p.entry, p.prelude) for p in programs]
    problems = {p.task_id: p.problem for p in programs}

    def side(runner: Any, pair: Pair) -> str:
        problem = problems[pair.task_id]
        assert problem is not None
        return score_outcome(
            score(runner, pair.program, problem.hidden, entry_point=pair.entry, prelude=pair.prelude)
        )

    def python(pair: Pair) -> None:
        pair.python = side(plain, pair)

    def sandboxed(pair: Pair) -> None:
        pair.run = side(executor, pair)

    _each(python, pairs, workers)
    _each(sandboxed, pairs, workers)
    return pairs


def recheck_timeouts(pairs: Sequence[Pair], executor: Executor, plain: PlainPython) -> list[Pair]:
    """Run again, one at a time, the visible-test pairs that differ with a timeout on some side: wall time is
    noisy on a loaded machine. Returns the pairs run again (their outcomes are the second run's)."""
    again = [
        p
        for p in pairs
        if p.index >= 0
        and (p.differs("run") or p.differs("trace"))
        and "timeout" in (p.python, p.run, p.trace)
    ]
    for pair in again:
        run_python([pair], plain, 1)
        run_executor([pair], executor, 1, trace=bool(pair.trace))
    return again


def _each(fn: Callable[[Pair], None], pairs: Sequence[Pair], workers: int) -> None:
    with ThreadPoolExecutor(max(1, workers)) as pool:
        list(pool.map(fn, pairs))


# --------------------------------------------------------------------------- explanations

HASH_SEED = (
    "depends on the iteration order of a set or dict of str: `python` randomizes the hash seed per run, "
    "tracefix fixes it (PYTHONHASHSEED=0, docs/sandbox.md); `python` with PYTHONHASHSEED=0 gives tracefix's "
    "outcome"
)
MAIN_GUARD = (
    'the program has an `if __name__ == "__main__":` block, which `python FILE` runs and tracefix does not '
    "(the program is the module `solution`, docs/sandbox.md); run with `__name__` set to `solution` "
    "(runpy), `python` gives tracefix's outcome"
)
TRACE_SLOWER = (
    "tracing makes this call-heavy program more than {factor:.1f} times slower: `python` takes {seconds:.1f} s, "
    "the traced run stops at the tracer's {limit:g} s limit (a limit of traces only; `run` agrees with `python`)"
)
ENDLESS = (
    "the program never ends (`python` and `run` time out at {timeout:g} s); the traced run has five times the "
    "wall time and meets the job's 1 GiB memory limit first"
)
TRACE_DEPTH = (
    "recursion close to the limit: the tracer's hooks run on top of the program's frames and use a few levels "
    "of the recursion limit, so under tracing the recursion stops a few levels short (docs/sandbox.md)"
)
MEMORY = "the job's 1 GiB address-space limit (`Limits.memory_bytes`; `python` has none)"
NO_ENTRY = (
    "the tracer traces the task's entry function, which the program does not define (or not as a function): "
    "the trace reports that instead of running the test"
)

WHY: dict[str, str] = {}
"""Explanations of single differences (``Pair.key`` -> why), read from the programs and tests."""


def explain(pair: Pair, side: str, timeout_s: float) -> str | None:
    """Why ``side`` ("run" or "trace") of ``pair`` differs from ``python``, or None when no reason is known.

    Deliberate differences are recognised by re-running the ``python`` side with tracefix's choice.
    """
    if pair.key in WHY:
        return WHY[pair.key]
    outcome = getattr(pair, side)
    if side == "trace" and outcome in ("FunctionNotFound", "LookupError"):
        return NO_ENTRY
    if side == "trace" and outcome == "timeout" and pair.python == "pass":
        limit = TraceLimits().time_limit_s or float("inf")
        return TRACE_SLOWER.format(
            factor=limit / pair.python_seconds, seconds=pair.python_seconds, limit=limit
        )
    if side == "trace" and outcome == "MemoryError" and pair.python == "timeout" == pair.run:
        return ENDLESS.format(timeout=timeout_s)
    if side == "trace" and outcome == "RecursionError" and pair.python == "pass" == pair.run:
        return TRACE_DEPTH
    if outcome == "MemoryError" and pair.python == "pass":
        return MEMORY
    if pair.index < 0:
        return None
    source = plain_source(pair.prelude, pair.program, pair.test)
    if PlainPython(timeout_s, hash_seed="0").run(source).outcome == outcome:
        return HASH_SEED
    if (
        "__name__" in pair.program
        and PlainPython(timeout_s, run_name="solution").run(source).outcome == outcome
    ):
        return MAIN_GUARD
    return None


def explain_all(pairs: Sequence[Pair], timeout_s: float, workers: int) -> None:
    def one(pair: Pair) -> None:
        for side in ("run", "trace"):
            if pair.differs(side):
                pair.notes[side] = explain(pair, side, timeout_s) or ""

    _each(one, [p for p in pairs if p.differs("run") or p.differs("trace")], workers)


# --------------------------------------------------------------------------- the report


def summarise(pairs: Sequence[Pair]) -> dict[str, dict[str, int]]:
    """Per group: pairs compared, and per side the differences and the unexplained ones."""
    table: dict[str, dict[str, int]] = {}
    for pair in pairs:
        row = table.setdefault(pair.group, Counter())
        row["pairs"] += 1
        row["programs"] += pair.index <= 0
        for side in ("run", "trace"):
            if getattr(pair, side):
                row[f"{side} compared"] += 1
            if pair.differs(side):
                row[f"{side} differ"] += 1
                if not pair.notes.get(side):
                    row[f"{side} unexplained"] += 1
    return {group: dict(row) for group, row in table.items()}


def report(pairs: Sequence[Pair], header: list[str], before: dict[str, Any] | None) -> list[str]:
    summary = summarise(pairs)
    lines = [*header, "## Summary", ""]
    lines += [
        "| set | programs | pairs | `run` compared | `run` differs | `trace` compared | `trace` differs | "
        "unexplained |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    totals: Counter[str] = Counter()
    for group, row in summary.items():
        totals.update(row)
        lines.append(_summary_row(group, row))
    lines += [_summary_row("**all**", totals), ""]
    if before is not None:
        lines += _before(before, pairs)
    differing = [p for p in pairs if p.differs("run") or p.differs("trace")]
    lines += ["## Differences", ""]
    if not differing:
        lines += ["None.", ""]
        return lines
    lines += ["| pair | python | run | trace | why |", "| --- | --- | --- | --- | --- |"]
    for pair in differing:
        whys = " / ".join(dict.fromkeys(note or "**not explained**" for note in pair.notes.values()))
        escaped = whys.replace("|", "\\|")
        lines.append(
            f"| {pair.key} | {pair.python} | {_mark(pair, 'run')} | {_mark(pair, 'trace')} | {escaped} |"
        )
    lines.append("")
    return lines


def _mark(pair: Pair, side: str) -> str:
    value = getattr(pair, side) or "-"
    return f"**{value}**" if pair.differs(side) else value


def _summary_row(group: str, row: dict[str, int] | Counter[str]) -> str:
    unexplained = row.get("run unexplained", 0) + row.get("trace unexplained", 0)
    return (
        f"| {group} | {row.get('programs', 0)} | {row.get('pairs', 0)} | {row.get('run compared', 0)} | {row.get('run differ', 0)} | "
        f"{row.get('trace compared', 0)} | {row.get('trace differ', 0)} | {unexplained} |"
    )


FIXED = {
    "List": "tracefix's own `from __future__ import annotations` reached the program through `compile()`, so "
    "the annotation `List[str]` was never evaluated; fixed: every compile passes `dont_inherit=True`",
    "memory": "the traced run met the 1 GiB memory limit and its job had no memory left to build its result, "
    "so it reported nothing; fixed: the worker frees the program's memory and builds the result again "
    "(now the trace reports MemoryError, or the tracer's time limit comes first)",
}
"""What was wrong behind each difference of the ``--before`` run (by the ``cause`` key of :func:`cause`)."""


def cause(difference: dict[str, Any]) -> str:
    """Which entry of ``FIXED`` (or "" for none) a difference of an earlier run comes from."""
    if difference["key"].startswith("humaneval (no prelude) HumanEval/7 "):
        return "List"
    if "exited (status 0)" in str(difference.get("trace", "")):
        return "memory"
    return ""


def _before(before: dict[str, Any], pairs: Sequence[Pair]) -> list[str]:
    after = summarise(pairs)
    by_key = {pair.key: pair for pair in pairs}
    lines = [
        "## Before the fix",
        "",
        f"The same check on the code before the fix: {before['note']}",
        "",
        "| set | pairs | `run` differs before | after | `trace` differs before | after |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for group, row in before["summary"].items():
        now = after.get(group, {})
        lines.append(
            f"| {group} | {row.get('pairs', 0)} | {row.get('run differ', 0)} | {now.get('run differ', 0)} | "
            f"{row.get('trace differ', 0)} | {now.get('trace differ', 0)} |"
        )
    lines += [
        "",
        "The differences before the fix, and now:",
        "",
        "| pair | python | run | trace | now | what was wrong |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for old in before["differences"]:
        pair = by_key.get(old["key"])
        if pair is None:
            now = "not run"
        elif pair.differs("run") or pair.differs("trace"):
            now = "differs, explained below"
        else:
            now = f"agrees ({pair.python})"
        wrong = FIXED.get(cause(old), "the same difference as now (explained below)")
        lines.append(
            f"| {old['key']} | {old['python']} | {old['run']} | {old['trace'] or '-'} | {now} | {wrong} |"
        )
    return [*lines, ""]


def as_json(pairs: Sequence[Pair], note: str) -> dict[str, Any]:
    differing = [p for p in pairs if p.differs("run") or p.differs("trace")]
    keep = ("python", "run", "trace", "notes")
    return {
        "note": note,
        "summary": summarise(pairs),
        "differences": [
            {"key": p.key, **{k: v for k, v in asdict(p).items() if k in keep}} for p in differing
        ],
    }


# --------------------------------------------------------------------------- main


def collect(args: argparse.Namespace) -> list[Program]:
    sets = args.sets.split(",")
    unknown = set(sets) - set(ALL_SETS)
    if unknown:
        raise SystemExit(f"differential: unknown sets {sorted(unknown)}; choose from {', '.join(ALL_SETS)}")
    programs: list[Program] = []
    for name in sets:
        if name in LDB_SETS:
            programs += dataset_programs(name, args.data_dir)
        elif name == "humanevalfix":
            programs += dataset_programs(name, args.fix_dir)
        else:
            programs += example_programs()
    return programs


ABOUT = [
    "Each program and one of its visible tests (a *pair*) runs three ways: `python`, a temporary file holding "
    "the task's prelude, the program and the test run as `python FILE` in a fresh subprocess (stdin empty, "
    "random hash seed, the same wall limit); `run`, `Executor.run_tests`; `trace`, `Executor.trace` of the "
    "task's entry point. An outcome is `pass`, the type of the exception that ended the run, `timeout` or "
    "`SystemExit` (the program exited before its test finished). The `(no prelude)` sets run the programs "
    "whose task has a prelude without it, as `tracefix run FILE` runs a program; the `hidden` sets score each "
    "program's hidden tests with `tracefix.bench.scoring.score`, once in the sandbox and once with plain "
    "`python` as the executor (the outcome: pass, or the first failure's error). Each difference is explained "
    "(the script re-runs `python` the way tracefix deliberately differs, e.g. with its hash seed); "
    'docs/sandbox.md ("How programs run") lists every deliberate difference.',
    "",
]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    shared = ROOT.parent / "shared" / "data"
    parser.add_argument("--data-dir", type=Path, default=shared / "ldb")
    parser.add_argument("--fix-dir", type=Path, default=shared / "humanevalfix")
    parser.add_argument("--sets", default=",".join(ALL_SETS))
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--no-trace", action="store_true")
    parser.add_argument("--no-hidden", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--json-out", type=Path, default=None)
    parser.add_argument("--before", type=Path, default=None)
    args = parser.parse_args(argv)
    started = time.monotonic()
    programs = collect(args)
    pairs = pairs_of([*programs, *without_prelude(programs)])
    plain = PlainPython(args.timeout)
    run_python(pairs, plain, args.workers)
    with Executor(Limits(wall_s=args.timeout), workers=args.workers) as executor:
        mode = executor.mode
        run_executor(pairs, executor, args.workers, trace=not args.no_trace)
        if not args.no_hidden:
            pairs += run_hidden([p for p in programs if p.problem is not None], executor, plain, args.workers)
        rechecked = recheck_timeouts(pairs, executor, plain)
    explain_all(pairs, args.timeout, args.workers)
    command = " ".join(["bench/differential.py", *(sys.argv[1:] if argv is None else argv)])
    date = f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC"
    header = [
        "# Differential check: plain `python` vs tracefix's executor",
        "",
        f"Command: `.venv/bin/python {command}`  ",
        f"Date: {date}; machine: {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; sandbox mode {mode}, "
        f"{args.workers} workers; wall limit {args.timeout:g} s (traces x5); "
        f"{time.monotonic() - started:.0f} s in all; {len(rechecked)} pairs that differed with a timeout "
        "were run again, one at a time (their outcomes here are the second run's).",
        "",
        *ABOUT,
    ]
    before = json.loads(args.before.read_text(encoding="utf-8")) if args.before else None
    text = "\n".join(report(pairs, header, before))
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(text)
    if args.json_out:
        note = f"`.venv/bin/python {command}`, {date}"
        args.json_out.write_text(json.dumps(as_json(pairs, note), indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
