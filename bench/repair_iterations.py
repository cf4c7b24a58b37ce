"""In which iteration each repair of a stored run was found: the first attempt whose program passed every
visible test, for the repaired problems (a seed failing the hidden tests whose final program passes them,
``repaired`` of ``summary.json``: ``tracefix.bench.report.strategy_summary``'s ``repaired_ids``).

    .venv/bin/python bench/repair_iterations.py bench/runs/mbpp-holdout2-qwen1.5b feedback explain ldb

Reads the run's seeds and rows (hidden-test outcome, scoring only; the store is opened read-only) and each
repaired problem's session. A strategy that repairs only in its first iteration gains nothing from the later
ones; prints one Markdown row per strategy with the repairs found in iteration 1, 2, 3, ..., and those whose
final program still fails a visible test (a wrong visible test, as in some of TransCoder's).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

from tracefix.bench.report import strategy_summary
from tracefix.bench.store import DB_NAME, ResultRow, SeedRow


def first_fix(session: dict[str, Any]) -> int | None:
    """The 1-based iteration of the first attempt that passed every visible test it was run on."""
    for attempt in session.get("attempts") or []:
        results = attempt.get("test_results") or []
        if results and all(r["passed"] for r in results):
            return int(attempt["iteration"]) + 1
    return None


def repairs_by_iteration(run_dir: Path, strategy: str) -> Counter[int | None]:
    """Repaired problems of ``strategy`` by the iteration that found their fix (None: no attempt passed
    every visible test, though the final program passes the hidden ones)."""
    # Read-only: opening a RunStore would stamp the schema into a committed run's file.
    db = sqlite3.connect(f"{(run_dir / DB_NAME).resolve().as_uri()}?mode=ro", uri=True)
    try:
        seed_rows = db.execute("SELECT data, selected FROM seeds ORDER BY position").fetchall()
        result_rows = db.execute("SELECT data FROM results WHERE strategy = ?", (strategy,)).fetchall()
    finally:
        db.close()
    seeds = [SeedRow.model_validate_json(data) for data, _ in seed_rows]
    selected = {s.task_id for s, (_, chosen) in zip(seeds, seed_rows, strict=True) if chosen}
    rows = {r.task_id: r for r in (ResultRow.model_validate_json(data) for (data,) in result_rows)}
    found: Counter[int | None] = Counter()
    for task_id in strategy_summary(seeds, selected, list(rows.values()))["repaired_ids"]:
        path = rows[task_id].session_path
        if path is None:  # a repaired seed was debugged, so its row has a session
            raise ValueError(f"{run_dir}: {strategy} repaired {task_id} but its row has no session")
        found[first_fix(json.loads((run_dir / path).read_text(encoding="utf-8")))] += 1
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("strategies", nargs="+")
    args = parser.parse_args()
    counts = {name: repairs_by_iteration(args.run_dir, name) for name in args.strategies}
    last = max((i for c in counts.values() for i in c if i is not None), default=1)
    heads = [f"in iteration {i}" for i in range(1, last + 1)]
    print(f"| strategy | repaired | {' | '.join(heads)} | failing a visible test |")
    print("| --- | ---: | " + " | ".join("---:" for _ in range(last + 1)) + " |")
    for name, found in counts.items():
        cells = " | ".join(str(found.get(i, 0)) for i in [*range(1, last + 1), None])
        print(f"| `{name}` | {sum(found.values())} | {cells} |")


if __name__ == "__main__":
    main()
