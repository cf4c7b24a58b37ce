"""Executing code that cannot run as it is: the sandboxed runs, the rules, the model's loop (scripted), the CLI."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracefix import api
from tracefix.cli import main
from tracefix.execution.limits import Limits
from tracefix.execution.sandbox import Executor
from tracefix.models.fake import ScriptedModel
from tracefix.partial import guesses
from tracefix.partial.fragment import FragmentError, fragment
from tracefix.partial.loop import execute
from tracefix.partial.model import ModelPredictor, module_uses
from tracefix.partial.reading import free_names, why_not_run
from tracefix.partial.rules import Rules, name_code
from tracefix.partial.run import run_fragment
from tracefix.partial.standins import StandIn, prelude

SNIPPET = textwrap.dedent(
    """\
    import yaml_not_installed as yaml
    from helpers_not_here import load_rows

    config = yaml.safe_load(open_config())
    rows = load_rows(config)
    total = 0
    for row in rows:
        total += row.amount
    if total > LIMIT:
        print("over")
    label = title.strip()
    """
)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Executor]:
    with Executor(Limits(wall_s=2.0), workers=1) as executor:
        yield executor


def test_a_plain_run_ends_at_the_first_missing_module_and_says_so(sandbox: Executor) -> None:
    result = execute(fragment(SNIPPET), sandbox, None)
    assert result.ending == "plain" and result.executed == [1]
    assert result.lines == [1, 2, 4, 5, 6, 7, 8, 9, 10, 11]
    assert [(e.type, e.line, e.own) for e in result.errors] == [("ModuleNotFoundError", 1, False)]


def test_the_rules_supply_each_missing_module_and_name_until_the_snippet_completes(sandbox: Executor) -> None:
    result = execute(fragment(SNIPPET), sandbox, Rules())
    assert result.ending == "completed" and result.errors == []
    assert [(s.kind, s.name) for s in result.stand_ins] == [
        ("module", "yaml_not_installed"),
        ("module", "helpers_not_here"),
        ("name", "open_config"),
        ("name", "LIMIT"),
        ("name", "title"),
    ]
    assert {s.name: s.code for s in result.stand_ins}["title"] == 'title = "a"'  # title.strip(): a string
    assert result.executed == [1, 2, 4, 5, 6, 7, 8, 9, 11]  # the stand-in LIMIT compares false: no print
    assert all(s.by == "rules" for s in result.stand_ins)


def test_an_error_of_the_code_itself_is_told_from_one_a_stand_in_caused(sandbox: Executor) -> None:
    own = "n = count_items()\nwords = ['a', 'b']\nlast = words[2]\n"
    result = execute(fragment(own), sandbox, Rules())
    assert result.ending == "own error"
    assert [(e.type, e.line, e.own) for e in result.errors] == [("IndexError", 3, True)]

    class Settings(Rules):  # a stand-in value that does not fit: an empty dict where the code reads a key
        def standin(self, fragment, missing, run, tried, **kw):  # type: ignore[no-untyped-def]
            return StandIn(kind="name", name=missing.name, code=f"{missing.name} = {{}}", by="model")

    caused = "settings = load()\nport = settings['port'] + 1\n"
    first = sandbox.run_partial(
        caused, prelude([StandIn(kind="name", name="load", code="load = dict", by="model")])
    )
    assert first.missing is not None and (first.missing.kind, first.missing.name) == ("stand-in", "settings")
    result = execute(fragment(caused), sandbox, Settings(), runs=3)  # load = {} itself: not callable
    assert [(e.type, e.line, e.own) for e in result.errors] == [("TypeError", 1, False)]


def test_a_function_is_called_with_a_stand_in_for_each_parameter_without_a_default(sandbox: Executor) -> None:
    source = "def area(shape, scale=2, *, unit):\n    w = shape.width * scale\n    return f'{w} {unit}'\n"
    result = execute(fragment(source, "area"), sandbox, Rules())
    assert result.call == "area(_TracefixStandIn(), unit=_TracefixStandIn())"
    assert result.ending == "completed" and result.executed == [1, 2, 3]
    plain = execute(fragment(source, "area"), sandbox, None)
    assert plain.call == "area()" and plain.executed == [1] and plain.errors[0].line is None


def test_a_fragment_that_never_ends_is_stopped_with_the_lines_it_ran(sandbox: Executor) -> None:
    source = "x = start()\nwhile x:\n    x = x + 1\nprint('never')\n"
    result = execute(fragment(source), sandbox, Rules())
    assert result.ending == "time" and result.executed == [1, 2, 3]
    exits = execute(fragment("import os\nx = 1\nos._exit(3)\n"), sandbox, Rules())
    assert exits.ending == "killed" and exits.executed == []  # the process died with its record of lines
    assert exits.errors[0].type == "killed" and "exited (status 3)" in exits.errors[0].message


def test_the_model_writes_stand_ins_and_a_reply_without_code_falls_back_to_the_rules(
    sandbox: Executor,
) -> None:
    source = (
        "def total(orders):\n    rates = load_rates()\n    return sum(o * rates['EUR'] for o in orders)\n"
    )
    model = ScriptedModel(
        [
            "```python\ntotal([10, 20])\n```",
            "```python\ndef load_rates():\n    return {'EUR': 0.9}\n```",
        ]
    )
    predictor = ModelPredictor(model)
    result = execute(fragment(source, "total"), sandbox, predictor)
    assert result.ending == "completed" and result.executed == [1, 2, 3]
    assert result.call == "total([10, 20])" and result.calls == 2
    assert [(s.name, s.by) for s in result.stand_ins] == [("load_rates", "model")]
    prompt = model.requests[1][0][-1].content
    assert "`load_rates` is not defined" in prompt and "line 2 (`rates = load_rates()`)" in prompt

    chatty = ModelPredictor(ScriptedModel(["total([1])", "I think it returns rates."]))
    result = execute(fragment(source, "total"), sandbox, chatty)
    assert [(s.name, s.by) for s in result.stand_ins] == [("load_rates", "rules")] and chatty.fallbacks == 1
    assert result.ending == "completed"

    down = execute(fragment(source, "total"), sandbox, ModelPredictor(ScriptedModel(["total([1])"])))
    assert down.ending == "model error" and "has 1 replies" in (down.error or "")
    assert down.executed == [1, 2] and down.call == "total([1])"  # what ran before the model failed is kept


def test_rule_guesses_and_what_a_module_is_used_for() -> None:
    source = "for i in range(n):\n    pass\nif isinstance(v, Shape): pass\nx = Config()\ns = name.upper()\n"
    assert [guesses.first(source, n) for n in ("n", "Shape", "Config", "name", "other")] == [
        "1",
        "_tracefix_class('Shape')",
        "_tracefix_class('Config')",
        '"a"',
        "_TracefixStandIn()",
    ]
    uses = "import numpy as np\nfrom numpy import array\nx = np.mean(array([1]))\n"
    assert module_uses(uses, "numpy") == ["array", "mean"]


def test_a_fragment_that_does_not_parse_or_lacks_the_function_is_a_clear_error() -> None:
    with pytest.raises(FragmentError, match="does not parse"):
        fragment("def f(:\n")
    with pytest.raises(FragmentError, match="no function 'g'"):
        fragment("def f():\n    pass\n", "g")


def test_the_command_prints_lines_executed_stand_ins_and_errors_as_json(tmp_path: Path) -> None:
    path = tmp_path / "snippet.py"
    path.write_text(SNIPPET + "oops = 1 / 0\n")
    result = CliRunner().invoke(main, ["exec", str(path), "--predictor", "rules", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["lines"][-1] == 12 and 12 in out["executed"]
    assert {"name": "title", "code": 'title = "a"'}.items() <= out["stand_ins"][-1].items()
    assert out["errors"] == [
        {"line": 12, "type": "ZeroDivisionError", "message": "division by zero", "own": True}
    ]
    text = CliRunner().invoke(main, ["exec", str(path), "--predictor", "rules"])
    assert "stand-ins (invented, not the real thing):" in text.stdout
    assert (
        "error at line 12: ZeroDivisionError: division by zero (an error of the code itself)" in text.stdout
    )
    bad = tmp_path / "bad.py"
    bad.write_text("def f(:\n")
    refused = CliRunner().invoke(main, ["exec", str(bad), "--predictor", "rules"])
    assert refused.exit_code == 1 and "does not parse" in refused.output


NEEDS = """\
import requests_not_here as requests


def total_price(items):
    total = 0
    for item in items:
        total = price_of(item)
    return total
"""


def test_trace_supplies_what_the_program_lacks_and_says_which_values_are_stand_ins(tmp_path: Path) -> None:
    path = tmp_path / "needs.py"
    path.write_text(NEEDS)
    args = ["trace", str(path), "--function", "total_price", "--test", "assert total_price([1, 2]) == 3"]
    plain = json.loads(CliRunner().invoke(main, [*args, "--stand-ins", "off", "--json"]).stdout)
    assert plain["visits"] == [] and "ModuleNotFoundError" in plain["error"]  # nothing to judge
    out = json.loads(CliRunner().invoke(main, [*args, "--json"]).stdout)
    assert [(s["kind"], s["name"]) for s in out["stand_ins"]] == [
        ("module", "requests_not_here"),
        ("name", "price_of"),
    ]
    assert out["block_counts"] == {"0": 1, "1": 3, "2": 2, "3": 1}  # the loop ran twice
    assert out["return_value"] == "<stand-in>"
    text = CliRunner().invoke(main, args).stdout
    assert "stand-ins (invented so the test could run; their values read <stand-in>):" in text
    fine = CliRunner().invoke(main, [*args[:4], "--test", "assert total_price([]) == 0", "--json"])
    assert json.loads(fine.stdout)["stand_ins"] == [
        (  # the module alone: the loop body never ran
            {"kind": "module", "name": "requests_not_here", "code": "", "by": "rules"}
        )
    ]


def test_the_model_writes_every_free_name_first_and_after_a_run_values_that_run_the_lines_left(
    sandbox: Executor,
) -> None:
    source = "x = value()\nif x > 10:\n    big = True\nelse:\n    big = False\n"
    model = ScriptedModel(
        ["```python\ndef value():\n    return 1\n```", "```python\ndef value():\n    return 20\n```"]
    )
    result = execute(fragment(source), sandbox, ModelPredictor(model))
    assert result.ending == "completed" and result.executed == [1, 2, 3, 5] and len(result.steps) == 2
    assert "- `value`, used in: `x = value()`" in model.requests[0][0][-1].content
    prompt = model.requests[1][0][-1].content
    assert "Line 3 (`big = True`) never ran: `if x > 10:` (line 2) was false each time it ran." in prompt
    assert [s.code for s in result.stand_ins] == ["def value():\n    return 20\n"]


def test_debug_runs_a_program_whose_module_does_not_import_with_stand_ins_the_prompt_names(
    sandbox: Executor,
) -> None:
    program = NEEDS.replace("total = price_of(item)", "total = item")
    fixed = program.replace("total = item", "total += item")
    model = ScriptedModel([f"```python\n{fixed}```"])
    session = api.debug(program, "total_price", ["assert total_price([1, 2]) == 3"], model=model,
                        executor=sandbox, max_iters=1)  # fmt: skip
    assert session.outcome == "fixed" and session.final_program == fixed
    assert "_tracefix_module('requests_not_here', None)" in session.task.prelude
    prompt = model.requests[0][0][-1].content
    assert "invented stand-ins replace them when the code runs: module `requests_not_here`" in prompt
    assert "returned 2, but the test expects 3" in prompt  # the test ran: evidence, not ModuleNotFoundError
    off = api.debug(program, "total_price", ["assert total_price([1, 2]) == 3"], model=ScriptedModel(["x"]),
                    executor=sandbox, max_iters=1, stand_ins="off")  # fmt: skip
    assert off.task.prelude == "" and "ModuleNotFoundError" in (off.initial_results[0].error or "")


def test_free_names_why_a_line_did_not_run_and_a_standard_module_name_imported(sandbox: Executor) -> None:
    snippet = "if isinstance(index, list):\n    index = index[0]\nelse:\n    r = operator.itemgetter(index)\n"
    assert free_names(snippet) == ["index", "operator"]  # index is read before the snippet assigns it
    assert free_names("def f(a):\n    b = a + c\n    return b\n") == ["c"]
    assert why_not_run(snippet, [1, 4], [2]) == [
        "`if isinstance(index, list):` (line 1) was false each time it ran"
    ]
    assert why_not_run("for x in xs:\n    y = x\n", [1], [2]) == [
        "the loop `for x in xs:` (line 1) had nothing to go over"
    ]
    result = execute(fragment(snippet), sandbox, Rules())
    assert {s.name: s.code for s in result.stand_ins}["operator"] == "import operator"
    # the invented value that lacks the attribute is the one blamed, not the first name of the line
    run = sandbox.run_partial(snippet, prelude([StandIn(kind="name", name="index", code="index = 1", by="model"),
                                                StandIn(kind="name", name="operator", code="operator = 2", by="model")]))  # fmt: skip
    assert run.missing is not None and (run.missing.kind, run.missing.name) == ("stand-in", "operator")


def test_the_model_predictor_runs_the_rules_first_and_asks_the_model_only_for_the_lines_left(
    sandbox: Executor,
) -> None:
    easy = "def f(x):\n    y = helper(x)\n    return y\n"
    silent = ScriptedModel([])
    done = run_fragment(fragment(easy, "f"), "model", model=silent, runner=sandbox)
    assert done.executed == [1, 2, 3] and done.calls == 0 and silent.requests == []
    branchy = "def g(n):\n    if n % 97 == 42:\n        return 'rare'\n    return 'usual'\n"
    model = ScriptedModel(["```python\ng(139)\n```"])
    both = run_fragment(fragment(branchy, "g"), "model", model=model, runner=sandbox)
    assert both.executed == [1, 2, 3, 4] and both.calls == 1  # the rules' values took line 4, g(139) line 3
    assert both.call == "g(139)" and both.ending == "completed"
    assert both.steps[-1].run.executed == [1, 2, 3]  # the model's one run


def test_the_rules_type_a_name_by_its_use_and_import_a_standard_function_by_name() -> None:
    source = textwrap.dedent(
        """\
        a, b = pair
        for row in rows:
            pass
        total = counts["x"] + len(items)
        if "%" in text:
            pass
        if isinstance(size, int) and kind is None:
            pass
        code = func.__code__
        c = perm(4, 2)
        d = Formatter()
        e = ",".join(words)
        """
    )
    kinds = {n: guesses.kind(source, n) for n in ("rows", "counts", "items", "text", "size", "func", "words")}
    assert kinds == {
        "rows": "sequence",
        "counts": "mapping",
        "items": "sequence",
        "text": "string",
        "size": "number",
        "func": "function",
        "words": "strings",
    }
    pair = guesses.first(source, "pair")
    assert pair == "(_TracefixStandIn(), _TracefixStandIn())"  # unpacked into two
    assert name_code(source, "perm") == "from math import perm"
    assert name_code(source, "Formatter") == "from string import Formatter"
    assert name_code(source, "kind") == "kind = _TracefixStandIn()"
    assert guesses.others(source, "kind")[0] == "None"  # compared with None: None is tried first
    assert guesses.others(source, "text")[0] == "'a%b'"  # a string holding what the code looks for
    assert {'"a"', "[3, 1, 2]"} <= set(guesses.others(source, "size"))  # isinstance: other kinds too


def test_the_rules_try_other_values_for_the_inputs_that_keep_a_line_from_running(sandbox: Executor) -> None:
    rejecting = textwrap.dedent(
        """\
        pool = list(iterable)
        c = comb(len(pool), r)
        if not 0 <= index < c:
            raise IndexError
        result = pool[index]
        """
    )
    snippet = execute(fragment(rejecting), sandbox, Rules())
    assert snippet.executed == [1, 2, 3, 4, 5] and snippet.ending == "completed"
    assert {s.name: s.code for s in snippet.stand_ins}["comb"] == "from math import comb"
    assert snippet.errors == []  # the values explored that made it raise are not the code's errors

    early = "def f(key, table):\n    if key not in table:\n        return None\n    return table[key] * 2\n"
    function = execute(fragment(early, "f"), sandbox, Rules())
    assert function.executed == [1, 2, 3, 4], function.call  # a key the table holds, found by trying
    assert function.ending == "completed"

    plain = execute(fragment(early, "f"), sandbox, Rules(explore_limit=0))
    assert plain.executed == [1, 2, 3]  # without exploring, one branch


def test_a_value_that_does_not_fit_is_blamed_on_the_supplied_name_it_came_from(sandbox: Executor) -> None:
    source = textwrap.dedent(
        """\
        sigs = signatures[func]
        checks = [check(sig) for sig in sigs]
        first, second, *rest = unpackable
        result = all(checks)
        """
    )
    result = execute(fragment(source), sandbox, Rules())
    assert result.ending == "completed" and result.executed == [1, 2, 3, 4]
    codes = {s.name: s.code for s in result.stand_ins}
    assert "sig" not in codes  # not a global the comprehension would never read
    assert codes["signatures"] == "signatures = _TracefixStandIn()"  # its list's int items were not iterable


def test_an_error_from_an_invented_argument_is_not_the_codes_own(sandbox: Executor) -> None:
    source = "def total(rows):\n    return sum(row.price for row in rows)\n"
    result = execute(fragment(source, "total"), sandbox, Rules())
    first = result.steps[0].run.error  # called with [3, 1, 2], a list as `for row in rows` says
    assert first is not None and first.message == "'int' object has no attribute 'price'"
    assert result.ending == "completed" and result.errors == []  # the call did not fit: the dummy next
    assert result.call == "total(_TracefixStandIn())"


def test_past_its_call_limit_the_model_is_not_asked_and_the_rules_answer(sandbox: Executor) -> None:
    source = "a = first_thing()\nb = second_thing(a)\n"
    model = ScriptedModel(["```python\ndef first_thing():\n    return 1\n```"])
    result = execute(fragment(source), sandbox, ModelPredictor(model, call_limit=1))
    assert result.ending == "completed" and result.calls == 1 and len(model.requests) == 1
    assert [(s.name, s.by) for s in result.stand_ins] == [("first_thing", "model"), ("second_thing", "rules")]


def test_an_error_below_a_stand_ins_code_is_not_the_codes_own(sandbox: Executor) -> None:
    source = "def merge(*dicts):\n    factory = get_factory(merge)\n    return factory()\n"
    calls_back = StandIn(
        kind="name", name="get_factory", code="def get_factory(f):\n    return lambda: f()\n", by="model"
    )
    result = execute(fragment(source, "merge"), sandbox, None, call="merge({})", given=[calls_back])
    assert result.errors and result.errors[-1].type == "RecursionError"
    assert not any(e.own for e in result.errors)  # the stand-in called merge back: its doing, not merge's


def test_the_rules_pass_values_for_star_args_and_star_star_kwargs(sandbox: Executor) -> None:
    source = "def key(*args, **kwargs):\n    if kwargs:\n        return sorted(kwargs)\n    return args\n"
    result = execute(fragment(source, "key"), sandbox, Rules())
    assert result.executed == [1, 2, 3, 4] and result.call == "key(**{'a': 1})"
    merged = "def merge(*dicts):\n    out = {}\n    for d in dicts:\n        out.update(d)\n    return out\n"
    explored = execute(fragment(merged, "merge"), sandbox, Rules())
    assert explored.executed == [1, 2, 3, 4, 5]  # *[1] ran the loop, and out.update(1) failed there
    assert not any(e.own for e in explored.errors)  # on the invented *args: not an error of merge's own
