"""ldb's hole format: which block is cut, how it is cut, and a new block each iteration."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fakes import Scripted, TableRunner
from test_ldb import FIXED, PROGRAM, TASK, TESTS, ReturningRunner

from tracefix.api import debug_task
from tracefix.records import CFG, Task, TestResult, Trace, Visit
from tracefix.strategies.build import build
from tracefix.strategies.engine import Settings, run_loop
from tracefix.strategies.extract import normalized
from tracefix.strategies.ldb.cuts import body_span, cut, cut_span, strip_todo, targets, top_level
from tracefix.strategies.ldb.evidence import BlockEvidence
from tracefix.strategies.ldb.findings import Finding
from tracefix.strategies.spec import SpecError

EXAMPLES = Path(__file__).parents[2] / "examples"


def block(
    n: int, code: str, kind: str = "body", suspicion: float = 0.5, lines: list[int] | None = None
) -> BlockEvidence:
    return BlockEvidence(n, lines or [n], code, kind, 1, [], suspicion=suspicion)


def test_blamed_block_first_then_statements_then_headers_then_returns() -> None:
    gathered = [
        block(0, "total = 0", suspicion=0.5),
        block(1, "for i in xs:", "for", suspicion=1.0),
        block(2, "total += i", suspicion=0.7),
        block(3, "x = 1", suspicion=0.7),
        block(4, "return total", suspicion=1.0),
    ]
    found = [Finding("it raised", culprit=1, why="it raised")]
    assert targets(gathered, found, []) == [1, 3, 2, 0, 4]
    assert targets(gathered, [], [3, 2]) == [0, 1, 4]
    assert targets(gathered, [Finding("x", culprit=9)], []) == [3, 2, 0, 1, 4]  # a block that did not run


MULTI = """\
def f(xs):
    total = sum(
        xs
    )
    for x in xs:
        if x > 1:
            total += x
        elif x < 0:
            total -= x
    return total
"""


def test_cut_spans_whole_statements_and_headers_with_their_bodies() -> None:
    assert cut_span(MULTI, [2], header=False) == (2, 4)
    assert cut_span(MULTI, [5], header=True) == (5, 9)
    assert cut_span(MULTI, [8], header=True) == (8, 9)  # an elif: the rest of the chain
    holed = cut(MULTI, block(5, "for x in xs:", "for", lines=[5]), "it returned 0")
    assert holed is not None
    assert (
        holed.splitlines()[4]
        == "    # TODO: the code that was here is wrong (it returned 0); write the correct code here"
    )
    assert holed.splitlines()[5] == "    return total"
    assert cut("def f(:\n", block(1, "x"), "y") is None


def test_each_iteration_cuts_another_block_of_the_same_program() -> None:
    unchanged = f"```python\n{PROGRAM}```"
    model = Scripted([unchanged, unchanged, unchanged, unchanged, f"```python\n{FIXED}```"])
    runner = ReturningRunner({normalized(PROGRAM): {TESTS[0]}, normalized(FIXED): set(TESTS)})
    session = run_loop(build("ldb[format=hole]"), TASK, PROGRAM, model, runner, Settings(max_iters=3))
    assert session.outcome == "fixed" and session.strategy == "ldb[format=hole]"
    first, _, third = session.attempts
    cut_blocks = [a.shown_blocks[0] for a in session.attempts]
    assert len(set(cut_blocks)) == 3
    assert first.verdicts[0].block == cut_blocks[0] and not first.verdicts[0].correct
    prompt = first.messages[1].content  # the hole request (the retry follows it)
    assert "# TODO: the code that was here is wrong" in prompt
    assert "What the trace shows:\n- `total` is returned as 10" in prompt
    assert "[BLOCK" not in prompt
    assert third.program is not None


class NoTrace(ReturningRunner):
    def trace(
        self, program: str, entry: str, test: str, *, prelude: str = "", cfg: CFG | None = None
    ) -> object:
        from tracefix.records import Trace

        return Trace(function=entry, test=test, passed=False, error="the function was not called")


def test_without_a_trace_it_asks_the_focused_question() -> None:
    model = Scripted([f"```python\n{FIXED}```"])
    runner = NoTrace({normalized(PROGRAM): {TESTS[0]}, normalized(FIXED): set(TESTS)})
    session = run_loop(build("ldb[format=hole]"), TASK, PROGRAM, model, runner, Settings(max_iters=1))
    assert "WRONG BLOCK" in model.requests[0][0][-1].content and session.outcome == "fixed"


def test_top_level_statements_come_before_inner_blocks_and_loops_are_cut_whole() -> None:
    gathered = [
        block(0, "total = 0", suspicion=0.5, lines=[2]),
        block(1, "for x in xs:", "for", suspicion=0.5, lines=[5]),
        block(2, "if x > 1:", "if", suspicion=0.5, lines=[6]),
        block(3, "total += x", suspicion=1.0, lines=[7]),
        block(4, "return total", suspicion=1.0, lines=[10]),
    ]
    outer = top_level(MULTI, "f")
    assert outer == {2: 4, 5: 9, 10: 10}
    assert targets(gathered, [], [], outer) == [1, 0, 3, 2, 4]  # top level (the loop whole) first
    assert targets(gathered, [Finding("x", culprit=3, why="y")], [1], outer) == [3, 0, 2, 4]


def test_copied_todo_lines_are_dropped_from_the_reply() -> None:
    todo = "    # TODO: the code that was here is wrong (x); write the correct code here\n"
    assert strip_todo("def f():\n" + todo + "    return 1\n") == "def f():\n    return 1\n"
    fixed_with_todo = FIXED.replace("    total = 0\n", "    total = 0\n" + todo)
    model = Scripted([f"```python\n{fixed_with_todo}```"])
    runner = ReturningRunner({normalized(PROGRAM): {TESTS[0]}, normalized(FIXED): set(TESTS)})
    session = run_loop(build("ldb[format=hole]"), TASK, PROGRAM, model, runner, Settings(max_iters=1))
    assert session.final_program is not None and "TODO" not in session.final_program


def test_hints_off_hides_the_findings_but_not_the_cut() -> None:
    model = Scripted([f"```python\n{FIXED}```"])
    runner = ReturningRunner({normalized(PROGRAM): {TESTS[0]}, normalized(FIXED): set(TESTS)})
    run_loop(build("ldb[format=hole,hints=off]"), TASK, PROGRAM, model, runner, Settings(max_iters=1))
    prompt = model.requests[0][0][-1].content
    assert "# TODO: the code that was here is wrong" in prompt and "What the trace shows" not in prompt


def test_recut_answers_an_already_tried_program_with_the_next_cut_in_a_fresh_conversation() -> None:
    unchanged = f"```python\n{PROGRAM}```"
    model = Scripted([unchanged, f"```python\n{FIXED}```"])
    runner = ReturningRunner({normalized(PROGRAM): {TESTS[0]}, normalized(FIXED): set(TESTS)})
    session = run_loop(
        build("ldb[format=hole,recut=on]"), TASK, PROGRAM, model, runner, Settings(max_iters=1)
    )
    assert session.outcome == "fixed"
    (attempt,) = session.attempts
    assert len(attempt.shown_blocks) == 2 and len(set(attempt.shown_blocks)) == 2
    assert [v.block for v in attempt.verdicts] == attempt.shown_blocks
    (first, first_params), (second, second_params) = model.requests
    assert [m.role for m in second] == ["system", "user"]  # no old reply in it to copy
    assert second[-1].content.startswith("Complete this Python program")
    holed = [m[-1].content.split("```python\n")[1].split("```")[0] for m in (first, second)]
    assert "# TODO" in holed[1] and holed[0] != holed[1]  # another part is cut
    assert second_params.temperature == first_params.temperature
    assert first_params.end_of is None  # a benchmark's program is read whole (its helpers too)
    assert attempt.messages == second


def test_without_recut_an_already_tried_program_gets_the_engine_note() -> None:
    unchanged = f"```python\n{PROGRAM}```"
    model = Scripted([unchanged, f"```python\n{FIXED}```"])
    runner = ReturningRunner({normalized(PROGRAM): {TESTS[0]}, normalized(FIXED): set(TESTS)})
    strategy = build("ldb[format=hole,recut=off]")
    session = run_loop(strategy, TASK, PROGRAM, model, runner, Settings(max_iters=1))
    assert len(session.attempts[0].shown_blocks) == 1
    assert "another part removed" not in model.requests[1][0][-1].content


def test_past_says_how_earlier_attempts_failed_and_off_keeps_the_first_measured_prompt() -> None:
    other = PROGRAM.replace("total += numbers[i]", "total -= numbers[i]")
    for spec, shown in [("ldb[format=hole]", True), ("ldb[format=hole,past=off]", False)]:
        model = Scripted([f"```python\n{other}```", f"```python\n{FIXED}```"])
        runner = ReturningRunner({normalized(PROGRAM): {TESTS[0]}, normalized(FIXED): set(TESTS)})
        run_loop(build(spec), TASK, PROGRAM, model, runner, Settings(max_iters=2))
        first, second = model.requests[0][0][-1].content, model.requests[1][0][-1].content
        assert "Earlier attempts" not in first
        assert ("Earlier attempts that also failed:\n- attempt 1: a changed program" in second) is shown, spec


ONE_BLOCK = 'def area(r):\n    """The area of a circle of radius r."""\n    return 3 * r * r\n'
ONE_FIXED = 'def area(r):\n    """The area of a circle of radius r."""\n    return 3.14159 * r * r\n'
ONE_WRONG = 'def area(r):\n    """The area of a circle of radius r."""\n    return 2 * 3 * r\n'
ONE_TEST = "assert area(1) == 3.14159"
ONE_TASK = Task(description="The area of a circle.", entry_point="area", visible_tests=[ONE_TEST])


class OneBlockRunner(TableRunner):
    def trace(
        self, program: str, entry: str, test: str, *, prelude: str = "", cfg: CFG | None = None
    ) -> Trace:
        visit = Visit(seq=0, block=0, state={"r": "1"}, changed=["r"], occurrence=0, exit="return", value="3")
        return Trace(
            function=entry, test=test, passed=False, return_value="3", visits=[visit],
            total_visits=1, block_counts={0: 1},
        )  # fmt: skip


@dataclass
class CountingRunner(OneBlockRunner):
    """Counts the test runs of each program (normalised)."""

    runs: Counter[str] = field(default_factory=Counter)

    def run_tests(self, program: str, tests: list[str], *, prelude: str = "") -> list[TestResult]:
        self.runs[normalized(program)] += 1
        return super().run_tests(program, tests, prelude=prelude)


def test_rewrite_cuts_the_whole_body_sampled_once_every_part_was_cut() -> None:
    model = Scripted([f"```python\n{ONE_WRONG}```", f"```python\n{ONE_FIXED}```"])
    runner = OneBlockRunner({normalized(ONE_FIXED): {ONE_TEST}})
    spec = "ldb[format=hole,samples=1]"  # with the hole format's ties=oldest: the seed stays the start
    settings = Settings(max_iters=2)
    session = run_loop(build(spec), ONE_TASK, ONE_BLOCK, model, runner, settings)
    assert session.outcome == "fixed"
    (_, first_params), (second, second_params) = model.requests
    assert first_params.temperature == 0.0
    assert second_params.temperature == 0.7 and second_params.seed == 101  # iteration 1's own seed
    prompt = second[-1].content
    assert prompt.startswith("Complete this Python program")
    holed = prompt.split("```python\n")[1].split("```")[0]
    assert holed.splitlines() == [
        "def area(r):",
        '    """The area of a circle of radius r."""',
        "    # TODO: the code that was here is wrong (returned 3); write the correct code here",
    ]
    assert "Earlier attempts that also failed:\n- attempt 1" in prompt
    verdict = session.attempts[1].verdicts[0]
    assert not verdict.correct and "whole body" in verdict.explanation


def test_without_rewrite_a_fully_cut_program_gets_the_focused_request() -> None:
    model = Scripted([f"```python\n{ONE_WRONG}```", f"```python\n{ONE_FIXED}```"])
    runner = OneBlockRunner({normalized(ONE_FIXED): {ONE_TEST}})
    settings = Settings(max_iters=2)
    run_loop(build("ldb[format=hole,rewrite=off]"), ONE_TASK, ONE_BLOCK, model, runner, settings)
    assert "WRONG BLOCK" in model.requests[1][0][-1].content
    assert model.requests[1][1].temperature == 0.0


def test_body_span_skips_the_docstring_but_not_a_lone_string() -> None:
    assert body_span(ONE_BLOCK, "area") == (3, 3)
    assert body_span('def f():\n    "only"\n', "f") == (2, 2)
    assert body_span(MULTI, "f") == (2, 10)
    assert body_span(MULTI, "g") is None


def test_samples_keep_the_best_whole_body_and_stop_at_one_that_passes() -> None:
    other = ONE_WRONG.replace("2 * 3", "4 * 3")
    replies = [ONE_WRONG, other, ONE_FIXED, ONE_BLOCK]  # the fourth sample is never asked for
    model = Scripted([f"```python\n{text}```" for text in replies])
    runner = OneBlockRunner({normalized(ONE_FIXED): {ONE_TEST}})
    spec = "ldb[format=hole]"  # rewrite=on, samples=3 by default
    settings = Settings(max_iters=2)
    session = run_loop(build(spec), ONE_TASK, ONE_BLOCK, model, runner, settings)
    assert session.outcome == "fixed" and session.final_program == ONE_FIXED
    assert [p.seed for _, p in model.requests[1:]] == [101, 1101]
    assert len(session.attempts[1].replies) == 2 and session.calls == 3


def test_the_sample_kept_is_not_run_on_the_visible_tests_a_second_time() -> None:
    other = ONE_WRONG.replace("2 * 3", "4 * 3")
    replies = [ONE_WRONG, other, ONE_FIXED]
    model = Scripted([f"```python\n{text}```" for text in replies])
    runner = CountingRunner({normalized(ONE_FIXED): {ONE_TEST}})
    spec = "ldb[format=hole]"
    run_loop(build(spec), ONE_TASK, ONE_BLOCK, model, runner, Settings(max_iters=2))
    # the seed, the hole reply, and the two samples: each program once, though the loop tests the one kept
    assert sorted(runner.runs.values()) == [1, 1, 1, 1]


def test_samples_without_rewrite_is_refused() -> None:
    with pytest.raises(SpecError, match="rewrite=off"):
        build("ldb[rewrite=off,samples=3]")


def test_types_says_the_returned_type_differs_in_the_cut_and_the_rewrite_prompts() -> None:
    said = "The function returned an int (0), but the test expects a float (3.14159)."  # actual is "0"
    for spec, shown in (("ldb[samples=1]", True), ("ldb[types=off,samples=1]", False)):
        model = Scripted([f"```python\n{ONE_WRONG}```", f"```python\n{ONE_FIXED}```"])
        runner = OneBlockRunner({normalized(ONE_FIXED): {ONE_TEST}})
        settings = Settings(max_iters=2)
        run_loop(build(spec), ONE_TASK, ONE_BLOCK, model, runner, settings)
        cut, rewrite = (messages[-1].content for messages, _ in model.requests)
        assert "# TODO" in rewrite and "returned 3);" in rewrite  # the second prompt is the whole-body one
        assert (f"What the trace shows:\n- {said}" in cut) is shown
        assert (f"What the trace shows:\n- {said}" in rewrite) is shown


LIST_BLOCK = 'def evens(xs):\n    """The even numbers of xs."""\n    return sorted(xs)\n'
LIST_FIXED = 'def evens(xs):\n    """The even numbers of xs."""\n    return [x for x in xs if x % 2 == 0]\n'
LIST_TEST = "assert evens([1, 2, 3, 4]) == [2, 4]"
LIST_TASK = Task(description="The even numbers.", entry_point="evens", visible_tests=[LIST_TEST])


class ListRunner(TableRunner):
    """``evens`` returns its sorted input: a returned list that is not a variable (no trace finding)."""

    def run_tests(self, program: str, tests: list[str], *, prelude: str = "") -> list[TestResult]:
        return [
            r if r.passed else r.model_copy(update={"actual": "[1, 2, 3, 4]"})
            for r in super().run_tests(program, tests, prelude=prelude)
        ]

    def trace(
        self, program: str, entry: str, test: str, *, prelude: str = "", cfg: CFG | None = None
    ) -> Trace:
        visit = Visit(
            seq=0,
            block=0,
            state={"xs": "[1, 2, 3, 4]"},
            changed=["xs"],
            occurrence=0,
            exit="return",
            value="[1, 2, 3, 4]",
        )
        return Trace(
            function=entry, test=test, passed=False, return_value="[1, 2, 3, 4]", visits=[visit],
            total_visits=1, block_counts={0: 1},
        )  # fmt: skip


BINARY = """\
def binary(n):
    digits = ""
    while n > 0:
        digits = str(n % 2) + digits
        n //= 2
    return digits
"""
BINARY_FIXED = BINARY.replace("return digits", "return int(digits)")
BINARY_TEST = "assert binary(5) == 101"
BINARY_TASK = Task(description="n in binary, as an int", entry_point="binary", visible_tests=[BINARY_TEST])


@pytest.mark.parametrize(("spec", "first_cut"), [("ldb", "return digits"), ("ldb[retype=off]", None)])
def test_the_right_value_of_the_wrong_type_cuts_the_return_first(spec: str, first_cut: str | None) -> None:
    from tracefix.execution.sandbox import Executor

    model = Scripted([f"```python\n{BINARY_FIXED}```"])
    with Executor() as executor:
        session = run_loop(
            build(spec),
            BINARY_TASK,
            BINARY,
            model,
            executor,
            Settings(max_iters=1),
        )
    prompt = model.requests[0][0][-1].content
    said = "but the test expects an int (101): the value is right, only its type is wrong."
    assert prompt.count(said) == 1  # the type finding is said once, with or without retype
    program = prompt.split("```python\n")[1].split("```")[0]
    if first_cut is not None:
        assert first_cut not in program and "while n > 0:" in program
        assert (
            "# TODO: the code that was here is wrong (it returns the right value, but the test expects an int)"
            in program
        )
        assert session.outcome == "fixed"
    else:
        assert "return digits" in program  # the loop, which computed the right value, was cut instead


def test_a_reply_that_leaves_the_todo_unfilled_is_answered_with_the_next_cut() -> None:
    from tracefix.execution.sandbox import Executor

    unfilled = BINARY.replace(
        "    return digits\n", "    # TODO: the code that was here is wrong (x); write it\n"
    )
    model = Scripted([f"```python\n{unfilled}```", f"```python\n{BINARY_FIXED}```"])
    with Executor() as executor:
        session = run_loop(
            build("ldb"),
            BINARY_TASK,
            BINARY,
            model,
            executor,
            Settings(max_iters=1),
        )
    first, second = (messages[-1].content for messages, _ in model.requests)
    assert "return digits" not in first.split("```python\n")[1]  # the first cut: the return
    assert "return digits" in second.split("```python\n")[1]  # the next cut, asked afresh
    assert session.outcome == "fixed" and len(session.attempts) == 1


UNPARSED = "def double(x):\n    return x * 2\n```\n"


def test_a_program_that_does_not_compile_is_asked_for_as_plain_feedback() -> None:
    from tracefix.execution.sandbox import Executor

    task = Task(description="Double x.", entry_point="double", visible_tests=["assert double(2) == 4"])
    fixed = "```python\ndef double(x):\n    return x * 2\n```"
    prompts = {}
    with Executor() as executor:
        for spec in ("ldb", "feedback"):
            model = Scripted([fixed])
            session = debug_task(task, UNPARSED, model, strategy=spec, max_iters=1, executor=executor)
            assert session.outcome == "fixed"
            prompts[spec] = model.requests[0][0]
    assert prompts["ldb"] == prompts["feedback"]
    assert "SyntaxError" in prompts["feedback"][-1].content


def test_a_block_only_failing_tests_of_the_suite_ran_is_cut_before_the_blamed_one() -> None:
    from test_ldb import failing_trace

    from tracefix.analysis.cfg import build_cfg
    from tracefix.records import LineSuspicion
    from tracefix.strategies.ldb.evidence import gather

    def said(code: str, passed: int) -> LineSuspicion:
        score = 2 / (2 * (2 + passed)) ** 0.5
        line = PROGRAM.splitlines().index(next(t for t in PROGRAM.splitlines() if t.strip() == code)) + 1
        return LineSuspicion(
            line=line, code=code, failed=2, passed=passed, failed_total=2, passed_total=9, score=score
        )

    cfg = build_cfg(PROGRAM, "sum_evens")
    suite = [said("total = 0", 7), said("for i in range(1, len(numbers)):", 0), said("return total", 7)]
    gathered = gather(PROGRAM, cfg, failing_trace(), [], suite)
    header = next(item for item in gathered if item.code.startswith("for i in"))
    assert header.spectrum == suite[1] and header.suspicion == 1.0
    assert header.notes == ["it ran in 2 of the test file's 2 failing tests and none of its 9 passing tests"]
    first = next(item for item in gathered if item.code.startswith("total = 0"))
    assert first.spectrum == suite[0] and first.notes == [] and first.suspicion == suite[0].score
    blamed = [Finding("it returned 10", culprit=first.block, why="it returned 10")]
    assert targets(gathered, blamed, [])[:2] == [header.block, first.block]
    # When every line the suite scored ran only in failing tests, the suite tells no block apart.
    alike = gather(PROGRAM, cfg, failing_trace(), [], [said("total = 0", 0), said("return total", 0)])
    assert targets(alike, blamed, [])[0] == first.block


def test_with_docstring_off_the_prompt_leaves_out_the_stated_docstring_and_the_fix_gets_it_back() -> None:
    doc = PROGRAM.split('"""')[1]
    task = TASK.model_copy(update={"description": f'def sum_evens(numbers):\n    """{doc}"""\n'})
    bare = "".join(FIXED.split(f'    """{doc}"""\n'))
    model = Scripted([f"```python\n{bare}```"])
    runner = ReturningRunner({normalized(PROGRAM): {TESTS[0]}, normalized(FIXED): set(TESTS)})
    session = run_loop(build("ldb[docstring=off]"), task, PROGRAM, model, runner, Settings(max_iters=1))
    prompt = model.requests[0][0][-1].content
    program_shown = prompt.split("Program:\n```python\n")[1].split("```")[0]
    assert doc not in program_shown and "def sum_evens(numbers):\n    total = 0\n" in program_shown
    assert session.outcome == "fixed" and session.final_program == FIXED
