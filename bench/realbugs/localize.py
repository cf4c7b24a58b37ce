"""How often the repository mode chooses the mutated function as the function under test, without a model.

For each mutant: a fresh copy of the library with the mutant applied, then tracefix's own ``examine`` on the
mutant's first failing test (the run ``tracefix pytest`` starts with), in this process. Both rules are scored
on the same runs, side by side:

- ``spectrum``: the function ``examine`` chooses (spectrum-based fault localization over the test file's
  failing and passing tests), and the mutated function's place in the whole ranking (``spectrum_rank``, 1 is
  first; None when the failing test did not run it or the spectrum run failed);
- ``traceback``: :func:`tracefix.repo.locate.from_failure` on the same failing test's result (the rule before
  the spectrum: the innermost project frame, else the function the test called).

Also the seconds of the plain run of the failing test and of the spectrum run of its file. One JSON line per
mutant goes to OUT_DIR/localize.jsonl as soon as it is done (``--resume`` skips those there).
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from tracefix.repo.fix import Found, examine
from tracefix.repo.locate import RepoError, from_failure, suspects
from tracefix.repo.run import Budget, PytestRun

from . import libs
from .driver import _git_head, append, mutant_text, pending


def localize_one(mutant: dict[str, Any], tree: Path, budget: Budget) -> dict[str, Any]:
    """Examine the mutant's first failing test on a fresh copy; the result line."""
    work = Path(tempfile.mkdtemp(prefix=f"localize-{mutant['id']}-"))
    try:
        copy = libs.copy_tree(tree, work / "tree")
        original = (tree / mutant["file"]).read_text(encoding="utf-8")
        (copy / mutant["file"]).write_text(mutant_text(mutant, original), encoding="utf-8")
        nodeid = mutant["failing"][0]
        wanted = (mutant["file"], mutant["function"])
        result: dict[str, Any] = {"id": mutant["id"], "library": mutant["library"], "kind": mutant["kind"]}
        result.update(nodeid=nodeid, function=mutant["function"], hangs=mutant.get("hangs", False))
        spectra: dict[str, PytestRun] = {}
        started = time.monotonic()
        try:
            found = examine(str(copy), nodeid, budget=budget, spectra=spectra)
        except RepoError as exc:
            result.update(error=str(exc)[:500], spectrum=None, traceback=None, spectrum_ok=False)
            return result
        result["seconds"] = round(time.monotonic() - started, 1)
        result["test_s"] = round(found.run.duration_s, 1)
        spectrum = next(iter(spectra.values()), None)
        result["spectrum_s"] = None if spectrum is None else round(spectrum.duration_s, 1)
        result["spectrum_ok"] = found.spectrum is not None
        result["spectrum_error"] = None if spectrum is None else spectrum.error
        result["spectrum"] = [found.target.file, found.target.qualname, found.target.how]
        result["evidence"] = found.target.why
        old = from_failure(str(copy), found.result)
        result["traceback"] = None if old is None else [old.file, old.qualname, old.how]
        result["spectrum_hit"] = (found.target.file, found.target.qualname) == wanted
        result["traceback_hit"] = old is not None and (old.file, old.qualname) == wanted
        ranked = _ranking(found)
        result["spectrum_rank"] = list(ranked).index(wanted) + 1 if wanted in ranked else None
        result["top"] = [[file, name, round(score, 4)] for (file, name), score in list(ranked.items())[:5]]
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _ranking(found: Found) -> dict[tuple[str, str], float]:
    """The spectrum ranking ``examine`` chose from: (file, qualname) -> score, best first."""
    if found.spectrum is None:
        return {}
    ranked = suspects(found.root, found.result, found.spectrum)
    return {(t.file, t.qualname): t.score or 0.0 for t in ranked}


def run(
    mutants: list[dict[str, Any]], trees: dict[str, Path], out_dir: Path, budget: Budget, *, command: str
) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "localize.jsonl"
    done = [dict(r, strategy="-") for r in _lines(path)]
    todo = [m for m, _ in pending(mutants, ["-"], done)]
    commit = _git_head()
    print(
        f"{len(todo)} mutants to localize ({len(done)} done already); tracefix {commit}; {command}",
        flush=True,
    )
    for index, mutant in enumerate(todo, 1):
        result = localize_one(mutant, trees[mutant["library"]], budget)
        result["tracefix_commit"] = commit
        append(path, result)
        print(
            f"[{index}/{len(todo)}] {mutant['id']}: spectrum {'hit' if result.get('spectrum_hit') else 'miss'}"
            f" (rank {result.get('spectrum_rank')}), traceback {'hit' if result.get('traceback_hit') else 'miss'}"
            f" ({result.get('seconds')} s)",
            flush=True,
        )


def _lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict) and "id" in value:
            found.append(value)
    return found


def report(out_dir: Path, results_dir: Path, *, command: str) -> Path:
    """Write ``results_dir/realbugs-localization.md`` from OUT_DIR/localize.jsonl."""
    rows = _lines(out_dir / "localize.jsonl")
    commits = sorted({r.get("tracefix_commit", "?") for r in rows})
    lines = [
        "# Real bugs: which function the repository mode chooses to fix",
        "",
        "For each mutant of `bench/realbugs/mutants.jsonl`, tracefix's `examine` on the mutant's first failing "
        "test, no model: the function the spectrum rule chooses (Ochiai over the lines each test of the file "
        "ran) and the function the traceback rule would have chosen on the same run (innermost project frame, "
        "else the function the test called), side by side. A hit is the mutated function. Made by "
        "`bench/realbugs/localize.py`.",
        "",
        "```",
        command,
        "```",
        "",
        f"tracefix commit {', '.join(commits)}; {len(rows)} mutants.",
        "",
        "| group | mutants | spectrum hit | traceback hit | mutated function in spectrum top 2 | top 3 "
        "| spectrum run ok |",
        "|---|---|---|---|---|---|---|",
    ]
    groups: list[tuple[str, list[dict[str, Any]]]] = [("all", rows)]
    for key in ("library", "kind"):
        for value in sorted({r[key] for r in rows}):
            groups.append((f"{key}: {value}", [r for r in rows if r[key] == value]))
    groups.append(("test hangs", [r for r in rows if r.get("hangs")]))
    for name, group in groups:
        if not group:
            continue
        n = len(group)

        def share(count: int, n: int = n) -> str:
            return f"{count} ({100 * count / n:.0f} %)"

        top2, top3 = (
            sum(1 for r in group if r.get("spectrum_rank") is not None and r["spectrum_rank"] <= k)
            for k in (2, 3)
        )
        lines.append(
            f"| {name} | {n} | {share(sum(bool(r.get('spectrum_hit')) for r in group))} "
            f"| {share(sum(bool(r.get('traceback_hit')) for r in group))} | {share(top2)} | {share(top3)} "
            f"| {share(sum(bool(r.get('spectrum_ok')) for r in group))} |"
        )
    spent = [r["spectrum_s"] for r in rows if r.get("spectrum_s") is not None]
    tests = [r["test_s"] for r in rows if r.get("test_s") is not None]
    if spent and tests:
        lines += [
            "",
            f"Seconds (this machine, shared): the failing test's own run median {statistics.median(tests):.1f} s; "
            f"the spectrum run of its whole file median {statistics.median(spent):.1f} s, max {max(spent):.1f} s.",
        ]
    errors = [r for r in rows if r.get("error") or r.get("spectrum_error")]
    if errors:
        lines += ["", "Runs with an error:", ""]
        lines += [f"- {r['id']}: {r.get('error') or r.get('spectrum_error')}" for r in errors]
    path = results_dir / "realbugs-localization.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
