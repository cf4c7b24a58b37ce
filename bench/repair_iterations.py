"""In which iteration each repair of a stored run was found: the first attempt whose program passed every
visible test, for the problems whose final program passes the hidden tests.

    .venv/bin/python bench/repair_iterations.py bench/runs/mbpp-holdout2-qwen1.5b feedback explain ldb

Reads the run's rows (hidden-test outcome, scoring only) and each repaired problem's session. A strategy
that repairs only in its first iteration gains nothing from the later ones; prints one Markdown row per
strategy with the repairs found in iteration 1, 2, 3, ..., and those whose final program still fails a
visible test (a wrong visible test, as in some of TransCoder's).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any


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
    db = sqlite3.connect(run_dir / "run.sqlite")
    try:
        rows = db.execute("select data from results where strategy = ?", (strategy,)).fetchall()
    finally:
        db.close()
    found: Counter[int | None] = Counter()
    for (data,) in rows:
        row = json.loads(data)
        if not (row.get("hidden") or {}).get("passed") or not row.get("session_path"):
            continue  # not repaired, or a seed that was never debugged
        found[first_fix(json.loads((run_dir / row["session_path"]).read_text()))] += 1
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
