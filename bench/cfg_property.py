"""CFG property test: every block-to-block move a program really makes is an edge of its CFG.

Runs programs (the LDB seed programs on their visible tests, plus tests/analysis/cfg_hard_cases.py) in child
processes under a line tracer (bench/linetrace_child.py), then maps the lines of every traced function's frames
to the blocks of ``build_cfg`` and counts the moves that are not edges.

    .venv/bin/python bench/cfg_property.py                 # every seed + hard case, on each present Python
    .venv/bin/python bench/cfg_property.py --hard-only --python .venv/bin/python
    .venv/bin/python bench/cfg_property.py --python .venv/bin/python --drop-label loop   # the oracle bites
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracefix.analysis.cfg import build_cfg
from tracefix.analysis.cfgcheck import BadTransition, bad_transitions
from tracefix.analysis.source import find_function
from tracefix.records import CFG

ROOT = Path(__file__).resolve().parents[1]
CHILD = ROOT / "bench" / "linetrace_child.py"
HARD_CASES = ROOT / "tests" / "analysis" / "cfg_hard_cases.py"
DEFAULT_DATA = Path("/work/shared/data/ldb")
PYTHONS = [ROOT / ".venv/bin/python", ROOT / ".venv-py3.12/bin/python", ROOT / ".venv-py3.13/bin/python"]
CHUNK = 150


@dataclass
class Summary:
    """What one run over a set of programs on one Python found."""

    python: str
    programs: int = 0
    programs_traced: int = 0
    functions: int = 0
    moves: int = 0
    returns: int = 0
    skipped: list[str] = field(default_factory=list)
    crashed: list[str] = field(default_factory=list)
    timeouts: int = 0
    bad: list[tuple[str, BadTransition]] = field(default_factory=list)
    seconds: float = 0.0


def load_seed_jobs(data_dir: Path) -> list[dict[str, Any]]:
    """One job per seed program: its solution and its visible tests.

    A HumanEval solution that lacks a helper function its prompt defines (e.g. ``encode_cyclic``) gets the
    helper (and the prompt's imports) put after it, as LDB's harness does.
    """
    jobs = []
    for path in sorted(data_dir.glob("*/seed/*/seed.jsonl")):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            tests = row["given_tests"]
            if isinstance(tests, str):
                tests = ast.literal_eval(tests)
            program = row["solution"] + _missing_helpers(
                row.get("prompt", ""), row["solution"], row["entry_point"]
            )
            jobs.append({"id": row["task_id"], "program": program, "tests": list(tests)})
    return jobs


def _missing_helpers(prompt: str, solution: str, entry_point: str) -> str:
    try:
        prompt_tree, solution_tree = ast.parse(prompt), ast.parse(solution)
    except SyntaxError:
        return ""
    defined = {n.name for n in solution_tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    helpers = [
        n
        for n in prompt_tree.body
        if isinstance(n, ast.FunctionDef) and n.name != entry_point and n.name not in defined
    ]
    if not helpers:
        return ""
    imports = [n for n in prompt_tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    return "\n\n" + "\n\n".join(ast.get_source_segment(prompt, n) or "" for n in [*imports, *helpers]) + "\n"


def load_hard_jobs() -> list[dict[str, Any]]:
    """The hand-written hard cases (data only: the file defines CASES = [(name, program, tests), ...])."""
    namespace: dict[str, Any] = {}
    exec(compile(HARD_CASES.read_text(), str(HARD_CASES), "exec"), namespace)
    return [
        {"id": f"hard/{name}", "program": prog, "tests": tests} for name, prog, tests in namespace["CASES"]
    ]


def run_children(
    python: Path, jobs: list[dict[str, Any]], timeout: float, backend: str = "settrace"
) -> dict[str, dict[str, Any]]:
    """Trace every job in child processes; a job whose child dies or hangs gets no result."""
    results: dict[str, dict[str, Any]] = {}
    pending = list(jobs)
    while pending:
        chunk, pending = pending[:CHUNK], pending[CHUNK:]
        done = _run_chunk(python, chunk, timeout, backend)
        results.update(done)
        missing = [job for job in chunk if job["id"] not in done]
        if missing:  # the first missing job killed its child: drop it, retry the rest
            pending = missing[1:] + pending
    return results


def _run_chunk(
    python: Path, chunk: list[dict[str, Any]], timeout: float, backend: str
) -> dict[str, dict[str, Any]]:
    payload = "".join(json.dumps(job) + "\n" for job in chunk)
    budget = 30 + timeout * sum(len(job["tests"]) + 1 for job in chunk)
    try:
        proc = subprocess.run(
            [str(python), str(CHILD), str(timeout), backend],
            input=payload,
            capture_output=True,
            text=True,
            timeout=budget,
            cwd="/tmp",
        )
        out = proc.stdout
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
    done = {}
    for line in out.splitlines():
        try:
            result = json.loads(line)
        except json.JSONDecodeError:
            continue
        done[result["id"]] = result
    return done


def check(
    python: Path, jobs: list[dict[str, Any]], timeout: float = 2.0, drop: str = "", backend: str = "settrace"
) -> Summary:
    """Trace ``jobs`` on ``python`` and check every traced function's moves against its CFG.

    ``backend`` is how the child sees lines: "settrace" or "monitoring" (``sys.monitoring``, 3.12+).
    ``drop`` (a sanity check of the oracle) removes the edges with that label from every CFG first.
    """
    started = time.monotonic()
    summary = Summary(python=str(python), programs=len(jobs))
    results = run_children(python, jobs, timeout, backend)
    for job in jobs:
        result = results.get(job["id"])
        if result is None:
            summary.crashed.append(job["id"])
            continue
        summary.timeouts += result["timeouts"]
        summary.programs_traced += bool(result["codes"])
        for code in result["codes"]:
            _check_code(job, code, summary, drop)
    summary.seconds = time.monotonic() - started
    return summary


def _check_code(job: dict[str, Any], code: dict[str, Any], summary: Summary, drop: str) -> None:
    name = code["qualname"].replace(".<locals>", "")
    try:
        start, _ = find_function(job["program"], name)
        if start != code["firstlineno"]:
            raise LookupError(f"{name} defined again at line {code['firstlineno']}")
        cfg = build_cfg(job["program"], name)
    except (LookupError, SyntaxError) as exc:
        summary.skipped.append(f"{job['id']}: {exc}")
        return
    if drop:
        cfg = _without(cfg, drop)
    summary.functions += 1
    moves = [tuple(pair) for pair in code["pairs"]]
    summary.moves += len(moves)
    summary.returns += len(code["exits"])
    for bad in bad_transitions(cfg, code["entries"], moves, code["exits"]):  # type: ignore[arg-type]
        summary.bad.append((job["id"], bad))


def _without(cfg: CFG, label: str) -> CFG:
    edges = [e for e in cfg.edges if e.label != label]
    blocks = [
        b.model_copy(
            update={"successors": sorted({e.target for e in edges if e.source == b.id and e.target >= 0})}
        )
        for b in cfg.blocks
    ]
    return cfg.model_copy(update={"edges": edges, "blocks": blocks})


def report(summaries: Iterable[Summary]) -> str:
    """A markdown table of the counts, then every bad transition."""
    lines = [
        "| python | programs | traced | functions | distinct moves | return lines | bad | skipped | crashed "
        "| timeouts | s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    details = []
    for s in summaries:
        version = s.python
        lines.append(
            f"| {version} | {s.programs} | {s.programs_traced} | {s.functions} | {s.moves} | {s.returns} | {len(s.bad)} "
            f"| {len(s.skipped)} | {len(s.crashed)} | {s.timeouts} | {s.seconds:.0f} |"
        )
        details += [f"- {s.python}: {job}: {bad}" for job, bad in s.bad]
        details += [f"- {s.python}: skipped {item}" for item in s.skipped]
        details += [f"- {s.python}: crashed {item}" for item in s.crashed]
    return "\n".join([*lines, "", *details])


def _backends(choice: str, version: str) -> list[str]:
    has_monitoring = tuple(int(part) for part in version.split()[-1].split(".")[:2]) >= (3, 12)
    if choice == "both":
        return ["settrace", "monitoring"] if has_monitoring else ["settrace"]
    return [choice] if choice == "settrace" or has_monitoring else []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", type=Path, help="interpreter(s) to trace with")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the LDB data folder")
    parser.add_argument("--hard-only", action="store_true", help="only the hand-written hard cases")
    parser.add_argument("--limit", type=int, default=0, help="only the first N seed programs")
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds per test")
    parser.add_argument(
        "--backend",
        choices=["settrace", "monitoring", "both"],
        default="both",
        help="line events from sys.settrace, sys.monitoring (3.12+), or both where available",
    )
    parser.add_argument("--drop-label", default="", help="sanity check: remove edges with this label first")
    args = parser.parse_args(argv)
    jobs = load_hard_jobs()
    if not args.hard_only:
        seeds = load_seed_jobs(args.data)
        jobs += seeds[: args.limit] if args.limit else seeds
    pythons = [p.absolute() for p in args.python] if args.python else [p for p in PYTHONS if p.exists()]
    summaries = []
    for python in pythons:
        version = subprocess.run([str(python), "-V"], capture_output=True, text=True).stdout.strip()
        for backend in _backends(args.backend, version):
            summary = check(python, jobs, args.timeout, args.drop_label, backend)
            summary.python = f"{version} {backend}"
            summaries.append(summary)
            print(report([summary]).splitlines()[2], file=sys.stderr, flush=True)
    print(report(summaries))
    return 1 if any(s.bad for s in summaries) else 0


if __name__ == "__main__":
    sys.exit(main())
