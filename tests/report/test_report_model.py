"""The session view model: what the page shows, computed from the records of a two-attempt session."""

from __future__ import annotations

from report_samples import FINAL, FIRST_FIX, PROGRAM, failing, hand_cfg, sum_cfg

from tracefix.records import Attempt, Session, Task, TestResult, Trace, Verdict, Visit
from tracefix.report.code import code_lines, lines_label
from tracefix.report.diff import diff_programs
from tracefix.report.model import result_view, session_view, state_rows, visit_views


def test_each_attempt_shows_the_program_it_started_from_with_blocks_in_file_lines(session: Session) -> None:
    first, second = session_view(session, hand_cfg).attempts
    assert "n % 2 == 1" in first.program[7].text and first.program[7].number == 8
    assert "total += 1" in second.program[8].text
    outlined = {line.number: line.block for line in first.program if line.block is not None}
    assert outlined == {5: 0, 6: 0, 7: 1, 8: 2, 9: 3, 10: 4}


def test_blocks_are_coloured_by_verdict_then_shown_then_ran(session: Session) -> None:
    first, second = session_view(session, hand_cfg).attempts
    assert first.statuses == {0: "correct", 1: "ran", 2: "wrong", 3: "correct", 4: "wrong"}
    assert second.statuses == {0: "ran", 1: "ran", 2: "correct", 3: "wrong", 4: "shown"}


def test_the_first_line_of_a_block_carries_its_exact_visit_count(session: Session) -> None:
    first = session_view(session, hand_cfg).attempts[0]
    counts = {line.block: line.count for line in first.program if line.first}
    assert counts == {0: 1, 1: 5, 2: 4, 3: 2, 4: 1}


def test_cards_are_the_shown_or_judged_blocks_in_the_order_they_first_ran(session: Session) -> None:
    first = session_view(session, hand_cfg).attempts[0]
    assert [block.id for block in first.blocks] == [0, 2, 3, 4]
    wrong = first.blocks[1]
    assert wrong.verdict is not None and not wrong.verdict.correct
    assert (wrong.kind, wrong.lines_label, wrong.visits_total, len(wrong.visits)) == ("if", "line 8", 4, 4)


def test_a_block_card_shows_the_state_before_and_after_each_visit(session: Session) -> None:
    body = session_view(session, hand_cfg).attempts[0].blocks[2]
    second_visit = body.visits[1]
    rows = {row.name: row for row in second_visit.rows}
    assert (rows["total"].before, rows["total"].after, rows["total"].changed) == ("1", "4", True)
    assert (rows["n"].before, rows["n"].after, rows["n"].changed) == ("3", "3", False)


def test_the_first_visit_of_a_call_has_no_known_state_before() -> None:
    views = visit_views([Visit(seq=0, block=0, state={"x": "1"}), Visit(seq=1, block=1, state={"x": "2"})])
    assert not views[0][0].before_known and views[1][0].before_known
    assert views[0][0].rows[0].changed is False
    assert views[1][0].rows[0].changed is True


def test_states_before_come_from_the_same_call_and_note_dropped_visits() -> None:
    visits = [
        Visit(seq=0, block=0, state={"n": "3"}),
        Visit(seq=1, block=0, state={"n": "2"}, frame=1, depth=1),
        Visit(seq=5, block=2, state={"n": "3", "r": "6"}),
    ]
    after_return = visit_views(visits)[2][0]
    assert [(row.name, row.before, row.after) for row in after_return.rows] == [
        ("n", "3", "3"),
        ("r", None, "6"),
    ]
    assert after_return.gap_before


def test_variables_keep_their_order_and_new_ones_count_as_changed() -> None:
    rows = state_rows({"a": "1", "b": "2"}, {"a": "1", "b": "2", "c": "3"}, changed=[])
    assert [(row.name, row.changed) for row in rows] == [("a", False), ("b", False), ("c", True)]


def test_each_attempt_diffs_against_the_program_it_started_from(session: Session) -> None:
    first, second = session_view(session, hand_cfg).attempts
    assert first.diff is not None and (first.diff.added, first.diff.removed) == (2, 2)
    assert second.diff is not None and (second.diff.added, second.diff.removed) == (1, 1)
    assert [row.text.strip() for row in second.diff.rows if row.kind == "add"] == ["total += n"]


def test_attempt_status_and_summary_follow_the_visible_tests(session: Session) -> None:
    first, second = session_view(session, hand_cfg).attempts
    assert (first.status, first.summary, first.passed) == ("fail", "1/2 visible tests pass", 1)
    assert (second.status, second.summary) == ("pass", "2/2 visible tests pass")


def test_an_attempt_without_a_program_says_why_and_keeps_the_previous_program(session: Session) -> None:
    nofix = Attempt(iteration=0, failure="reply returned the program unchanged", trace=None)
    retraced = session.attempts[1].model_copy(update={"iteration": 1})
    broken = session.model_copy(update={"attempts": [nofix, retraced]})
    first, second = session_view(broken, hand_cfg).attempts
    assert (first.status, first.summary, first.diff, first.program) == (
        "nofix",
        "reply returned the program unchanged",
        None,
        [],
    )
    assert "n % 2 == 1" in second.program[7].text


def test_without_a_cfg_the_code_is_plain_and_cards_still_show_visits(session: Session) -> None:
    first = session_view(session, lambda program, entry: None).attempts[0]
    assert all(line.block is None for line in first.program)
    assert [block.id for block in first.blocks] == [0, 2, 3, 4]
    assert first.blocks[1].lines_label == "lines unknown" and len(first.blocks[1].visits) == 4


def test_verdicts_on_blocks_that_do_not_exist_are_listed_apart(session: Session) -> None:
    attempt = session.attempts[0]
    odd = attempt.model_copy(update={"verdicts": [*attempt.verdicts, Verdict(block=42, correct=False)]})
    view = session_view(session.model_copy(update={"attempts": [odd]}), hand_cfg).attempts[0]
    assert [verdict.block for verdict in view.unplaced_verdicts] == [42]


def test_when_nothing_was_shown_or_judged_every_block_that_ran_gets_a_card(session: Session) -> None:
    bare = session.attempts[0].model_copy(update={"shown_blocks": [], "verdicts": []})
    view = session_view(session.model_copy(update={"attempts": [bare]}), hand_cfg).attempts[0]
    assert [block.id for block in view.blocks] == [0, 1, 2, 3, 4]


def test_the_step_table_lists_calls_attempts_and_the_session_total(session: Session) -> None:
    steps = session_view(session, hand_cfg).steps
    assert [step.label for step in steps] == [
        "attempt 1 · call 1",
        "attempt 1",
        "attempt 2 · call 1",
        "attempt 2",
        "session",
    ]
    assert (steps[-1].prompt_tokens, steps[-1].completion_tokens) == (1713, 284)
    assert steps[0].seconds == 14.2


def test_a_failing_test_reads_as_its_cause() -> None:
    timeout = TestResult(test="assert f()", passed=False, timeout=True, error="timed out after 5.0 s")
    assert result_view(timeout).detail == "timed out after 5.0 s"
    assert result_view(TestResult(test="assert f()", passed=True)).detail == "passed"


def test_multi_line_statements_are_outlined_on_all_their_lines() -> None:
    program = "def f(xs):\n    total = sum(\n        xs\n    )\n    # note\n    return total\n"
    cfg = sum_cfg().model_copy(
        update={"blocks": [sum_cfg().blocks[0].model_copy(update={"lines": [2, 6]})], "function": "f"}
    )
    lines = code_lines(program, cfg, {0: "ran"}, {0: 1})
    assert [line.number for line in lines if line.block == 0] == [2, 3, 4, 6]
    assert [line.number for line in lines if line.first] == [2, 6]


def test_line_labels_read_as_ranges() -> None:
    assert (lines_label([4]), lines_label([4, 5, 6]), lines_label([4, 9])) == (
        "line 4",
        "lines 4–6",
        "lines 4, 9",
    )


def test_diffs_number_both_sides() -> None:
    diff = diff_programs(PROGRAM, FIRST_FIX)
    changed = [(row.kind, row.old, row.new) for row in diff.rows if row.kind in ("add", "del")]
    assert changed == [("del", 8, None), ("del", 9, None), ("add", None, 8), ("add", None, 9)]
    assert diff_programs(FINAL, FINAL).unchanged


def test_the_trace_summary_counts_recorded_and_total_visits(session: Session) -> None:
    trace: Trace | None = session.attempts[0].trace
    assert trace is not None
    shortened = trace.model_copy(update={"visits": trace.visits[:5], "total_visits": 13, "truncated": True})
    attempt = session.attempts[0].model_copy(update={"trace": shortened})
    view = session_view(session.model_copy(update={"attempts": [attempt]}), hand_cfg).attempts[0]
    assert view.trace is not None and (view.trace.kept_visits, view.trace.total_visits) == (5, 13)


def test_by_default_blocks_come_from_the_real_cfg_of_each_traced_program(session: Session) -> None:
    first = session_view(session).attempts[0]
    outlined = {line.number: line.block for line in first.program if line.block is not None}
    assert set(outlined.values()) == {0, 1, 2, 3, 4}
    assert outlined[8] == 2 and outlined[10] == 4


def test_a_program_that_does_not_parse_is_shown_without_blocks(session: Session) -> None:
    broken = session.model_copy(update={"initial_program": "def sum_of_evens(:\n"})
    first = session_view(broken).attempts[0]
    assert [line.text for line in first.program] == ["def sum_of_evens(:"]
    assert first.program[0].block is None


def test_a_block_judged_on_several_visits_is_wrong_if_any_verdict_says_so(session: Session) -> None:
    attempt = session.attempts[0]
    paper = attempt.model_copy(
        update={
            "shown_blocks": [1, 2, 1, 2],
            "verdicts": [
                Verdict(block=2, correct=True, explanation="n=1 skipped? no"),
                Verdict(block=2, correct=False, explanation="odd n=3 added"),
                Verdict(block=1, correct=True),
            ],
        }
    )
    view = session_view(session.model_copy(update={"attempts": [paper]}), hand_cfg).attempts[0]
    block = next(b for b in view.blocks if b.id == 2)
    assert (
        block.status == "wrong" and block.verdict is not None and block.verdict.explanation == "odd n=3 added"
    )
    assert len(block.verdicts) == 2
    assert view.statuses[1] == "correct"


def test_a_card_keeps_the_first_and_last_visits_of_a_long_loop() -> None:
    visits = [Visit(seq=i, block=1, state={"i": str(i)}, occurrence=i) for i in range(30)]
    trace = Trace(function="f", test="assert f()", passed=False, visits=visits, block_counts={1: 30})
    attempt = Attempt(iteration=0, trace=trace, shown_blocks=[1])
    session = Session(
        task=Task(entry_point="f", visible_tests=["assert f()"]),
        strategy="ldb",
        initial_program="def f():\n    pass\n",
        attempts=[attempt],
        final_program="def f():\n    pass\n",
        outcome="failed",
    )
    (card,) = session_view(session, lambda program, entry: None).attempts[0].blocks
    assert [v.occurrence for v in card.visits] == [0, 1, 2, 3, 4, 5, 24, 25, 26, 27, 28, 29]
    assert (card.visits_elided, card.visits_total) == (18, 30)


def test_a_long_failure_note_is_summarised_by_its_first_sentence() -> None:
    note = "Your reply had no usable program (no code in reply). Reply with the complete corrected program."
    attempt = Attempt(iteration=0, failure=note)
    session = Session(
        task=Task(entry_point="f", visible_tests=["assert f()"]),
        strategy="feedback",
        initial_program="def f():\n    pass\n",
        attempts=[attempt],
        final_program="def f():\n    pass\n",
        outcome="failed",
    )
    view = session_view(session, lambda program, entry: None).attempts[0]
    assert view.summary == "Your reply had no usable program (no code in reply)"
    assert view.failure == note


def test_judged_blocks_carry_a_one_line_note_for_the_listing(session: Session) -> None:
    notes = session_view(session, hand_cfg).attempts[1].notes
    assert notes == {
        2: "correct: Now picks the even numbers 2 and 4.",
        3: "wrong: Adds 1 instead of n, so total counts evens.",
    }


def test_an_attempt_starts_from_the_best_program_so_far_not_a_worse_newer_one(session: Session) -> None:
    first, second = session.attempts
    worse = first.model_copy(update={"test_results": [failing("2"), failing("0")]})
    view = session_view(session.model_copy(update={"attempts": [worse, second]}), hand_cfg)
    assert "n % 2 == 1" in view.attempts[1].program[7].text
    diff = view.attempts[1].diff
    assert diff is not None
    assert [row.text.strip() for row in diff.rows if row.kind == "del"] == ["if n % 2 == 1:"]


def test_a_tie_in_passing_tests_goes_to_the_newer_program(session: Session) -> None:
    view = session_view(session, hand_cfg)
    assert "total += 1" in view.attempts[1].program[8].text


def test_each_visit_names_the_block_that_ran_next_in_its_call(session: Session) -> None:
    condition = session_view(session, hand_cfg).attempts[0].blocks[1]
    assert [visit.next_block for visit in condition.visits] == [3, 1, 3, 1]


def test_the_next_block_is_unknown_across_dropped_visits_and_after_the_last_visit() -> None:
    visits = [Visit(seq=0, block=0), Visit(seq=1, block=1), Visit(seq=5, block=2)]
    views = visit_views(visits)
    assert (views[0][0].next_block, views[1][0].next_block, views[2][0].next_block) == (1, None, None)


def test_the_branch_taken_is_named_by_the_cfg_edge(session: Session) -> None:
    condition = session_view(session, hand_cfg).attempts[0].blocks[1]
    assert [visit.next_label for visit in condition.visits] == ["true", "false", "true", "false"]


def test_a_branch_back_to_block_zero_is_named_too() -> None:
    visits = [Visit(seq=0, block=0), Visit(seq=1, block=1), Visit(seq=2, block=0)]
    views = visit_views(visits, {(0, 1): "true", (1, 0): "loop"})
    assert [views[0][0].next_label, views[1][0].next_label] == ["true", "loop"]


def test_the_attempt_heading_lists_the_blocks_judged_wrong(session: Session) -> None:
    first, second = session_view(session, hand_cfg).attempts
    assert (first.wrong_blocks, second.wrong_blocks) == ([2, 4], [3])


def test_a_broken_test_reads_as_left_aside_with_its_reason() -> None:
    broken = TestResult(test="assert f() == ab", passed=False, error="NameError", broken="it uses `ab`")
    assert result_view(broken).detail == "broken test, left aside: it uses `ab` (NameError)"
