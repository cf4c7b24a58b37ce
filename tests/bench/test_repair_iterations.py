"""bench/repair_iterations.py: the iteration whose program first passed every visible test."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_SPEC = importlib.util.spec_from_file_location(
    "repair_iterations", Path(__file__).parents[2] / "bench" / "repair_iterations.py"
)
assert _SPEC is not None and _SPEC.loader is not None
repair_iterations = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(repair_iterations)


def attempt(iteration: int, *passed: bool) -> dict[str, object]:
    return {"iteration": iteration, "test_results": [{"passed": p} for p in passed]}


def test_the_first_attempt_passing_every_visible_test_counts_from_one() -> None:
    session = {"attempts": [attempt(0, True, False), attempt(1), attempt(2, True, True), attempt(3, True)]}
    assert repair_iterations.first_fix(session) == 3  # no results (no program) never counts as passing
    assert repair_iterations.first_fix({"attempts": [attempt(0, False)]}) is None
    assert repair_iterations.first_fix({"attempts": None}) is None
