"""The loop engine, driven by a scripted model and a table of test outcomes."""

from __future__ import annotations

from fakes import Scripted, TableRunner

from tracefix.records import Task
from tracefix.strategies.build import build
from tracefix.strategies.engine import Settings, run_loop
from tracefix.strategies.extract import normalized

TESTS = ["assert f(1) == 2", "assert f(2) == 3"]
TASK = Task(description="Add one.", entry_point="f", visible_tests=TESTS)
BUGGY = "def f(x):\n    return x\n"
HALF = "def f(x):\n    return 2 if x == 1 else x\n"
FIXED = "def f(x):\n    return x + 1\n"


def fenced(program: str) -> str:
    return f"Here you go:\n```python\n{program}```\n"


def runner() -> TableRunner:
    return TableRunner({normalized(HALF): {TESTS[0]}, normalized(FIXED): set(TESTS)})


def run(replies: list[str | None], strategy: str = "feedback", max_iters: int = 3):  # type: ignore[no-untyped-def]
    model = Scripted(replies)
    session = run_loop(build(strategy), TASK, BUGGY, model, runner(), Settings(max_iters=max_iters))
    return session, model


def test_a_program_that_already_passes_costs_no_call() -> None:
    model = Scripted([])
    session = run_loop(build("feedback"), TASK, FIXED, model, runner(), Settings())
    assert session.outcome == "already_passing" and session.calls == 0 and session.attempts == []


def test_fixed_on_the_first_iteration() -> None:
    session, model = run([fenced(FIXED)])
    assert session.outcome == "fixed"
    assert session.final_program == FIXED
    assert session.calls == 1 and len(session.attempts) == 1
    assert session.usage.prompt_tokens == 100
    prompt = model.requests[0][0][-1].content
    assert "assert f(1) == 2" in prompt and "Add one." in prompt


def test_an_unchanged_program_is_a_failed_reply_and_is_asked_again_once() -> None:
    session, model = run([fenced(BUGGY), fenced(FIXED)])
    assert session.outcome == "fixed"
    attempt = session.attempts[0]
    assert len(attempt.replies) == 2
    retry_messages, retry_params = model.requests[1]
    assert "same as one already tried" in retry_messages[-1].content
    assert retry_messages[-2].role == "assistant"
    assert retry_params.temperature > 0


def test_no_code_twice_is_a_failed_attempt_and_the_loop_goes_on() -> None:
    session, _ = run(["I am not sure.", "Still not sure.", fenced(FIXED)])
    assert session.outcome == "fixed"
    assert session.attempts[0].program is None
    assert session.attempts[0].failure is not None and "no usable program" in session.attempts[0].failure
    assert len(session.attempts) == 2


def test_budget_ends_the_loop_and_the_best_program_is_kept() -> None:
    other = "def f(x):\n    return -x\n"
    session, _ = run([fenced(HALF), fenced(other)], max_iters=2)
    assert session.outcome == "failed"
    assert session.final_program == HALF
    assert len(session.attempts) == 2


def test_next_iteration_starts_from_the_best_program() -> None:
    worse = "def f(x):\n    return -x\n"
    _, model = run([fenced(HALF), fenced(worse), fenced(FIXED)], max_iters=3)
    third_prompt = model.requests[2][0][-1].content
    assert "2 if x == 1 else x" in third_prompt


def test_ties_keep_the_newest_program_unless_the_spec_says_oldest() -> None:
    other = "def f(x):\n    return -x\n"  # passes no test, as many as BUGGY
    for spec, start in [("feedback", other), ("feedback[ties=oldest]", BUGGY)]:
        model = Scripted([fenced(other), fenced(FIXED)])
        settings = Settings(max_iters=2)
        session = run_loop(build(spec), TASK, BUGGY, model, runner(), settings)
        assert session.attempts[1].start_program == start, spec


def test_model_failure_ends_the_session_and_keeps_what_was_done() -> None:
    session, _ = run([fenced(HALF), None])
    assert session.outcome == "error"
    assert session.error == "server down"
    assert len(session.attempts) == 1 and session.final_program == HALF


def test_the_prompt_shows_earlier_failed_attempts() -> None:
    other = "def f(x):\n    return -x\n"
    _, model = run([fenced(other), fenced(FIXED)])
    assert "Earlier attempts that also failed" in model.requests[1][0][-1].content


def test_explain_asks_for_an_explanation() -> None:
    session, model = run([fenced(FIXED)], strategy="explain")
    assert session.strategy == "explain" and session.outcome == "fixed"
    assert "line by line" in model.requests[0][0][-1].content


def test_ldb_hole_defaults_to_ties_oldest_and_other_strategies_to_newest() -> None:
    ties = {spec: build(spec).options.ties for spec in ("ldb", "ldb[format=hole]", "ldb[format=focused]")}
    assert ties == {"ldb": "oldest", "ldb[format=hole]": "oldest", "ldb[format=focused]": "newest"}
    assert build("ldb[ties=newest]").options.ties == "newest"
    assert build("feedback").options.ties == build("ldb[format=paper]").options.ties == "newest"


BROKEN = "assert f(3) == four"  # an expected value printed without quotes: no program can pass it


def test_a_seed_failing_only_broken_tests_costs_no_call() -> None:
    task = Task(description="Add one.", entry_point="f", visible_tests=[*TESTS, BROKEN])
    session = run_loop(build("feedback"), task, FIXED, Scripted([]), runner(), Settings())
    assert session.outcome == "broken_tests" and session.calls == 0
    broken = [r for r in session.initial_results if r.broken is not None]
    assert [r.test for r in broken] == [BROKEN] and "`four`" in (broken[0].broken or "")


def test_broken_tests_are_left_aside_and_the_loop_stops_when_the_others_pass() -> None:
    task = Task(description="Add one.", entry_point="f", visible_tests=[BROKEN, *TESTS])
    model = Scripted([fenced(FIXED)])
    session = run_loop(build("feedback"), task, BUGGY, model, runner(), Settings(max_iters=3))
    assert session.outcome == "broken_tests" and session.final_program == FIXED and session.calls == 1
    prompt = model.requests[0][0][-1].content
    assert "assert f(1) == 2" in prompt and BROKEN not in prompt


def test_without_the_check_a_broken_test_is_debugged_like_any_other() -> None:
    task = Task(description="Add one.", entry_point="f", visible_tests=[*TESTS, BROKEN])
    model = Scripted([fenced(HALF)])
    settings = Settings(max_iters=1, broken_tests=False)
    session = run_loop(build("feedback"), task, FIXED, model, runner(), settings)
    assert session.outcome == "failed" and session.calls == 1
    assert BROKEN in model.requests[0][0][-1].content
