"""Today's code, given the model's stored replies, debugs the committed runs' problems as they were debugged:
the same prompts in the same order, so the same final programs and the same repairs (``bench/replay.py``).

A change to a prompt, to the evidence or to the loop shows up here as a replay that no longer fits its
replies; a change meant to alter a strategy's behaviour must say so by relabelling the runs it affects.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from tracefix.execution.sandbox import Executor

ROOT = Path(__file__).resolve().parents[2]
_SPEC = importlib.util.spec_from_file_location("replay", ROOT / "bench" / "replay.py")
assert _SPEC is not None and _SPEC.loader is not None
replay = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(replay)

# run, stored label, repairs in its summary.json. The MBPP self-seed run was made with today's code (c9bee88,
# whose strategies this code keeps, with the docstring shown, as the label says since docstring=off became the
# default): every prompt must be the stored one.
EXACT = [
    ("mbpp-selfseed-qwen1.5b", "ldb[docstring=on]", 8),
    ("mbpp-selfseed-qwen1.5b", "feedback", 2),
    ("mbpp-selfseed-qwen1.5b", "explain", 3),
]
# Runs made before later wording changes of the prompts (findings, 8b15a0b): the replies still lead to the
# same final programs, so the same repairs; their prompts are not compared.
SAME_REPAIRS = [
    (
        "humaneval-qwen1.5b",
        "ldb[docstring=on,format=hole,past=on,recut=on,rewrite=on,samples=3,ties=oldest,types=on]",
        17,
    ),
    ("humaneval-selfseed-qwen1.5b", "ldb[docstring=on]", 13),
]


def _ids(cases: list[tuple[str, str, int]]) -> list[str]:
    return [f"{run}:{label}" for run, label, _ in cases]


@pytest.fixture(scope="module")
def executor() -> Iterator[Executor]:
    with Executor() as started:
        yield started


@pytest.mark.parametrize(("run", "label", "repairs"), EXACT, ids=_ids(EXACT))
def test_the_stored_sessions_replay_prompt_for_prompt(
    executor: Executor, run: str, label: str, repairs: int
) -> None:
    records = replay.replay(ROOT / "bench" / "runs" / run, label, label, executor)
    differ = [t for t, r in records.items() if not (r["same_program"] and r["same_prompts"])]
    assert differ == []
    assert all(r["calls"] == r["stored_calls"] for r in records.values())
    assert sum(bool(r["repaired"]) for r in records.values()) == repairs


@pytest.mark.parametrize(("run", "label", "repairs"), SAME_REPAIRS, ids=_ids(SAME_REPAIRS))
def test_older_runs_replay_to_the_same_final_programs(
    executor: Executor, run: str, label: str, repairs: int
) -> None:
    records = replay.replay(ROOT / "bench" / "runs" / run, label, label, executor)
    assert [t for t, r in records.items() if not r["same_program"]] == []
    assert sum(bool(r["repaired"]) for r in records.values()) == repairs


def test_a_strategy_asking_other_questions_does_not_replay(executor: Executor) -> None:
    records = replay.replay(ROOT / "bench" / "runs" / "humaneval-qwen1.5b", "feedback", "explain", executor)
    assert not any(r["same_prompts"] for r in records.values())
