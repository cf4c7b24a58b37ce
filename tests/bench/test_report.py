"""Per-strategy figures of a run: what counts as debugged, and the seeds only broken tests fail."""

from __future__ import annotations

from tracefix.bench.report import strategy_summary
from tracefix.bench.store import HiddenScore, ResultRow, SeedRow

FAIL = HiddenScore(passed=False, tests=1, failed=1)
PASS = HiddenScore(passed=True, tests=1, failed=0)


def seed(task_id: str) -> SeedRow:
    return SeedRow(
        task_id=task_id, position=0, program="", source="file", hidden=FAIL, visible_passed=1, visible_total=2
    )


def row(task_id: str, outcome: str, calls: int, iterations: int, hidden: HiddenScore = FAIL) -> ResultRow:
    return ResultRow(
        task_id=task_id, strategy="s", status="done", outcome=outcome, hidden=hidden, calls=calls,
        iterations=iterations, duration_s=10.0 * calls,
    )  # fmt: skip


def test_a_seed_failing_only_broken_tests_is_counted_but_not_in_the_costs() -> None:
    seeds = [seed("T/1"), seed("T/2"), seed("T/3")]
    rows = [
        row("T/1", "fixed", 2, 1, PASS),
        row("T/2", "broken_tests", 0, 0),  # left aside before any call
        row("T/3", "broken_tests", 4, 2),  # debugged until only the broken tests failed
    ]
    summary = strategy_summary(seeds, {"T/1", "T/2", "T/3"}, rows)
    assert summary["broken_tests"] == 2
    assert summary["runs"] == 2 and summary["calls"] == {"mean": 3.0, "median": 3.0}
    assert summary["repaired"] == 1 and summary["repair_rate_visible"] == 33.3
