"""The ldb strategy's prompts and verdicts, from a real CFG and a hand-written trace."""

from __future__ import annotations

from pathlib import Path

from fakes import Scripted, TableRunner

from tracefix.analysis.cfg import build_cfg
from tracefix.records import CFG, Task, Trace, Visit
from tracefix.strategies.build import build
from tracefix.strategies.engine import Settings, run_loop
from tracefix.strategies.extract import normalized
from tracefix.strategies.ldb.base import split_lines

PROGRAM = (Path(__file__).parents[2] / "examples" / "sum_evens.py").read_text()
FIXED = PROGRAM.replace("range(1, len(numbers))", "range(len(numbers))")
TESTS = ["assert sum_evens([1, 2, 3, 4]) == 6", "assert sum_evens([2, 4, 6]) == 12"]
TASK = Task(description="Sum the even numbers.", entry_point="sum_evens", visible_tests=TESTS)


def visit(seq: int, block: int, changed: dict[str, str], state: dict[str, str]) -> Visit:
    return Visit(seq=seq, block=block, state=state, changed=list(changed), occurrence=0)


def failing_trace() -> Trace:
    """sum_evens([2, 4, 6]): blocks 0 1 2 3 1 2 3 1 4 (the loop skips index 0)."""
    n = {"numbers": "[2, 4, 6]"}
    path = [
        (0, {"numbers": "[2, 4, 6]", "total": "0"}),
        (1, {"i": "1"}),
        (2, {}),
        (3, {"total": "4"}),
        (1, {"i": "2"}),
        (2, {}),
        (3, {"total": "10"}),
        (1, {}),
        (4, {}),
    ]
    visits, state, counts = [], dict(n), {}
    for seq, (block, changed) in enumerate(path):
        state = {**state, **changed}
        v = visit(seq, block, changed, dict(state))
        v.occurrence = counts.get(block, 0)
        counts[block] = counts.get(block, 0) + 1
        visits.append(v)
    return Trace(
        function="sum_evens",
        test=TESTS[1],
        passed=False,
        return_value="10",
        visits=visits,
        total_visits=len(visits),
        block_counts=counts,
    )


def passing_trace() -> Trace:
    return Trace(
        function="sum_evens", test=TESTS[0], passed=True, block_counts={0: 1, 1: 4, 2: 3, 3: 1, 4: 1}
    )


class Runner(TableRunner):
    def failing(self) -> Trace:
        return failing_trace()

    def trace(
        self, program: str, entry: str, test: str, *, prelude: str = "", cfg: CFG | None = None
    ) -> Trace:
        self.traced.append((program, test))
        return self.failing() if test == TESTS[1] else passing_trace()


def runner() -> Runner:
    return Runner({normalized(PROGRAM): {TESTS[0]}, normalized(FIXED): set(TESTS)})


def test_focused_prompt_shows_blocks_values_and_branches_and_parses_the_verdict() -> None:
    reply = f"WRONG BLOCK: 1\nREASON: the loop starts at index 1 and skips the first number\n```python\n{FIXED}```"
    model = Scripted([reply])
    session = run_loop(build("ldb[format=focused]"), TASK, PROGRAM, model, runner(), Settings(max_iters=2))
    assert session.outcome == "fixed"
    prompt = model.requests[0][0][-1].content
    assert "[BLOCK 1] line 8, ran 3 times" in prompt
    assert "for i in range(1, len(numbers)):" in prompt
    assert "run 1: i = 1; enters the loop body" in prompt
    assert "run 3: i = 2; loop ends" in prompt
    assert "run 2: total = 10" in prompt
    assert "NOTE: returned 10" in prompt
    assert "sum_evens([2, 4, 6]) returned" not in prompt or "expects 12" in prompt
    attempt = session.attempts[0]
    assert attempt.shown_blocks == [0, 1, 2, 3, 4]
    assert [(v.block, v.correct) for v in attempt.verdicts] == [(1, False)]
    assert "skips the first number" in attempt.verdicts[0].explanation
    assert attempt.trace is not None and attempt.trace.test == TESTS[1]


def test_paper_format_asks_for_verdicts_then_the_fix_in_one_conversation() -> None:
    verdicts = (
        '{"block": "BLOCK-0", "correct": "True", "explanation": "init"}\n'
        '{"block": "BLOCK-1", "correct": "False", "explanation": "starts at 1"}'
    )
    model = Scripted([verdicts, f"```python\n{FIXED}```"])
    strategy = build("ldb[format=paper]")
    session = run_loop(strategy, TASK, PROGRAM, model, runner(), Settings(max_iters=1))
    assert session.outcome == "fixed" and session.calls == 2
    first, second = (request[0] for request in model.requests)
    assert "[BLOCK-0]" in first[-1].content and "# numbers=[2, 4, 6], total=0" in first[-1].content
    assert second[-2].content == verdicts and "fix the Python code" in second[-1].content
    attempt = session.attempts[0]
    assert [(v.block, v.correct) for v in attempt.verdicts] == [(0, True), (1, False)]
    assert attempt.verdict_parse == "repaired (partial)"  # 9 visits shown, 2 judged
    assert model.requests[0][1].max_tokens == 512


def test_function_level_shows_only_arguments_and_outcome() -> None:
    model = Scripted([f"```python\n{FIXED}```"])
    run_loop(build("ldb[level=function]"), TASK, PROGRAM, model, runner(), Settings(max_iters=1))
    prompt = model.requests[0][0][-1].content
    assert "[FUNCTION sum_evens] called with numbers = [2, 4, 6]" in prompt
    assert "returned 10" in prompt and "[BLOCK" not in prompt


def test_line_level_cfg_has_one_block_per_line_with_the_same_edges() -> None:
    lines = split_lines(build_cfg(PROGRAM, "sum_evens"))
    assert [b.id for b in lines.blocks] == [7, 8, 9, 10, 11]
    assert all(b.lines == [b.id] for b in lines.blocks)
    assert lines.entry == 7
    assert sorted(lines.block(8).successors) == [9, 11]


def test_spectrum_note_only_for_blocks_no_passing_test_ran() -> None:
    from tracefix.strategies.ldb.evidence import gather

    cfg = build_cfg(PROGRAM, "sum_evens")
    evidence = {e.block: e for e in gather(PROGRAM, cfg, failing_trace(), [{0, 1, 2, 4}])}
    assert evidence[3].notes == ["the passing tests never ran this block"]
    assert evidence[4].notes == ["returned 10"]


def returning_trace() -> Trace:
    """The failing trace, with the return recorded as the real tracer records it."""
    trace = failing_trace()
    trace.visits[-1].exit = "return"
    trace.visits[-1].value = "10"
    return trace


def test_hints_say_where_the_returned_variable_got_its_value() -> None:
    from tracefix.strategies.ldb.findings import findings

    cfg = build_cfg(PROGRAM, "sum_evens")
    found = [f.text for f in findings(PROGRAM, cfg, returning_trace(), ["numbers"])]
    assert found == ["`total` is returned as 10; it changed in BLOCK 0 (once), BLOCK 3 (2 times)."]
    dropped = returning_trace()
    dropped.total_visits += 5  # some visits were not kept: only what was seen is claimed
    assert [f.text for f in findings(PROGRAM, cfg, dropped, ["numbers"])] == [
        "`total` is returned as 10; its last change was in BLOCK 3."
    ]


def test_hints_name_the_values_the_raising_line_read() -> None:
    from tracefix.records import ExceptionInfo
    from tracefix.strategies.ldb.findings import findings

    program = "def first(xs):\n    i = len(xs)\n    return xs[i]\n"
    cfg = build_cfg(program, "first")
    raising = Visit(seq=0, block=cfg.entry, state={"xs": "[1, 2]", "i": "2"}, changed=["xs", "i"])
    raising.exception = "IndexError: list index out of range"
    trace = Trace(
        function="first",
        test="assert first([1, 2]) == 1",
        passed=False,
        exception=ExceptionInfo(type="IndexError", message="list index out of range", line=3),
        visits=[raising],
        total_visits=1,
    )
    assert [f.text for f in findings(program, cfg, trace, ["xs"])] == [
        "IndexError: list index out of range was raised at line 3 (`return xs[i]`), in BLOCK "
        f"{cfg.entry} on its run 1, with xs = [1, 2], i = 2."
    ]


class ReturningRunner(Runner):
    def failing(self) -> Trace:
        return returning_trace()


def test_hints_option_puts_the_findings_above_the_blocks() -> None:
    model = Scripted([f"```python\n{FIXED}```"])
    strategy = build("ldb[format=focused,hints=on]")
    run = ReturningRunner({normalized(PROGRAM): {TESTS[0]}, normalized(FIXED): set(TESTS)})
    session = run_loop(strategy, TASK, PROGRAM, model, run, Settings(max_iters=1))
    prompt = model.requests[0][0][-1].content
    assert "What the trace shows:\n- `total` is returned as 10; it changed in BLOCK 0" in prompt
    assert prompt.index("What the trace shows") < prompt.index("[BLOCK 0]")
    assert session.strategy == "ldb[format=focused,hints=on]" and session.outcome == "fixed"


def test_names_on_mends_a_missing_import_without_the_model() -> None:
    from tracefix.execution.sandbox import Executor

    program = "def root(x):\n    return math.sqrt(x)\n"
    task = Task(description="Square root.", entry_point="root", visible_tests=["assert root(4) == 2"])
    with Executor() as executor:
        model = Scripted([])
        session = run_loop(build("ldb[names=on]"), task, program, model, executor, Settings(max_iters=1))
        assert session.outcome == "fixed" and session.calls == 0 and model.requests == []
        (attempt,) = session.attempts
        assert attempt.note is not None and attempt.note.startswith("added `import math`")
        assert session.final_program.startswith("import math\n")
        without = run_loop(
            build("ldb"), task, program, Scripted(["no code"] * 2), executor, Settings(max_iters=1)
        )
        assert without.calls == 2 and without.attempts[0].note is None


def test_a_quick_fix_is_kept_as_the_start_even_when_ties_keep_the_oldest() -> None:
    from tracefix.execution.sandbox import Executor

    program = "def root(x):\n    return math.sqrt(x) + 1\n"
    task = Task(description="Square root.", entry_point="root", visible_tests=["assert root(4) == 2"])
    fixed = "import math\n\n\ndef root(x):\n    return math.sqrt(x)\n"
    with Executor() as executor:
        model = Scripted([f"```python\n{fixed}```"])
        spec = "ldb[format=hole,names=on,ties=oldest]"
        settings = Settings(max_iters=2)
        session = run_loop(build(spec), task, program, model, executor, settings)
    quick, second = session.attempts
    assert quick.note is not None and quick.test_results and not quick.test_results[0].passed
    assert second.start_program == quick.program  # not the seed, which cannot even run
    assert session.outcome == "fixed"
