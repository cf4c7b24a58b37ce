"""The markdown report of a real-bugs run: bench/results/realbugs-<name>.md."""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .driver import load_results
from .generate import load_mutants
from .mutate import KINDS

GOALS = (
    "plausible >= 60 %, exact >= 40 %, no crash, no run past its budget, no file written while its tests fail"
)


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "-"


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.0f}" if values else "-"


def _mean(values: list[float]) -> str:
    return f"{statistics.fmean(values):.1f}" if values else "-"


def _count(rows: list[dict[str, Any]], key: str) -> int:
    return sum(1 for row in rows if row.get(key))


def totals_table(results: list[dict[str, Any]], strategies: list[str]) -> list[str]:
    lines = [
        "| strategy | runs | plausible | exact | exact (AST) | line restored | applied | wrote while failing "
        "| crashed | refused | hung past budget | localized | median wall s | model calls (mean) "
        "| tokens (mean) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for strategy in strategies:
        rows = [r for r in results if r["strategy"] == strategy]
        n = len(rows)
        tokens = [r.get("prompt_tokens", 0) + r.get("completion_tokens", 0) for r in rows]
        lines.append(
            f"| {strategy} | {n} | {_count(rows, 'plausible')} ({_pct(_count(rows, 'plausible'), n)}) "
            f"| {_count(rows, 'exact')} ({_pct(_count(rows, 'exact'), n)}) | {_count(rows, 'exact_ast')} "
            f"| {_count(rows, 'line_restored')} | {_count(rows, 'applied')} | {_count(rows, 'wrote_while_failing')} "
            f"| {_count(rows, 'crashed')} | {_count(rows, 'refused')} | {_count(rows, 'hung')} "
            f"| {_pct(_count(rows, 'localized'), n)} | {_median([r.get('wall_s', 0.0) for r in rows])} "
            f"| {_mean([r.get('calls', 0) for r in rows])} | {_mean(tokens)} |"
        )
    return lines


def breakdown(
    results: list[dict[str, Any]],
    strategies: list[str],
    groups: list[str],
    key: Callable[[dict[str, Any]], str],
    title: str,
) -> list[str]:
    """One row per group: mutants, then plausible / exact per strategy."""
    head = f"| {title} | mutants | " + " | ".join(f"{s} plausible | {s} exact" for s in strategies) + " |"
    lines = [head, "|---|---|" + "---|---|" * len(strategies)]
    for group in groups:
        rows = [r for r in results if key(r) == group]
        mutants = len({r["id"] for r in rows})
        if not mutants:
            continue
        cells = []
        for strategy in strategies:
            mine = [r for r in rows if r["strategy"] == strategy]
            n = len(mine)
            cells.append(f"{_count(mine, 'plausible')}/{n} ({_pct(_count(mine, 'plausible'), n)})")
            cells.append(f"{_count(mine, 'exact')}/{n} ({_pct(_count(mine, 'exact'), n)})")
        lines.append(f"| {group} | {mutants} | " + " | ".join(cells) + " |")
    return lines


def outcomes_table(results: list[dict[str, Any]], strategies: list[str]) -> list[str]:
    """How each run ended, as tracefix's session said (or why there was no session)."""
    names: list[str] = []
    for r in results:
        name = _ending(r)
        if name not in names:
            names.append(name)
    lines = ["| strategy | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for strategy in strategies:
        rows = [r for r in results if r["strategy"] == strategy]
        lines.append(
            f"| {strategy} | "
            + " | ".join(str(sum(1 for r in rows if _ending(r) == n)) for n in names)
            + " |"
        )
    return lines


def errors_table(results: list[dict[str, Any]]) -> list[str]:
    """The messages of runs that crashed, were refused or hung, grouped by their first words."""
    groups: dict[str, list[str]] = {}
    for row in results:
        if row.get("crashed") or row.get("refused") or row.get("hung"):
            text = " ".join(str(row.get("error") or _ending(row)).split())
            key = re.sub(r"'[^']*'", "'...'", re.sub(r"\S*::\S*", "NODEID", text))[:90]
            groups.setdefault(key, []).append(f"{row['id']} {row['strategy']}")
    if not groups:
        return ["None."]
    lines = ["| message (start) | runs | e.g. |", "|---|---|---|"]
    for key, runs in sorted(groups.items(), key=lambda item: -len(item[1])):
        lines.append(f"| {key.replace('|', '/')} | {len(runs)} | {runs[0]} |")
    return lines


def _ending(row: dict[str, Any]) -> str:
    if row.get("hung"):
        return "hung past budget"
    if row.get("crashed"):
        return "crashed"
    if row.get("refused"):
        return "refused (usage error)"
    if row.get("outcome"):
        return f"session {row['outcome']}"
    return f"no session (test {row.get('tracefix_outcome')})"


def render(out_dir: Path, mutants: list[dict[str, Any]], name: str) -> str:
    results = load_results(out_dir / "results.jsonl")
    config_path = out_dir / "config.json"
    config: dict[str, Any] = (
        json.loads(config_path.read_text(encoding="utf-8")) if config_path.exists() else {}
    )
    strategies: list[str] = list(config.get("strategies") or dict.fromkeys(r["strategy"] for r in results))
    by_id = {m["id"]: m for m in mutants}
    ran = [m for m in mutants if any(r["id"] == m["id"] for r in results)]
    libraries = list(dict.fromkeys(m["library"] for m in mutants))
    expected = len({r["id"] for r in results}) * len(strategies)
    lines = [
        f"# Real bugs in real libraries: {name}",
        "",
        "Single-line bugs injected into pinned releases of pure-Python libraries (issue #28 item 4), each caught "
        "by a test of the library; `tracefix pytest FIRST_FAILING_NODEID --apply` on a fresh copy per mutant and "
        "strategy, scored with plain pytest: *plausible* = the mutant's whole test file passes after the run, "
        "*exact* = the mutated file is the original again byte for byte (*exact (AST)*: the same AST; *line "
        "restored*: the mutated line is). Made by `bench/realbugs.py` (mutants: `bench/realbugs/mutants.jsonl`, "
        "libraries: `bench/realbugs/manifest.json`).",
        "",
        "Commands:",
        "",
        "```",
        *config.get("commands", []),
        "```",
        "",
        f"tracefix commit {_commits(config, results)}, model {config.get('model', '?')}, "
        f"max iterations {config.get('max_iters', '?')}, wall budget {config.get('budget_s', '?')} s per run. "
        f"{len(results)} runs of {len(ran)} mutants"
        + (f" ({expected - len(results)} runs of these mutants missing)" if expected != len(results) else "")
        + f"; the benchmark has {len(mutants)} mutants.",
        "",
        f"Goals: {GOALS}.",
        "",
        "## Totals",
        "",
        *totals_table(results, strategies),
        "",
        "*localized*: tracefix chose the mutated function as the function under test. *refused*: `tracefix "
        "pytest` stopped with a usage error (exit 2) before debugging.",
        "",
        "How the runs ended:",
        "",
        *outcomes_table(results, strategies),
        "",
        "Why runs stopped early (crashed, refused or hung):",
        "",
        *errors_table(results),
        "",
        "## By bug kind",
        "",
        *breakdown(
            results,
            strategies,
            list(KINDS),
            lambda r: by_id.get(r["id"], {}).get("kind", r.get("kind")),
            "kind",
        ),
        "",
        "## By library",
        "",
        *breakdown(results, strategies, libraries, lambda r: r.get("library", "?"), "library"),
        "",
        "## Mutants whose test hangs",
        "",
        *breakdown(
            results,
            strategies,
            ["hangs", "ends"],
            lambda r: "hangs" if by_id.get(r["id"], {}).get("hangs") else "ends",
            "test",
        ),
        "",
    ]
    return "\n".join(lines)


def write(out_dir: Path, results_dir: Path, *, name: str | None = None, mutants_path: Path) -> Path:
    name = name or out_dir.resolve().name.removeprefix("realbugs-")
    text = render(out_dir, load_mutants(mutants_path), name)
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"realbugs-{name}.md"
    path.write_text(text, encoding="utf-8")
    return path


def _commits(config: dict[str, Any], results: list[dict[str, Any]]) -> str:
    """The commit the results were made at, or each commit with how many results it made."""
    made: dict[str, int] = {}
    for result in results:
        commit = result.get("tracefix_commit") or config.get("tracefix_commit", "?")
        made[commit] = made.get(commit, 0) + 1
    if len(made) <= 1:
        return next(iter(made), str(config.get("tracefix_commit", "?")))
    return ", ".join(f"{commit} ({count} runs)" for commit, count in made.items())
