"""Make the benchmark's mutants: single-line bugs that some test of the library catches.

For each library of the manifest (``python bench/realbugs.py generate``):

1. Baseline: its test files run once plainly (tests counted, suite timed) and once with line coverage; every
   test must pass. The coverage says which lines of the library each test file runs.
2. Candidates: every mutation (mutate.py) of a covered line of a top-level function or method.
3. Selection: for each kind in turn, a seeded RNG (``random.Random(f"{seed}/{library}/{kind}")``) orders the
   candidates; the next one in a function that has no mutant yet is tried (once every function has one,
   any function will do). A try writes the mutant into a scratch copy of the tree and runs the test files
   that cover its line, the one named after its module first, one file at a time until a test fails. A
   mutant is kept when some test fails; a test that runs past the per-test timeout (pytest-timeout), or a
   run past its wall timeout, makes it a ``hangs`` mutant. A mutant that breaks the import of the test file
   (no test to debug) is not kept. Until ``per_kind`` mutants of each kind are kept or ``max_tries``
   candidates were tried.
4. Hangs: a mutant that makes a test never end is rare by chance (a loop's step or bound broken). When the
   selection kept fewer than ``hangs`` of them, the untried candidates on lines of ``while`` loops, in a
   seeded order (``random.Random(f"{seed}/{library}/hangs")``, missing logic and operator misuse first), are
   tried (at most ``hang_tries``), and those that make a test hang are kept too (those that merely fail are
   not, so the kinds stay balanced).

With ``--library``, only those libraries are made again; the other libraries' mutants and statistics stay
as they are in the output files (a library's mutants depend only on the manifest, the seed and its tests).

Every library's candidates, order and tries depend only on the manifest, the seed and the test outcomes, so
the same command makes the same mutants (libraries run in parallel with ``--jobs``, each on its own).
"""

from __future__ import annotations

import ast
import json
import random
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import libs
from .mutate import KINDS, Mutation, mutations
from .pytests import TestRun, run_tests

PER_TEST_S = 20.0
"""pytest-timeout for one test of a mutant run (a test slower than 5 s at baseline gets 4x its time)."""
MAX_FAILING = 25


@dataclass
class Baseline:
    tests: int
    seconds: float
    file_seconds: dict[str, float]
    slowest: dict[str, float]
    """Test file -> its slowest test's seconds."""
    cover: dict[str, dict[int, list[str]]]
    """Source file (relative) -> line -> test files that run it."""


@dataclass
class Candidate:
    file: str
    mutation: Mutation
    tests: list[str]


@dataclass
class LibraryResult:
    library: libs.Library
    baseline: Baseline
    candidates: Counter[str] = field(default_factory=Counter)
    tried: Counter[str] = field(default_factory=Counter)
    kept: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0


def baseline(library: libs.Library, tree: Path) -> Baseline:
    """Run the library's test files plainly and with coverage; raise unless every test passes."""
    plain = run_tests(tree, library.tests, per_test_s=120, wall_s=1800)
    _require_pass(library, plain, "plain")
    cover_root = tree / library.sources[0] if len(library.sources) == 1 else tree
    covered = run_tests(tree, library.tests, per_test_s=600, wall_s=3600, cover=cover_root)
    _require_pass(library, covered, "coverage")
    file_seconds: dict[str, float] = {}
    slowest: dict[str, float] = {}
    for nodeid, seconds in plain.durations.items():
        test_file = nodeid.split("::")[0]
        file_seconds[test_file] = file_seconds.get(test_file, 0.0) + seconds
        slowest[test_file] = max(slowest.get(test_file, 0.0), seconds)
    cover: dict[str, dict[int, list[str]]] = {}
    for test_file, sources in (covered.cover or {}).items():
        for source, lines in sources.items():
            rel = Path(source).relative_to(tree.resolve()).as_posix()
            for line in lines:
                cover.setdefault(rel, {}).setdefault(line, []).append(test_file)
    return Baseline(len(plain.outcomes), plain.seconds, file_seconds, slowest, cover)


def _require_pass(library: libs.Library, run: TestRun, what: str) -> None:
    if not run.passed:
        bad = run.failing[:5] + run.collect_errors[:2]
        raise SystemExit(f"{library.key}: the pristine tree fails its tests ({what} run): {bad}")


def candidates(library: libs.Library, tree: Path, base: Baseline) -> list[Candidate]:
    found = []
    for rel in library.source_files(tree):
        lines = base.cover.get(rel)
        if not lines:
            continue
        source = (tree / rel).read_text(encoding="utf-8")
        try:
            ast.parse(source)
        except SyntaxError:
            continue
        module = Path(rel).stem
        for mutation in mutations(source, lines=set(lines)):
            tests = sorted(set(lines[mutation.line]), key=lambda t: (Path(t).stem != f"test_{module}", t))
            found.append(Candidate(rel, mutation, tests))
    return found


def queues_for(found: list[Candidate], seed: int, name: str) -> dict[str, list[Candidate]]:
    """The candidates of each kind in the order they are tried: shuffled by a RNG seeded with the seed, the
    library and the kind (so a library or kind added later does not reorder the others)."""
    queues = {}
    for kind in KINDS:
        queue = [c for c in found if c.mutation.kind == kind]
        random.Random(f"{seed}/{name}/{kind}").shuffle(queue)
        queues[kind] = queue
    return queues


def generate_library(
    library: libs.Library,
    cache: Path,
    *,
    seed: int,
    per_kind: int,
    max_tries: int,
    hangs: int = 2,
    hang_tries: int = 20,
    say: Any = print,
) -> LibraryResult:
    started = time.monotonic()
    tree = libs.fetch(library, cache, say=say)
    base = baseline(library, tree)
    say(f"{library.key}: {base.tests} tests pass in {base.seconds:.1f} s")
    result = LibraryResult(library, base)
    queues = queues_for(candidates(library, tree, base), seed, library.name)
    result.candidates.update({kind: len(queue) for kind, queue in queues.items()})
    kept: Counter[str] = Counter()
    used_functions: set[tuple[str, str]] = set()
    used_lines: set[tuple[str, int]] = set()
    with tempfile.TemporaryDirectory(prefix=f"realbugs-gen-{library.name}-") as scratch:
        work = libs.copy_tree(tree, Path(scratch) / library.key)
        tries = 0
        while tries < max_tries:
            open_kinds = [k for k in KINDS if kept[k] < per_kind and queues[k]]
            if not open_kinds:
                break
            for kind in open_kinds:
                if tries >= max_tries or kept[kind] >= per_kind:
                    continue
                candidate = _next(queues[kind], used_functions, used_lines)
                if candidate is None:
                    continue
                tries += 1
                result.tried[kind] += 1
                record = try_mutant(library, tree, work, candidate, base)
                if record is None:
                    continue
                kept[kind] += 1
                used_lines.add((candidate.file, candidate.mutation.line))
                used_functions.add((candidate.file, candidate.mutation.function))
                _keep(result, record, candidate, say)
        loops = [c for kind in KINDS for c in queues[kind] if c.mutation.in_while]
        random.Random(f"{seed}/{library.name}/hangs").shuffle(loops)
        # a loop's step or bound broken first: a deleted or reversed update, a flipped comparison
        loops.sort(key=lambda c: c.mutation.kind not in ("missing logic", "operator misuse"))
        hang_tried = 0
        for candidate in loops:
            if sum(1 for r in result.kept if r["hangs"]) >= hangs or hang_tried >= hang_tries:
                break
            if (candidate.file, candidate.mutation.line) in used_lines:
                continue
            hang_tried += 1
            result.tried["hang pass"] += 1
            record = try_mutant(library, tree, work, candidate, base)
            if record is not None and record["hangs"]:
                used_lines.add((candidate.file, candidate.mutation.line))
                _keep(result, record, candidate, say)
    result.seconds = time.monotonic() - started
    say(f"{library.key}: kept {len(result.kept)} of {tries} tried in {result.seconds:.0f} s")
    return result


def _keep(result: LibraryResult, record: dict[str, Any], candidate: Candidate, say: Any) -> None:
    record["id"] = f"{result.library.name}-{len(result.kept) + 1:03d}"
    result.kept.append(record)
    flag = " (hangs)" if record["hangs"] else ""
    where = f"{candidate.file}:{candidate.mutation.line}"
    say(f"{record['id']}: {candidate.mutation.kind}: {where} {record['failing'][0]}{flag}")


def _next(
    queue: list[Candidate], used_functions: set[tuple[str, str]], used_lines: set[tuple[str, int]]
) -> Candidate | None:
    """The first candidate in a function without a mutant yet, else the first on a fresh line."""
    for fresh_function in (True, False):
        for index, candidate in enumerate(queue):
            if (candidate.file, candidate.mutation.line) in used_lines:
                continue
            if fresh_function and (candidate.file, candidate.mutation.function) in used_functions:
                continue
            return queue.pop(index)
    queue.clear()
    return None


def try_mutant(
    library: libs.Library, tree: Path, work: Path, candidate: Candidate, base: Baseline
) -> dict[str, Any] | None:
    """Run the covering test files against the mutant in ``work``; the record when a test fails."""
    target = work / candidate.file
    original = (tree / candidate.file).read_text(encoding="utf-8")
    target.write_text(candidate.mutation.apply(original), encoding="utf-8")
    try:
        for test_file in candidate.tests:
            slowest = base.slowest.get(test_file, 0.0)
            per_test = PER_TEST_S if slowest <= 5 else 4 * slowest
            wall = 60 + 3 * base.file_seconds.get(test_file, 0.0) + 2 * per_test
            run = run_tests(work, [test_file], per_test_s=per_test, wall_s=wall)
            if run.passed:
                continue
            if not run.failing:  # the test file did not import: no test to debug
                return None
            return _record(library, candidate, test_file, run)
        return None
    finally:
        target.write_text(original, encoding="utf-8")


def _record(library: libs.Library, candidate: Candidate, test_file: str, run: TestRun) -> dict[str, Any]:
    mutation = candidate.mutation
    # A test that hangs first, then tests that fail by themselves, then tests that fail only in subtests
    # (pytest reports those as passed, and so does the repository mode).
    hangs = run.hangs
    rest = [n for n in run.failing if n not in hangs]
    failing = [*hangs, *(n for n in rest if n not in run.subtest), *(n for n in rest if n in run.subtest)]
    first = failing[0]
    return {
        "id": "",
        "library": library.name,
        "version": library.version,
        "file": candidate.file,
        "line": mutation.line,
        "function": mutation.function,
        "kind": mutation.kind,
        "operator": mutation.operator,
        "original": mutation.original,
        "mutated": mutation.mutated,
        "test_file": test_file,
        "failing": failing[:MAX_FAILING],
        "failing_count": len(failing),
        "message": run.messages.get(first, "; ".join(run.collect_errors)[:300]),
        "hangs": bool(hangs),
        "subtests_only": first in run.subtest,
        "in_while": mutation.in_while,
        "seconds": round(run.seconds, 1),
    }


def generate(
    manifest: libs.Manifest,
    cache: Path,
    *,
    names: list[str] | None = None,
    per_kind: int = 6,
    max_tries: int = 200,
    hangs: int = 2,
    jobs: int = 2,
    out: Path = libs.MUTANTS,
    stats_out: Path = libs.LIBRARIES,
    command: str = "",
) -> list[LibraryResult]:
    chosen = [lib for lib in manifest.libraries if not names or lib.name in names]
    lock = threading.Lock()

    def say(text: str) -> None:
        with lock:
            print(text, flush=True)

    results: dict[str, LibraryResult] = {}

    def work(library: libs.Library) -> None:
        results[library.name] = generate_library(
            library, cache, seed=manifest.seed, per_kind=per_kind, max_tries=max_tries, hangs=hangs, say=say
        )

    threads: list[threading.Thread] = []
    pending = list(chosen)
    while pending or threads:
        threads = [t for t in threads if t.is_alive()]
        while pending and len(threads) < max(1, jobs):
            thread = threading.Thread(target=work, args=(pending.pop(0),))
            thread.start()
            threads.append(thread)
        time.sleep(0.5)
    ordered = [results[lib.name] for lib in chosen if lib.name in results]
    if len(ordered) != len(chosen):
        raise SystemExit("some libraries failed (see above)")
    made = {result.library.name for result in ordered}
    records = {result.library.name: result.kept for result in ordered}
    stats = {result.library.name: _stats(result, command, per_kind, max_tries, hangs) for result in ordered}
    if names and out.exists():  # keep the other libraries' mutants
        for record in load_mutants(out):
            if record["library"] not in made:
                records.setdefault(record["library"], []).append(record)
    if names and stats_out.exists():
        for entry in json.loads(stats_out.read_text(encoding="utf-8")).get("libraries", []):
            if entry["name"] not in made:
                stats[entry["name"]] = entry
    order = [lib.name for lib in manifest.libraries]
    with out.open("w", encoding="utf-8") as handle:
        for name in order:
            for record in records.get(name, []):
                handle.write(json.dumps(record) + "\n")
    summary = {"seed": manifest.seed, "libraries": [stats[name] for name in order if name in stats]}
    stats_out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return ordered


def _stats(result: LibraryResult, command: str, per_kind: int, max_tries: int, hangs: int) -> dict[str, Any]:
    library, base = result.library, result.baseline
    kinds = Counter(record["kind"] for record in result.kept)
    return {
        "name": library.name,
        "command": command,
        "per_kind": per_kind,
        "max_tries": max_tries,
        "hangs_sought": hangs,
        "version": library.version,
        "sha256": library.sha256,
        "test_command": f"python -m pytest {' '.join(library.tests)}",
        "src_path": library.src_path,
        "tests": base.tests,
        "suite_seconds": round(base.seconds, 1),
        "candidates": dict(result.candidates),
        "tried": dict(result.tried),
        "kept": {kind: kinds.get(kind, 0) for kind in KINDS},
        "kept_total": len(result.kept),
        "hangs": sum(1 for record in result.kept if record["hangs"]),
        "subtests_only": sum(1 for record in result.kept if record["subtests_only"]),
        "generation_seconds": round(result.seconds),
    }


def load_mutants(path: Path = libs.MUTANTS) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def in_turns(mutants: list[dict[str, Any]], per_library: int) -> list[dict[str, Any]]:
    """The first ``per_library`` mutants of each library, one of each library in turn (libraries in order of
    their first mutant)."""
    by_library: dict[str, list[dict[str, Any]]] = {}
    for mutant in mutants:
        by_library.setdefault(mutant["library"], []).append(mutant)
    heads = [group[:per_library] for group in by_library.values()]
    return [group[i] for i in range(per_library) for group in heads if i < len(group)]
