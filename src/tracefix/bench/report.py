"""The numbers of a benchmark run: per-strategy summary, ``summary.json``, ``results.csv``, a terminal table.

Definitions (all on hidden tests, which only the scorer ran):

* pass@1: problems whose final program passes, over every problem scored in the run. A problem the
  strategies did not run on (its seed passes, or it was not in ``--sample``/``--limit``) keeps its seed's
  result, and so does a seed that passes every visible test (no visible-test loop can start on it).
* repair rate (hidden): seeds failing the hidden tests whose final program passes them, over the selected
  seeds failing the hidden tests.
* repair rate (visible): the same over the selected seeds failing a visible test (the debuggable ones).
* calls, tokens, iterations and wall time per problem: over the runs the strategy actually debugged (not
  a seed that fails only visible tests no program can pass: the loop ends before any call, ``broken_tests``).
* per category (only for problems that have one, e.g. HumanEvalFix's bug types): the seeds, and per strategy
  the problems it debugged and repaired, each counted as above. ``results.csv`` then has a ``category``
  column too; a run without categories has neither.

The layout of ``summary.json`` is documented in :mod:`tracefix.bench.store`.
"""

from __future__ import annotations

import csv
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

from tracefix.bench.datasets import category_label, task_sort_key
from tracefix.bench.store import ResultRow, RunConfig, RunStore, SeedRow, dump_json

NO_CATEGORY = "(none)"
"""Where a seed without a category is counted in a run whose other seeds have one."""

CSV_FIELDS = [
    "task_id", "strategy", "status", "outcome", "seed_hidden", "seed_visible", "debuggable", "final_hidden",
    "repaired", "calls", "prompt_tokens", "completion_tokens", "iterations", "duration_s", "error",
]  # fmt: skip


def summarize(
    config: RunConfig, seeds: Sequence[SeedRow], results: Sequence[ResultRow], selected_ids: Sequence[str]
) -> dict[str, Any]:
    """The run's summary (the content of ``summary.json``)."""
    chosen = set(selected_ids)
    selected = [s for s in seeds if s.task_id in chosen]
    claimed = [s.claimed_solved for s in seeds]
    summary: dict[str, Any] = {
        "config": config.model_dump(mode="json"),
        "problems": len(seeds),
        "selected": len(selected),
        "debuggable": sum(s.debuggable for s in selected),
        "broken_seeds": sorted({r.task_id for r in results if _left_aside(r)}, key=_id_key),
        "seed": {
            "passed": sum(s.hidden.passed for s in seeds),
            "pass_at_1": _ratio(sum(s.hidden.passed for s in seeds), len(seeds)),
            "failed_hidden": sum(not s.hidden.passed for s in selected),
            "failed_visible": sum(s.debuggable for s in selected),
            "claimed_passed": sum(bool(c) for c in claimed) if all(c is not None for c in claimed) else None,
        },
        "strategies": {},
    }
    for name in config.strategies:
        rows = [r for r in results if r.strategy == name]
        summary["strategies"][name] = strategy_summary(seeds, chosen, rows)
    finished = {
        name: {r.task_id for r in results if r.strategy == name and r.status != "error"}
        for name in config.strategies
    }
    summary["only_fixed_by"] = _only_fixed_by(summary["strategies"], finished)
    if _has_categories(seeds):  # a run without categories keeps the summary it always had
        repaired = {name: s["repaired_ids"] for name, s in summary["strategies"].items()}
        summary["categories"] = category_summary(seeds, chosen, results, repaired)
    return summary


def category_summary(
    seeds: Sequence[SeedRow],
    selected: set[str],
    results: Sequence[ResultRow],
    repaired: Mapping[str, Sequence[str]],
) -> dict[str, Any]:
    """Per category, most seeds first: its seeds (scored, selected, failing hidden tests, failing a visible
    test) and per strategy the problems it debugged and repaired (``repaired``: each strategy's
    ``repaired_ids``), counted as :func:`strategy_summary` counts them: the categories' figures add up to
    the strategy's ``runs`` and ``repaired``."""
    groups: dict[str, list[SeedRow]] = {}
    for seed in seeds:
        groups.setdefault(seed.category or NO_CATEGORY, []).append(seed)
    debugged = {name: {r.task_id for r in _debugged(results) if r.strategy == name} for name in repaired}
    summary: dict[str, Any] = {}
    for category in sorted(groups, key=lambda c: (-len(groups[c]), c)):
        members = groups[category]
        ids = {s.task_id for s in members}
        chosen = [s for s in members if s.task_id in selected]
        summary[category] = {
            "seeds": len(members),
            "selected": len(chosen),
            "failed_hidden": sum(not s.hidden.passed for s in chosen),
            "debuggable": sum(s.debuggable for s in chosen),
            "strategies": {
                name: {
                    "debugged": len(debugged[name] & ids),
                    "repaired": len(set(repaired[name]) & ids),
                }
                for name in repaired
            },
        }
    return summary


def _has_categories(seeds: Sequence[SeedRow]) -> bool:
    return any(s.category is not None for s in seeds)


def strategy_summary(
    seeds: Sequence[SeedRow], selected: set[str], rows: Sequence[ResultRow]
) -> dict[str, Any]:
    """One strategy's figures; ``rows`` are its results (the selected problems it finished so far).

    A selected problem without a result yet (a stopped run) keeps its seed's result and counts as pending.
    """
    by_id = {r.task_id: r for r in rows}
    final = {
        s.task_id: by_id[s.task_id].hidden.passed if s.task_id in by_id else s.hidden.passed for s in seeds
    }
    failing_hidden = [s for s in seeds if s.task_id in selected and not s.hidden.passed]
    debuggable = [s for s in seeds if s.task_id in selected and s.debuggable]
    repaired = [s.task_id for s in failing_hidden if final[s.task_id]]
    # A seed failing only visible tests no program can pass ends before any call: not debugged, not a cost.
    debugged = _debugged(rows)
    return {
        "passed": sum(final.values()),
        "pass_at_1": _ratio(sum(final.values()), len(seeds)),
        "repaired": len(repaired),
        "repair_rate_hidden": _ratio(len(repaired), len(failing_hidden)),
        "repaired_debuggable": sum(final[s.task_id] and not s.hidden.passed for s in debuggable),
        "repair_rate_visible": _ratio(
            sum(final[s.task_id] and not s.hidden.passed for s in debuggable), len(debuggable)
        ),
        "regressed": sum(s.hidden.passed and not final[s.task_id] for s in seeds),
        "fixed_visible": sum(r.outcome == "fixed" for r in debugged),
        "broken_tests": sum(r.outcome == "broken_tests" for r in rows),
        "errors": sum(r.status == "error" or r.outcome == "error" for r in debugged),
        "cached_calls": sum(r.cached_calls for r in debugged),
        "runs": len(debugged),
        "pending": len(selected - by_id.keys()),
        "calls": _stats([r.calls for r in debugged]),
        "prompt_tokens": _stats([r.prompt_tokens for r in debugged]),
        "completion_tokens": _stats([r.completion_tokens for r in debugged]),
        "iterations": _stats([r.iterations for r in debugged]),
        "wall_s": {
            **_stats([r.duration_s for r in debugged]),
            "total": round(sum(r.duration_s for r in debugged), 1),
        },
        "repaired_ids": repaired,
    }


def _debugged(rows: Sequence[ResultRow]) -> list[ResultRow]:
    """The runs a strategy debugged: not a seed passing its visible tests, nor one left aside."""
    return [r for r in rows if r.status != "not_debuggable" and not _left_aside(r)]


def _left_aside(row: ResultRow) -> bool:
    """The seed failed only broken visible tests (``TestResult.broken``): the session made no call."""
    return row.outcome == "broken_tests" and row.calls == 0 and row.iterations == 0


def _only_fixed_by(
    strategies: dict[str, dict[str, Any]], finished: dict[str, set[str]]
) -> dict[str, dict[str, list[str]]]:
    """Per pair of strategies: the problems the first repaired and the second did not, among the problems
    both finished (a strategy stopped early is not blamed for the problems it never ran)."""
    fixed = {name: set(s["repaired_ids"]) for name, s in strategies.items()}
    return {
        a: {b: sorted((fixed[a] - fixed[b]) & finished[b], key=_id_key) for b in fixed if b != a}
        for a in fixed
    }


def _id_key(task_id: str) -> tuple[str, int, str]:

    return task_sort_key(task_id)


def _stats(values: list[float] | list[int]) -> dict[str, float]:
    if not values:
        return {"mean": 0.0, "median": 0.0}
    return {"mean": round(statistics.fmean(values), 2), "median": round(float(statistics.median(values)), 2)}


def _ratio(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


# --------------------------------------------------------------------------- outputs


def write_outputs(store: RunStore) -> dict[str, Any]:
    """Summarise the stored run and write ``summary.json`` and ``results.csv`` into its directory."""
    config = store.config()
    if config is None:
        raise ValueError(f"{store.run_dir} holds no run")
    seeds, results = store.seeds(), store.results()
    summary = summarize(config, seeds, results, store.selected())
    dump_json(store.run_dir / "summary.json", summary)
    write_csv(store.run_dir / "results.csv", seeds, results)
    return summary


def write_csv(path: Path, seeds: Sequence[SeedRow], results: Sequence[ResultRow]) -> None:
    """One row per (problem, strategy) with the seed's and the final program's results (and the problem's
    category, last, when the run's problems have categories)."""
    by_id = {s.task_id: s for s in seeds}
    categories = _has_categories(seeds)
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*CSV_FIELDS, "category"] if categories else CSV_FIELDS)
        writer.writeheader()
        for row in results:
            seed = by_id[row.task_id]
            extra = {"category": seed.category or NO_CATEGORY} if categories else {}
            writer.writerow({**_csv_row(seed, row), **extra})
    tmp.replace(path)


def _csv_row(seed: SeedRow, row: ResultRow) -> dict[str, Any]:
    return {
        "task_id": row.task_id,
        "strategy": row.strategy,
        "status": row.status,
        "outcome": row.outcome,
        "seed_hidden": int(seed.hidden.passed),
        "seed_visible": f"{seed.visible_passed}/{seed.visible_total}",
        "debuggable": int(seed.debuggable),
        "final_hidden": int(row.hidden.passed),
        "repaired": int(row.hidden.passed and not seed.hidden.passed),
        "calls": row.calls,
        "prompt_tokens": row.prompt_tokens,
        "completion_tokens": row.completion_tokens,
        "iterations": row.iterations,
        "duration_s": round(row.duration_s, 2),
        "error": row.error or "",
    }


def summary_table(summary: dict[str, Any]) -> Table:
    """The per-strategy table printed at the end of a run (medians; summary.json has the means too)."""
    config, seed = summary["config"], summary["seed"]
    table = Table(
        title=f"{config['dataset']}: {summary['problems']} problems, {summary['selected']} debugged "
        f"({summary['debuggable']} fail a visible test), model {config['model']}",
        caption=f"seed pass@1 {seed['pass_at_1']:.1f} % ({seed['passed']}/{summary['problems']}). Repaired: "
        f"seeds failing hidden tests that pass after debugging, of {seed['failed_hidden']} (vis.: of the "
        f"{seed['failed_visible']} failing a visible test). Calls, tokens in/out, iterations and seconds: "
        "median per debugged problem" + _cache_note(summary),
    )
    table.add_column("strategy", overflow="fold")  # a long spec folds onto more lines, never cut short
    for column in ("pass@1", "repaired", "vis.", "regr.", "calls", "tokens", "iters", "s", "err"):
        table.add_column(column, justify="right")
    for name, s in summary["strategies"].items():
        table.add_row(
            escape(name),  # a spec's brackets are not Rich markup: ldb[format=hole] stays whole
            f"{s['pass_at_1']:.1f} %",
            f"{s['repaired']} ({s['repair_rate_hidden']:.0f} %)",
            f"{s['repair_rate_visible']:.0f} %",
            str(s["regressed"]),
            f"{s['calls']['median']:g}",
            f"{s['prompt_tokens']['median']:.0f}/{s['completion_tokens']['median']:.0f}",
            f"{s['iterations']['median']:g}",
            f"{s['wall_s']['median']:.0f}",
            str(s["errors"]),
        )
    return table


def category_table(summary: dict[str, Any]) -> Table | None:
    """Per category: the seeds, and per strategy the problems it repaired of those it debugged; None for a
    run whose problems have no categories."""
    categories = summary.get("categories")
    if not categories:
        return None
    config = summary["config"]
    label = category_label(config["dataset"])
    table = Table(
        title=f"{config['dataset']} per {label}: repaired / debugged",
        caption="seeds: problems scored; fail hidden, fail vis.: of those selected, the seeds failing their "
        "hidden tests, and failing a visible test (the debuggable ones)",
    )
    table.add_column(label)
    for column in ("seeds", "fail hidden", "fail vis."):
        table.add_column(column, justify="right")
    for name in summary["strategies"]:
        table.add_column(escape(name), justify="right", overflow="fold")
    for category, c in categories.items():
        table.add_row(
            escape(category),
            str(c["seeds"]),
            str(c["failed_hidden"]),
            str(c["debuggable"]),
            *(f"{s['repaired']} / {s['debugged']}" for s in c["strategies"].values()),
        )
    return table


def _cache_note(summary: dict[str, Any]) -> str:
    cached = sum(s["cached_calls"] for s in summary["strategies"].values())
    return (
        f"; {cached} model calls came from the response cache (their wall time is not comparable)"
        if cached
        else ""
    )


def only_fixed_lines(summary: dict[str, Any]) -> list[str]:
    """Lines naming the problems one strategy repaired and another did not."""
    lines = []
    for a, others in summary["only_fixed_by"].items():
        for b, ids in others.items():
            if ids:
                lines.append(f"repaired by {a}, not by {b} ({len(ids)}): {', '.join(ids)}")
    return lines
