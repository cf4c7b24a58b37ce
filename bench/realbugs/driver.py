"""Run ``tracefix pytest`` on each mutant and strategy, and score what it wrote.

For each (mutant, strategy) pair: a fresh copy of the library's pristine tree with the mutant applied, then::

    tracefix pytest FIRST_FAILING_NODEID --root COPY --apply --json --strategy S --max-iters N

as a subprocess (the command users run; a crash or a hang of tracefix, the model included, stays in that
process and the budget kills its whole process group; the model loads again per run, a few seconds). Then the
benchmark, not tracefix, judges the copy:

- ``applied``: some file of the copy changed; ``files_written`` lists them.
- ``plausible``: the mutant's test file (the file of FIRST_FAILING_NODEID) passes in the copy with plain
  pytest (pytests.py), every test of it.
- ``exact``: the mutated file is the original file again, byte for byte; ``exact_ast`` compares the ASTs
  (a patch that restored the line but reformatted the function), ``line_restored`` the mutated line only.
- ``wrote_while_failing``: a file was written and the test file still fails (the goal is none).
- ``crashed``: tracefix exited with a code other than 0 (fixed), 1 (not fixed) or 2 (a usage error, such as
  "no function of the project appears in the failure": ``refused``), or printed no JSON.
- ``hung``: the run passed its wall budget and was killed.

One JSON line per pair is appended to OUT_DIR/results.jsonl as soon as the pair is done; ``--resume`` skips the
pairs already there, so an interrupted run goes on where it stopped.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import libs
from .pytests import run_tests, wait_or_kill

SKIPPED_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}


@dataclass
class Options:
    strategies: list[str]
    max_iters: int = 3
    budget_s: float = 1800.0
    """Wall seconds for one tracefix run (one mutant, one strategy)."""
    timeout_s: float | None = None
    """``tracefix pytest --timeout`` (None: tracefix's default)."""
    model: str | None = None
    keep: bool = False
    extra: list[str] = field(default_factory=list)
    """More ``tracefix pytest`` arguments."""
    tracefix: list[str] | None = None
    """The command that starts tracefix (default: the ``tracefix`` script beside this interpreter)."""


def tracefix_command() -> list[str]:
    script = Path(sys.executable).parent / "tracefix"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from tracefix.cli import main; main()"]


def snapshot(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under ``root`` (caches left out)."""
    files = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS)
        for name in filenames:
            if name.endswith(".pyc"):
                continue
            path = Path(dirpath) / name
            files[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


def changed_files(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(path for path in set(before) | set(after) if before.get(path) != after.get(path))


def mutant_text(mutant: dict[str, Any], original: str) -> str:
    """The mutated file: ``original`` with the mutant's line replaced (or deleted)."""
    lines = original.splitlines(keepends=True)
    index = mutant["line"] - 1
    old = lines[index]
    if old.rstrip("\r\n") != mutant["original"]:
        raise ValueError(
            f"{mutant['id']}: line {mutant['line']} of {mutant['file']} is not the mutant's original"
        )
    if mutant["mutated"] is None:
        del lines[index]
    else:
        lines[index] = mutant["mutated"] + old[len(old.rstrip("\r\n")) :]
    return "".join(lines)


def score_text(mutant: dict[str, Any], original: str, patched: str) -> dict[str, bool]:
    """exact (the file is the original again), exact_ast (same AST) and line_restored (the mutated line is)."""
    exact = patched == original
    try:
        exact_ast = exact or ast.dump(ast.parse(patched)) == ast.dump(ast.parse(original))
    except SyntaxError:
        exact_ast = False
    patched_lines = patched.splitlines()
    original_lines = original.splitlines()
    index = mutant["line"] - 1
    line_restored = (
        len(patched_lines) == len(original_lines)
        and index < len(patched_lines)
        and patched_lines[index] == original_lines[index]
    )
    return {"exact": exact, "exact_ast": exact_ast, "line_restored": exact or line_restored}


def parse_json(stdout: str) -> dict[str, Any] | None:
    """The JSON document ``tracefix pytest --json`` printed (None if there is none)."""
    start = stdout.find("{")
    while start != -1:
        with contextlib.suppress(json.JSONDecodeError):
            value, _ = json.JSONDecoder().raw_decode(stdout[start:])
            if isinstance(value, dict):
                return value
        start = stdout.find("{", start + 1)
    return None


def session_numbers(out: dict[str, Any] | None) -> dict[str, Any]:
    session = (out or {}).get("session") or {}
    usage = session.get("usage") or {}
    return {
        "outcome": session.get("outcome"),
        "session_error": session.get("error"),
        "calls": session.get("calls", 0),
        "prompt_tokens": usage.get("prompt_tokens", 0),
        "completion_tokens": usage.get("completion_tokens", 0),
        "attempts": len(session.get("attempts") or []),
        "session_s": session.get("duration_s"),
    }


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:60]


def run_one(
    mutant: dict[str, Any],
    strategy: str,
    tree: Path,
    options: Options,
    *,
    work_root: Path | None = None,
) -> dict[str, Any]:
    """One tracefix run on a fresh mutant copy, scored; the result line."""
    work = Path(tempfile.mkdtemp(prefix=f"realbugs-{mutant['id']}-", dir=work_root))
    copy = libs.copy_tree(tree, work / "tree")
    original = (tree / mutant["file"]).read_text(encoding="utf-8")
    mutated = mutant_text(mutant, original)
    (copy / mutant["file"]).write_text(mutated, encoding="utf-8")
    before = snapshot(copy)
    nodeid = mutant["failing"][0]
    command = [*(options.tracefix or tracefix_command()), "pytest", nodeid, "--root", str(copy), "--apply"]
    command += ["--json", "--strategy", strategy, "--max-iters", str(options.max_iters)]
    if options.timeout_s is not None:
        command += ["--timeout", f"{options.timeout_s:g}"]
    if options.model:
        command += ["--model", options.model]
    command += options.extra
    started = time.monotonic()
    with open(work / "stdout.txt", "w") as stdout, open(work / "stderr.txt", "w") as stderr:
        child = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, start_new_session=True
        )
        hung = wait_or_kill(child, options.budget_s)
    wall = time.monotonic() - started
    out_text = (work / "stdout.txt").read_text(errors="replace")
    err_text = (work / "stderr.txt").read_text(errors="replace")
    out = parse_json(out_text)
    code = child.returncode
    refused = not hung and code == 2
    crashed = not hung and (code not in (0, 1, 2) or (code in (0, 1) and out is None))
    written = changed_files(before, snapshot(copy))
    patched = (copy / mutant["file"]).read_text(encoding="utf-8") if (copy / mutant["file"]).exists() else ""
    result: dict[str, Any] = {
        "id": mutant["id"],
        "library": mutant["library"],
        "kind": mutant["kind"],
        "hangs": mutant.get("hangs", False),
        "strategy": strategy,
        "nodeid": nodeid,
        "exit_code": code,
        "crashed": crashed,
        "refused": refused,
        "hung": hung,
        "wall_s": round(wall, 1),
        "tracefix_outcome": (out or {}).get("outcome"),
        "target_file": ((out or {}).get("target") or {}).get("file"),
        "target_function": ((out or {}).get("target") or {}).get("function"),
        "tracefix_applied": bool((out or {}).get("applied")),
        "debugged": [d.get("function") for d in (out or {}).get("debugged") or []],
        "files_written": written,
        "applied": bool(written),
    }
    result["localized"] = result["target_file"] == mutant["file"] and result["target_function"] == mutant.get(
        "function"
    )
    result.update(session_numbers(out))
    plausible = False
    if written:
        check = run_tests(copy, [mutant["test_file"]], per_test_s=60, wall_s=900)
        plausible = check.passed
        result["check"] = {
            "counts": check.counts,
            "failing": check.failing[:5],
            "seconds": round(check.seconds, 1),
        }
    result["plausible"] = plausible
    result.update(score_text(mutant, original, patched) if written else _no_change())
    result["wrote_while_failing"] = bool(written) and not plausible
    if crashed or refused or hung:
        result["error"] = (err_text.strip().splitlines() or [""])[-1][-500:] if err_text.strip() else ""
    if options.keep:
        (work / "result.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return result


def _no_change() -> dict[str, bool]:
    return {"exact": False, "exact_ast": False, "line_restored": False}


def load_results(path: Path) -> list[dict[str, Any]]:
    """The result lines of a run (a line cut short by a crash is skipped)."""
    if not path.exists():
        return []
    results = []
    for line in path.read_text(encoding="utf-8").splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            value = json.loads(line)
            if isinstance(value, dict) and "id" in value and "strategy" in value:
                results.append(value)
    return results


def pending(
    mutants: list[dict[str, Any]], strategies: list[str], done: list[dict[str, Any]]
) -> list[tuple[dict[str, Any], str]]:
    """The (mutant, strategy) pairs not in ``done``, mutant by mutant, strategies side by side; the libraries
    take turns (the first mutant of each, then the second of each, ...), so a run stopped part way has covered
    every library alike."""
    finished = {(r["id"], r["strategy"]) for r in done}
    seen: dict[str, int] = {}
    turns = []
    for position, mutant in enumerate(mutants):
        turn = seen.get(mutant["library"], 0)
        seen[mutant["library"]] = turn + 1
        turns.append((turn, position, mutant))
    ordered = [mutant for _, _, mutant in sorted(turns, key=lambda item: (item[0], item[1]))]
    return [(m, s) for m in ordered for s in strategies if (m["id"], s) not in finished]


def append(path: Path, result: dict[str, Any]) -> None:
    """Append one result line (after a newline, if a run killed mid-write left a line cut short)."""
    cut = path.exists() and path.stat().st_size > 0 and not path.read_bytes().endswith(b"\n")
    with path.open("a", encoding="utf-8") as handle:
        handle.write(("\n" if cut else "") + json.dumps(result) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def run(
    mutants: list[dict[str, Any]],
    trees: dict[str, Path],
    out_dir: Path,
    options: Options,
    *,
    resume: bool = False,
    command: str = "",
    say: Any = print,
) -> list[dict[str, Any]]:
    out_dir.mkdir(parents=True, exist_ok=True)
    results_path = out_dir / "results.jsonl"
    done = load_results(results_path)
    if done and not resume:
        raise SystemExit(
            f"{results_path} has {len(done)} results: give --resume to go on, or another --out-dir"
        )
    commit = _write_config(out_dir, options, command, len(mutants))
    work_root = out_dir / "work" if options.keep else None
    if work_root is not None:
        work_root.mkdir(exist_ok=True)
    todo = pending(mutants, options.strategies, done)
    say(f"{len(todo)} runs to do ({len(done)} done already)")
    new = []
    for index, (mutant, strategy) in enumerate(todo, 1):
        result = run_one(mutant, strategy, trees[mutant["library"]], options, work_root=work_root)
        result["tracefix_commit"] = commit
        append(results_path, result)
        new.append(result)
        flags = [
            name
            for name in ("plausible", "exact", "crashed", "refused", "hung", "wrote_while_failing")
            if result[name]
        ]
        say(f"[{index}/{len(todo)}] {mutant['id']} {strategy}: {result['outcome'] or result['tracefix_outcome']}"
            f" {' '.join(flags)} ({result['wall_s']:.0f} s)")  # fmt: skip
    return new


def _write_config(out_dir: Path, options: Options, command: str, mutants: int) -> str:
    """Record the run's settings, and each command with the commit it ran at; the commit."""
    path = out_dir / "config.json"
    config: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    commit = _git_head()
    config.setdefault("commands", []).append(command)
    config.setdefault("commits", []).append(commit)
    config.update(
        strategies=options.strategies,
        max_iters=options.max_iters,
        budget_s=options.budget_s,
        timeout_s=options.timeout_s,
        model=options.model or "embedded (default)",
        extra=options.extra,
        mutants=mutants,
        tracefix_commit=commit,
    )
    path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return commit


def _git_head() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=libs.HERE,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return ""
    return done.stdout.strip()
