"""The benchmark loop on the mini data directory: scoring, selection, summary figures, resume after a kill."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from benchfakes import MINI_LDB, MINI_SEEDS, OracleStrategy, oracle, sandbox, wait_for_item

from tracefix.bench.datasets import load_problems
from tracefix.bench.harness import Harness, Selection, select
from tracefix.bench.progress import LineProgress
from tracefix.bench.protocols import Strategy
from tracefix.bench.report import summarize, write_outputs
from tracefix.bench.seeds import load_seed_file
from tracefix.bench.store import ConfigMismatch, RunConfig, RunStore, session_relpath
from tracefix.records import Session, Task

PROBLEMS = load_problems("humaneval", MINI_LDB)
SEEDS = load_seed_file(MINI_SEEDS)


def config(strategies: list[str], **changes: object) -> RunConfig:
    values: dict[str, object] = {
        "dataset": "humaneval", "seeds": str(MINI_SEEDS), "strategies": strategies, "model": "fake",
        "max_iters": 2, "tracefix_version": "test",
    }  # fmt: skip
    return RunConfig.model_validate({**values, **changes})


def harness(
    run_dir: Path, strategies: dict[str, Strategy], *, resume: bool = False, jobs: int = 1
) -> Harness:
    store = RunStore(run_dir)
    store.start(config(list(strategies)), resume=resume)
    return Harness(
        problems=PROBLEMS, seed_for=lambda p: SEEDS[p.task_id], strategies=strategies,
        executor=sandbox(), store=store, jobs=jobs,
    )  # fmt: skip


def test_seeds_are_scored_on_hidden_and_visible_tests_with_the_prelude(tmp_path: Path) -> None:
    h = harness(tmp_path, {"oracle": oracle("oracle", [])})
    assert h.score_seeds(PROBLEMS) == "complete"
    rows = {r.task_id: r for r in h.store.seeds()}
    assert {t for t, r in rows.items() if r.hidden.passed} == {"Mini/1", "Mini/4"}  # Mini/4 needs the prelude
    assert {t for t, r in rows.items() if r.debuggable} == {"Mini/2", "Mini/10"}
    assert rows["Mini/3"].visible_passed == 2  # passes what it is shown, fails the hidden tests
    assert rows["Mini/4"].claimed_solved is False  # the seed file's own flag is kept beside our score


def test_a_strategy_stopped_early_is_not_said_to_miss_the_problems_it_never_ran(tmp_path: Path) -> None:
    both = oracle("both", ["Mini/2", "Mini/10"])
    h = harness(tmp_path, {"both": both})
    assert h.run(Selection()) == "complete"
    late = harness(tmp_path, {"late": oracle("late", [])}, resume=True)
    summary = write_outputs(late.store)  # "late" joined the run and has not run yet
    assert summary["strategies"]["late"]["pending"] == 5
    assert summary["only_fixed_by"]["both"]["late"] == []


def test_summary_of_a_run_with_two_strategies(tmp_path: Path) -> None:
    both = oracle("both", ["Mini/2", "Mini/10"])
    one = oracle("one", ["Mini/2"])
    h = harness(tmp_path, {"both": both, "one": one}, jobs=2)
    assert h.run(Selection()) == "complete"
    summary = write_outputs(h.store)

    assert summary["problems"] == 5
    assert summary["seed"] == {
        "passed": 2, "pass_at_1": 40.0, "failed_hidden": 3, "failed_visible": 2, "claimed_passed": 1,
    }  # fmt: skip
    s_both, s_one = summary["strategies"]["both"], summary["strategies"]["one"]
    assert (s_both["passed"], s_both["pass_at_1"], s_both["repaired"]) == (4, 80.0, 2)
    assert (s_both["repair_rate_hidden"], s_both["repair_rate_visible"]) == (66.7, 100.0)
    assert (s_one["passed"], s_one["repaired"], s_one["repair_rate_visible"]) == (3, 1, 50.0)
    assert s_both["runs"] == 2  # only the seeds failing a visible test are debugged
    assert s_both["calls"] == {"mean": 2.0, "median": 2.0}
    assert s_both["prompt_tokens"]["median"] == 100.0
    assert (s_both["iterations"]["mean"], s_one["iterations"]["mean"]) == (1.0, 0.5)
    assert (s_both["cached_calls"], s_one["cached_calls"]) == (2, 1)
    assert summary["only_fixed_by"] == {"both": {"one": ["Mini/10"]}, "one": {"both": []}}
    assert sorted(t.task_id for t in both.seen) == ["Mini/10", "Mini/2"]

    csv_lines = (tmp_path / "results.csv").read_text().splitlines()
    assert len(csv_lines) == 1 + 5 * 2
    assert json.loads((tmp_path / "summary.json").read_text())["strategies"]["one"]["repaired_ids"] == [
        "Mini/2"
    ]
    session = Session.model_validate_json((tmp_path / session_relpath("both", "Mini/10")).read_text())
    assert session.final_program.strip().endswith("return xs[0]")


def test_only_failing_and_a_fixed_sample(tmp_path: Path) -> None:
    h = harness(tmp_path, {"o": oracle("o", [])})
    h.score_seeds(PROBLEMS)
    rows = h.store.seeds()
    assert select(rows, Selection(only_failing=True)) == ["Mini/2", "Mini/3", "Mini/10"]
    sample = select(rows, Selection(sample=2, sample_seed=7))
    assert len(sample) == 2
    assert sample == select(rows, Selection(sample=2, sample_seed=7))  # reproducible
    assert set(sample) <= {"Mini/2", "Mini/3", "Mini/10"}
    assert select(rows, Selection(limit=2)) == ["Mini/1", "Mini/2"]
    held_out = select(rows, Selection(sample=2, sample_seed=7, exclude=frozenset(sample)))
    assert held_out == [t for t in ["Mini/2", "Mini/3", "Mini/10"] if t not in sample]  # one is left
    assert select(rows, Selection(limit=2, exclude=frozenset({"Mini/1"}))) == ["Mini/2", "Mini/3"]


class Killed(BaseException):
    """Stands for the process dying: not an Exception, so the harness does not store it as an item error."""


class DiesOnSecondCall(OracleStrategy):
    def __call__(self, task: Task, program: str) -> Session:
        if len(self.seen) == 1:
            raise Killed
        return super().__call__(task, program)


def test_resume_after_a_kill_reruns_only_unfinished_items(tmp_path: Path) -> None:
    dying = DiesOnSecondCall("o", {"Mini/2", "Mini/10"})
    with pytest.raises(Killed):
        harness(tmp_path, {"o": dying}).run(Selection())
    store = RunStore(tmp_path)
    assert [(r.task_id, r.status) for r in store.results() if r.status == "done"] == [("Mini/2", "done")]
    assert "Mini/10" not in {r.task_id for r in store.results()}

    again = oracle("o", ["Mini/2", "Mini/10"])
    resumed = harness(tmp_path, {"o": again}, resume=True)
    assert resumed.run(Selection()) == "complete"
    assert [t.task_id for t in again.seen] == ["Mini/10"]
    assert summarize(store.config(), store.seeds(), store.results(), store.selected())["strategies"]["o"][
        "repaired"
    ] == 2  # fmt: skip


def test_resume_refuses_different_settings_but_accepts_more_strategies(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    store.start(config(["feedback"]), resume=False)
    with pytest.raises(ConfigMismatch, match="--resume"):
        store.start(config(["feedback"]), resume=False)
    with pytest.raises(ConfigMismatch, match="--max-iters: 2 -> 3"):
        store.start(config(["feedback"], max_iters=3), resume=True)
    with pytest.raises(ConfigMismatch, match="--exclude-run: 0 task ids left out -> 2"):
        store.start(config(["feedback"]).model_copy(update={"exclude": ["Mini/1", "Mini/2"]}), resume=True)
    merged = store.start(config(["ldb"]), resume=True)
    assert merged.strategies == ["feedback", "ldb"]


def test_a_strategy_error_is_stored_and_retried_on_resume(tmp_path: Path) -> None:
    class Broken:
        def __call__(self, task: Task, program: str) -> Session:
            raise RuntimeError("boom")

    h = harness(tmp_path, {"o": Broken()})
    assert h.run(Selection()) == "complete"
    errors = [r for r in h.store.results() if r.status == "error"]
    assert [r.task_id for r in errors] == ["Mini/2", "Mini/10"]
    assert errors[0].error is not None and errors[0].error.startswith("RuntimeError: boom")
    assert errors[0].hidden.passed is False  # the seed's result stands
    assert ("Mini/2", "o") not in h.store.finished()


KILL_SCRIPT = """
import sys, time
sys.path.insert(0, {tests!r})
from pathlib import Path
from benchfakes import OracleStrategy
from test_harness import harness
from tracefix.bench.harness import Selection

class Slow(OracleStrategy):
    def __call__(self, task, program):
        time.sleep(0.3 if task.task_id == "Mini/2" else 60)
        return super().__call__(task, program)

harness(Path({run_dir!r}), {{"o": Slow("o", {{"Mini/2", "Mini/10"}})}}).run(Selection())
"""


def test_a_sigkilled_run_keeps_every_finished_item(tmp_path: Path) -> None:
    script = KILL_SCRIPT.format(tests=str(Path(__file__).parent), run_dir=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    try:
        wait_for_item(tmp_path, ("Mini/2", "o"))
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    store = RunStore(tmp_path)
    assert [(r.task_id, r.status) for r in store.results() if r.status == "done"] == [("Mini/2", "done")]
    assert "Mini/10" not in {r.task_id for r in store.results()}  # in flight when killed: lost, nothing else
    assert len(store.seeds()) == 5


CTRL_C_SCRIPT = """
import signal, sys, time
# A shell that starts the suite in the background leaves SIGINT ignored, and children inherit that.
signal.signal(signal.SIGINT, signal.default_int_handler)
sys.path.insert(0, {tests!r})
from pathlib import Path
from benchfakes import OracleStrategy
from test_harness import harness
from tracefix.bench.harness import Selection

class Slow(OracleStrategy):
    def __call__(self, task, program):
        time.sleep(4)
        return super().__call__(task, program)

strategies = {{"a": Slow("a", {{"Mini/2", "Mini/10"}}), "b": Slow("b", {{"Mini/2"}})}}
print(harness(Path({run_dir!r}), strategies).run(Selection()), flush=True)
"""


def test_ctrl_c_finishes_the_item_in_flight_and_starts_no_other(tmp_path: Path) -> None:
    script = CTRL_C_SCRIPT.format(tests=str(Path(__file__).parent), run_dir=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    wait_for_item(tmp_path, ("Mini/2", "a"))
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)  # strategy "a" on Mini/2 is done, "b" on Mini/2 is in flight
    out, _ = proc.communicate(timeout=60)
    assert out.strip() == "stopped"
    done = [(r.task_id, r.strategy) for r in RunStore(tmp_path).results() if r.status == "done"]
    assert done == [("Mini/2", "a"), ("Mini/2", "b")]


def test_a_session_ended_by_a_model_error_is_kept_and_retried_on_resume(tmp_path: Path) -> None:
    class ServerDown(OracleStrategy):
        def __call__(self, task: Task, program: str) -> Session:
            session = super().__call__(task, program)
            return session.model_copy(update={"outcome": "error", "error": "server unavailable"})

    h = harness(tmp_path, {"o": ServerDown("o", set())})
    assert h.run(Selection()) == "complete"
    row = next(r for r in h.store.results() if r.task_id == "Mini/2")
    assert (row.status, row.outcome, row.error) == ("error", "error", "server unavailable")
    assert row.session_path is not None and (tmp_path / row.session_path).exists()

    again = oracle("o", ["Mini/2"])
    assert harness(tmp_path, {"o": again}, resume=True).run(Selection()) == "complete"
    assert sorted(t.task_id for t in again.seen) == ["Mini/10", "Mini/2"]


def test_a_log_gets_one_line_per_finished_item_with_what_is_left_and_an_eta(tmp_path: Path) -> None:
    log = io.StringIO()
    ticks = iter(range(0, 1000, 10))  # each reading of the clock is 10 s after the last
    h = harness(tmp_path, {"both": oracle("both", ["Mini/2", "Mini/10"]), "one": oracle("one", ["Mini/2"])})
    h.progress = LineProgress(log, clock=lambda: float(next(ticks)))
    assert h.run(Selection(only_failing=True)) == "complete"
    lines = log.getvalue().splitlines()
    assert lines[0] == "scoring seeds: 5 to do" and lines[1] == "debugging: 3 to do"
    items = lines[2:]
    assert len(items) == 6  # 3 selected problems x 2 strategies, each once
    assert items[0].startswith("Mini/2 both: fixed, repaired, 2 calls, ") and items[0].endswith(
        "; 5 left, ETA 50 s"
    )
    assert "Mini/3 one: not debuggable" in "\n".join(items)
    assert items[-1].endswith("; 0 left")
    repaired = [line.split(":")[0] for line in items if ", repaired" in line]
    assert sorted(repaired) == ["Mini/10 both", "Mini/2 both", "Mini/2 one"]
