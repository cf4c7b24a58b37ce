"""Model time per debugged problem, summed from each reply's own measured latency, cached or not.

    .venv/bin/python bench/model_time.py bench/runs/mbpp-qwen1.5b "ldb[docstring=on,format=hole]" [...]

A variant added to a finished run with ``--resume --strategies`` gets many replies from the response
cache, so its wall times say little. Each reply records the latency of the call that produced it (a cached
reply keeps the original call's), so their sum per problem is what the model time would have been without
the cache (sandbox runs and tracing, a few ms each, are left out). Prints the median and mean per strategy.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any


def replies(session: dict[str, Any]) -> list[dict[str, Any]]:
    """Every reply of a session, in order."""
    return [r for a in session.get("attempts") or [] for r in a["replies"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("strategies", nargs="+")
    args = parser.parse_args()
    print("| strategy | debugged problems | model seconds per problem, median (mean) | cached replies |")
    print("| --- | ---: | ---: | ---: |")
    for name in args.strategies:
        sessions = [
            json.loads(p.read_text()) for p in sorted((args.run_dir / "sessions" / name).glob("*.json"))
        ]
        debugged = [replies(s) for s in sessions if s.get("attempts")]
        if not debugged:
            continue
        times = [sum(float(r["latency_s"]) for r in each) for each in debugged]
        cached = sum(bool(r.get("cached")) for each in debugged for r in each)
        print(
            f"| `{name}` | {len(times)} | {statistics.median(times):.0f} ({statistics.mean(times):.0f}) "
            f"| {cached} of {sum(map(len, debugged))} |"
        )


if __name__ == "__main__":
    main()
