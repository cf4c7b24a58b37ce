"""bench/repair_iterations.py: the iteration whose program first passed every visible test, for the repairs."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path

import pytest
from committed import committed_runs

from tracefix.bench.scoring import HiddenScore
from tracefix.bench.store import ResultRow, RunConfig, RunStore, SeedRow
from tracefix.records import Attempt, Session, Task, TestResult

ROOT = Path(__file__).parents[2]
_SPEC = importlib.util.spec_from_file_location("repair_iterations", ROOT / "bench" / "repair_iterations.py")
assert _SPEC is not None and _SPEC.loader is not None
repair_iterations = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(repair_iterations)

FAIL = HiddenScore(passed=False, tests=1, failed=1)
PASS = HiddenScore(passed=True, tests=1, failed=0)
RUNS = committed_runs()


def attempt(iteration: int, *passed: bool) -> dict[str, object]:
    return {"iteration": iteration, "test_results": [{"passed": p} for p in passed]}


def test_the_first_attempt_passing_every_visible_test_counts_from_one() -> None:
    session = {"attempts": [attempt(0, True, False), attempt(1), attempt(2, True, True), attempt(3, True)]}
    assert repair_iterations.first_fix(session) == 3  # no results (no program) never counts as passing
    assert repair_iterations.first_fix({"attempts": [attempt(0, False)]}) is None
    assert repair_iterations.first_fix({"attempts": None}) is None


def _store_item(store: RunStore, position: int, seed_hidden: HiddenScore, final_hidden: HiddenScore) -> None:
    """One debugged problem whose seed fails its one visible test; its only attempt passes it."""
    task_id = f"T/{position}"
    store.save_seed(
        SeedRow(
            task_id=task_id,
            position=position,
            program="p",
            source="file",
            hidden=seed_hidden,
            visible_passed=0,
            visible_total=1,
        )
    )
    session = Session(
        task=Task(task_id=task_id, entry_point="f", visible_tests=["assert f()"]),
        strategy="s",
        initial_program="p",
        attempts=[
            Attempt(iteration=0, program="q", test_results=[TestResult(test="assert f()", passed=True)])
        ],
        final_program="q",
        outcome="fixed",
    )
    row = ResultRow(
        task_id=task_id,
        strategy="s",
        status="done",
        outcome="fixed",
        hidden=final_hidden,
        final_program="q",
        iterations=1,
    )
    store.save_result(row, session)


def test_only_seeds_failing_the_hidden_tests_count_as_repairs(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    config = RunConfig(dataset="d", seeds="f", strategies=["s"], model="m", max_iters=3, tracefix_version="0")
    store.start(config, resume=False)
    _store_item(store, 0, FAIL, PASS)  # repaired
    _store_item(store, 1, PASS, PASS)  # already passed the hidden tests (a wrong visible test): not a repair
    _store_item(store, 2, FAIL, FAIL)  # not repaired
    store.select(["T/0", "T/1", "T/2"])
    store.close()
    assert repair_iterations.repairs_by_iteration(tmp_path, "s") == Counter({1: 1})


@pytest.mark.parametrize("run_dir", RUNS, ids=[r.name for r in RUNS])
def test_the_repairs_of_each_committed_run_are_those_of_its_summary(run_dir: Path) -> None:
    strategies = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))["strategies"]
    counted = {
        name: sum(repair_iterations.repairs_by_iteration(run_dir, name).values()) for name in strategies
    }
    assert counted == {name: s["repaired"] for name, s in strategies.items()}
