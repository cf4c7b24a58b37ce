"""A realistic two-attempt LDB session, built by hand, shared by the report tests (see conftest.py).

The program sums the even numbers of a list but tests ``n % 2 == 1``. The first attempt flips the condition and
adds 1 instead of ``n``; the second, traced on that program, fixes the addition.
"""

from __future__ import annotations

from pathlib import Path

from tracefix.bench.scoring import HiddenScore
from tracefix.bench.store import ResultRow, RunConfig, RunStore, SeedRow
from tracefix.records import (
    CFG,
    Attempt,
    Block,
    Edge,
    ExceptionInfo,
    Message,
    Reply,
    Session,
    Task,
    TestResult,
    Trace,
    Usage,
    Verdict,
    Visit,
)

PROGRAM = '''from typing import List


def sum_of_evens(numbers: List[int]) -> int:
    """Return the sum of the even numbers."""
    total = 0
    for n in numbers:
        if n % 2 == 1:
            total += n
    return total
'''

FIRST_FIX = PROGRAM.replace("n % 2 == 1", "n % 2 == 0").replace("total += n", "total += 1")
FINAL = PROGRAM.replace("n % 2 == 1", "n % 2 == 0")

TESTS = ["assert sum_of_evens([1, 2, 3, 4]) == 6", "assert sum_of_evens([]) == 0"]


def sum_cfg() -> CFG:
    """Blocks of ``sum_of_evens`` in file lines: 5-6 entry, 7 loop header, 8 condition, 9 body, 10 return."""
    blocks = [
        Block(id=0, lines=[5, 6], successors=[1]),
        Block(id=1, lines=[7], successors=[2, 4], kind="for"),
        Block(id=2, lines=[8], successors=[3, 1], kind="if"),
        Block(id=3, lines=[9], successors=[1]),
        Block(id=4, lines=[10], kind="return"),
    ]
    edges = [
        Edge(source=0, target=1),
        Edge(source=1, target=2, label="true"),
        Edge(source=1, target=4, label="exit"),
        Edge(source=2, target=3, label="true"),
        Edge(source=2, target=1, label="false"),
        Edge(source=3, target=1, label="loop"),
    ]
    return CFG(function="sum_of_evens", entry=0, blocks=blocks, edges=edges, first_line=4, last_line=10)


def run_visits(step: str) -> tuple[list[Visit], dict[int, int]]:
    """Visits of ``sum_of_evens([1, 2, 3, 4])`` where ``step`` is how the body changes total ("n" or "1")
    and the body runs for odd numbers (the bug) when step is "n", even numbers when it is "1"."""
    numbers = "[1, 2, 3, 4]"
    visits: list[Visit] = []
    occurrences: dict[int, int] = {}
    state: dict[str, str] = {"numbers": numbers}

    def visit(block: int, changed: list[str]) -> None:
        occurrence = occurrences.get(block, 0)
        occurrences[block] = occurrence + 1
        visits.append(
            Visit(seq=len(visits), block=block, state=dict(state), changed=changed, occurrence=occurrence)
        )

    total = 0
    state["total"] = "0"
    visit(0, ["numbers", "total"])
    for n in [1, 2, 3, 4]:
        state["n"] = str(n)
        visit(1, ["n"])
        visit(2, [])
        if (n % 2 == 1) == (step == "n"):
            total += n if step == "n" else 1
            state["total"] = str(total)
            visit(3, ["total"])
    visit(1, [])
    visit(4, [])
    return visits, dict(occurrences)


def trace_of(step: str, returned: int) -> Trace:
    visits, counts = run_visits(step)
    return Trace(
        function="sum_of_evens",
        test=TESTS[0],
        passed=False,
        error="AssertionError",
        exception=ExceptionInfo(type="AssertionError", message="", line=1, in_test=True),
        return_value=str(returned),
        visits=visits,
        total_visits=len(visits),
        block_counts=counts,
        calls=1,
        duration_s=0.004,
        backend="settrace",
    )


def failing(actual: str) -> TestResult:
    return TestResult(
        test=TESTS[0],
        passed=False,
        error="AssertionError (line 1)",
        exception=ExceptionInfo(type="AssertionError", message="", line=1, in_test=True),
        actual=actual,
    )


def passing(test: str) -> TestResult:
    return TestResult(test=test, passed=True, duration_s=0.002)


def make_session() -> Session:
    first = Attempt(
        iteration=0,
        messages=[
            Message(role="system", content="You are an expert Python programmer."),
            Message(role="user", content="[BLOCK-0]\n    total = 0\n# numbers=[1, 2, 3, 4] total=0\n..."),
        ],
        replies=[
            Reply(
                text='{"block": 2, "correct": false, "explanation": "..."}\n```python\n' + FIRST_FIX + "```",
                usage=Usage(prompt_tokens=812, completion_tokens=164),
                latency_s=14.2,
                model="qwen2.5-coder-1.5b",
                finish_reason="stop",
            )
        ],
        trace=trace_of("n", 4),
        shown_blocks=[0, 2, 3, 4],
        verdicts=[
            Verdict(block=0, correct=True, explanation="total starts at 0 before the loop."),
            Verdict(
                block=2,
                correct=False,
                explanation="The condition n % 2 == 1 selects odd numbers, but the task sums even ones: "
                "for n=1 the body ran and total became 1.",
            ),
            Verdict(block=3, correct=True, explanation="Adds n to total as intended."),
            Verdict(block=4, correct=False, explanation="Returns 4 where the test expects 6."),
        ],
        verdict_parse="strict",
        program=FIRST_FIX,
        test_results=[failing("2"), passing(TESTS[1])],
        usage=Usage(prompt_tokens=812, completion_tokens=164),
        duration_s=14.6,
    )
    second = Attempt(
        iteration=1,
        messages=[Message(role="user", content="[BLOCK-3]\n    total += 1\n...")],
        replies=[
            Reply(
                text="```python\n" + FINAL + "```",
                usage=Usage(prompt_tokens=901, completion_tokens=120),
                latency_s=11.8,
                finish_reason="stop",
            )
        ],
        trace=trace_of("1", 2),
        shown_blocks=[2, 3, 4],
        verdicts=[
            Verdict(block=2, correct=True, explanation="Now picks the even numbers 2 and 4."),
            Verdict(block=3, correct=False, explanation="Adds 1 instead of n, so total counts evens."),
        ],
        verdict_parse="repaired",
        program=FINAL,
        test_results=[passing(TESTS[0]), passing(TESTS[1])],
        usage=Usage(prompt_tokens=901, completion_tokens=120),
        duration_s=12.1,
    )
    return Session(
        task=Task(
            task_id="demo/sum_of_evens",
            description="Return the sum of the even numbers in the list.",
            entry_point="sum_of_evens",
            visible_tests=TESTS,
        ),
        strategy="ldb",
        model="qwen2.5-coder-1.5b",
        initial_program=PROGRAM,
        initial_results=[failing("4"), passing(TESTS[1])],
        attempts=[first, second],
        final_program=FINAL,
        outcome="fixed",
        usage=Usage(prompt_tokens=1713, completion_tokens=284),
        calls=2,
        duration_s=26.9,
        tracefix_version="0.1.0",
    )


def hand_cfg(program: str, entry: str) -> CFG | None:
    """A ``cfg_for`` that knows the hand-built CFG (all three program versions share the block layout)."""
    return sum_cfg() if entry == "sum_of_evens" else None


def hidden(passed: bool) -> HiddenScore:
    return HiddenScore(
        passed=passed, tests=1, failed=0 if passed else 1, error=None if passed else "AssertionError"
    )


def seed_row(task_id: str, position: int, *, hidden_pass: bool, visible: tuple[int, int]) -> SeedRow:
    return SeedRow(
        task_id=task_id,
        position=position,
        program=PROGRAM,
        source="seeds.jsonl",
        hidden=hidden(hidden_pass),
        visible_passed=visible[0],
        visible_total=visible[1],
    )


def make_run(run_dir: Path, ldb: str = "ldb") -> Path:
    """A small finished run of two strategies on four problems, written through the real run store.

    ``ldb`` names the first strategy (a spec such as ``ldb[format=hole]`` tests names with brackets).

    HumanEval/0 passes everything (not selected); /1 passes its visible tests but fails hidden ones; /2 and
    /3 fail a visible test. ldb repairs /2 in 2 iterations and /3 in 1; feedback repairs /2 in 1 and
    passes /3's visible tests only.
    """
    config = RunConfig(
        dataset="humaneval",
        seeds="seeds.jsonl",
        strategies=[ldb, "feedback"],
        model="qwen2.5-coder-1.5b",
        max_iters=3,
        tracefix_version="0.1.0",
    )
    store = RunStore(run_dir)
    store.start(config, resume=False)
    seeds = [
        seed_row("HumanEval/0", 0, hidden_pass=True, visible=(3, 3)),
        seed_row("HumanEval/1", 1, hidden_pass=False, visible=(2, 2)),
        seed_row("HumanEval/2", 2, hidden_pass=False, visible=(1, 2)),
        seed_row("HumanEval/3", 3, hidden_pass=False, visible=(0, 2)),
    ]
    for seed in seeds:
        store.save_seed(seed)
    store.select(["HumanEval/1", "HumanEval/2", "HumanEval/3"])
    outcomes = {
        ("HumanEval/2", ldb): (True, 2, "fixed"),
        ("HumanEval/3", ldb): (True, 1, "fixed"),
        ("HumanEval/2", "feedback"): (True, 1, "fixed"),
        ("HumanEval/3", "feedback"): (False, 3, "fixed"),
    }
    for strategy in config.strategies:
        store.save_result(
            ResultRow(task_id="HumanEval/1", strategy=strategy, status="not_debuggable", hidden=hidden(False))
        )
    for (task_id, strategy), (passes, iterations, outcome) in outcomes.items():
        session = make_session()
        session = session.model_copy(
            update={"strategy": strategy, "task": session.task.model_copy(update={"task_id": task_id})}
        )
        row = ResultRow(
            task_id=task_id,
            strategy=strategy,
            status="done",
            outcome=outcome,
            hidden=hidden(passes),
            calls=iterations,
            prompt_tokens=800 * iterations + (400 if strategy == ldb else 0),
            completion_tokens=150 * iterations,
            iterations=iterations,
            duration_s=12.5 * iterations,
        )
        store.save_result(row, session)
    store.close()
    return run_dir
