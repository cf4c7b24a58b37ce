"""Tests derived from the description: parsing the model's asserts and keeping the agreed ones."""

from __future__ import annotations

from tracefix.models.fake import ScriptedModel
from tracefix.records import Task
from tracefix.strategies.derive import agreed_tests, derive_messages, derive_tests, parse_asserts

TASK = Task(
    task_id="t",
    description='def add(a, b):\n    """Return the sum of a and b."""\n',
    entry_point="add",
    visible_tests=["assert add(1, 2) == 3"],
)


def test_parse_reads_equality_truth_and_negation_asserts() -> None:
    reply = (
        "Here are tests:\n```python\n"
        "assert add(2, 2) == 4\n"
        "assert add(0, 0)\n"
        "assert not add(-1, 1)\n"
        "assert add(1, 1) != 3\n"  # not an equality: skipped
        "assert other(1) == 2\n"  # another function: skipped
        "assert add(2, 2) == 5\n"  # the same call again: the first value wins
        "x = add(1, 1)\n"
        "```\n"
    )
    assert parse_asserts(reply, "add") == {
        "add(2, 2)": "4",
        "add(0, 0)": "True",
        "add(-1, 1)": "False",
    }


def test_parse_normalises_values_and_skips_unparsable_lines() -> None:
    reply = "assert add(1,2)==[1,  2]\nassert add(3, == 4\nassert add(5, 5) == add(4, 6)"
    assert parse_asserts(reply, "add") == {"add(1, 2)": "[1, 2]"}


def test_agreement_needs_two_samples_and_no_tie() -> None:
    samples = [
        {"add(2, 2)": "4", "add(5, 5)": "10", "add(7, 1)": "8"},
        {"add(2, 2)": "4", "add(5, 5)": "11", "add(9, 9)": "18"},
        {"add(2, 2)": "5", "add(5, 5)": "12", "add(7, 1)": "8"},
    ]
    assert agreed_tests(samples, agree=2) == ["assert add(2, 2) == 4", "assert add(7, 1) == 8"]
    assert agreed_tests(samples, agree=3) == []


def test_a_tie_between_values_is_not_trusted() -> None:
    samples = [{"add(2, 2)": "4"}, {"add(2, 2)": "4"}, {"add(2, 2)": "5"}, {"add(2, 2)": "5"}]
    assert agreed_tests(samples, agree=2) == []


def test_calls_the_visible_tests_make_are_left_out() -> None:
    samples = [{"add(1, 2)": "3", "add(2, 3)": "5"}] * 2
    assert agreed_tests(samples, exclude=["assert add(1, 2) == 3"]) == ["assert add(2, 3) == 5"]


def test_the_request_shows_the_description_and_visible_tests_but_no_program() -> None:
    messages = derive_messages(TASK, count=4)
    user = messages[-1].content
    assert "Return the sum of a and b." in user
    assert "assert add(1, 2) == 3" in user
    assert "Write 4 more tests" in user


def test_derive_samples_at_temperature_with_a_seed_each_and_counts_the_calls() -> None:
    replies = [
        "```python\nassert add(2, 2) == 4\nassert add(1, 2) == 3\n```",
        "```python\nassert add(2, 2) == 4\nassert add(3, 3) == 7\n```",
        "no code at all",
    ]
    model = ScriptedModel(replies)
    derived = derive_tests(model, TASK, samples=3, agree=2)
    assert derived.tests == ["assert add(2, 2) == 4"]
    assert derived.calls == 3
    assert derived.usage.completion_tokens > 0
    assert [p.seed for _, p in model.requests] == [0, 1, 2]
    assert all(p.temperature > 0 for _, p in model.requests)
    assert derived.samples[2] == {}


def test_a_model_that_continues_replies_is_led_into_the_code_block() -> None:
    model = ScriptedModel(
        ["assert add(2, 2) == 4\n", "assert add(2, 2) == 4\nassert add(0, 1) == 1"], continues=True
    )
    derived = derive_tests(model, TASK, samples=2, agree=2)
    assert derived.tests == ["assert add(2, 2) == 4"]
    messages, params = model.requests[0]
    assert messages[-1].role == "assistant" and messages[-1].content.startswith("```python")
    assert params.stop == ["```"]
