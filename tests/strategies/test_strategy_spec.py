"""Strategy specs: parsing against the options models, canonical names, clear errors, and the catalog."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from tracefix.cli import main
from tracefix.strategies import catalog
from tracefix.strategies.baselines import PromptOnly
from tracefix.strategies.build import KINDS, build, canonical, parse_spec, with_option
from tracefix.strategies.ldb.focused import Focused, FocusedOptions
from tracefix.strategies.ldb.hole import Hole, HoleOptions
from tracefix.strategies.ldb.paper import Paper
from tracefix.strategies.spec import SpecError, split_specs


def test_plain_names_and_options_in_canonical_order() -> None:
    assert canonical("ldb") == "ldb"
    assert canonical(" ldb[ past=OFF , blocks=4 ] ") == "ldb[blocks=4,past=off]"
    assert canonical("ldb[past=false]") == canonical("ldb[past=no]") == "ldb[past=off]"
    assert canonical("ldb[]") == "ldb"
    assert parse_spec("feedback[retry=off]").options.retry is False


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("ldbx", "unknown strategy 'ldbx'"),
        ("ldb[passt=on]", "ldb has no option 'passt'"),
        ("ldb[past=maybe]", "past: Input should be a valid boolean"),
        ("ldb[blocks=0]", "blocks: Input should be greater than or equal to 1"),
        ("ldb[blocks]", "options are key=value"),
        ("ldb[blocks=2,blocks=3]", "given twice"),
        ("feedback[hints=on]", "feedback has no option 'hints'"),
        ("ldb[level=word]", "level: Input should be 'block', 'line' or 'function'"),
        ("ldb[format=word]", "format: expected one of hole, focused, paper"),
        ("ldb[format=focused,past=on]", "ldb[format=focused] has no option 'past' (an option of ldb)"),
        ("ldb[format=paper,hints=on]", "(an option of ldb, ldb[format=focused])"),
        ("feedback[format=hole]", "feedback has no option 'format'"),
        ("ldb[", "not a strategy spec"),
    ],
)
def test_bad_specs_say_what_is_wrong(text: str, words: str) -> None:
    with pytest.raises(SpecError, match=re.escape(words)):
        parse_spec(text)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("ldb[rewrite=off,samples=3]", "samples are drawn for the whole-body rewrite"),
        ("ldb[types=off,retype=on]", "retype acts on the type finding"),
    ],
)
def test_rules_between_options_are_checked_when_both_are_given(text: str, words: str) -> None:
    with pytest.raises(SpecError, match=words):
        parse_spec(text)
    parse_spec("ldb[types=off]")  # retype keeps its default, which then does nothing
    parse_spec("ldb[rewrite=off]")


def test_split_keeps_commas_inside_brackets() -> None:
    assert split_specs("feedback, ldb[past=on,hints=on],explain,") == [
        "feedback",
        "ldb[past=on,hints=on]",
        "explain",
    ]


def test_each_format_is_a_strategy_with_its_own_options() -> None:
    hole = build("ldb")
    assert isinstance(hole, Hole) and hole.options == HoleOptions() and hole.name == "ldb"
    assert hole.level == "block/hole"
    focused = build("ldb[hints=on,blocks=3,format=focused,level=line]")
    assert isinstance(focused, Focused)
    assert focused.options == FocusedOptions(blocks=3, hints=True, level="line")
    assert focused.name == "ldb[blocks=3,format=focused,hints=on,level=line]"
    assert focused.level == "line/focused"
    paper = build("ldb[format=paper]")
    assert isinstance(paper, Paper) and paper.name == "ldb[format=paper]"
    fb = build("feedback[retry=off]")
    assert isinstance(fb, PromptOnly) and fb.template == "feedback" and fb.name == "feedback[retry=off]"
    assert fb.options.retry is False


def test_every_option_given_reaches_the_options_model() -> None:
    options = build(
        "ldb[passing=0,samples=5,types=off,recut=off,past=off,names=on,level=function,hints=off]"
    ).options
    assert isinstance(options, HoleOptions)
    assert options.model_dump(
        exclude={"retry", "ties", "format", "blocks", "retype", "missing", "rewrite", "docstring"}
    ) == {
        "passing": 0,
        "samples": 5,
        "types": False,
        "recut": False,
        "past": False,
        "names": True,
        "level": "function",
        "hints": False,
    }


def test_aliases_add_an_option_only_where_the_strategy_has_it_and_the_spec_does_not_set_it() -> None:
    assert with_option("ldb", "format", "focused") == "ldb[format=focused]"
    assert with_option("ldb[format=paper]", "format", "focused") == "ldb[format=paper]"
    assert with_option("feedback", "format", "focused") == "feedback"
    assert with_option("ldb[format=focused]", "level", "line") == "ldb[format=focused,level=line]"


def test_the_catalog_reads_every_option_off_the_models() -> None:
    entries = {e["spec"]: e for e in catalog.strategies()}
    assert list(entries) == [
        "ldb",
        "ldb[format=focused]",
        "ldb[format=paper]",
        "feedback",
        "explain",
        "hierarchical",
        "mgdebugger",
    ]
    for kind in KINDS:
        names = {o["name"] for o in entries[kind.label]["options"]}
        assert names == set(kind.options.model_fields) - {"format"}
    samples = {o["name"]: o for o in entries["ldb"]["options"]}["samples"]
    assert samples == {
        "name": "samples",
        "values": "1..10",
        "default": str(HoleOptions().samples),
        "help": HoleOptions.model_fields["samples"].description,
        "engine": False,
    }
    ties = {e["spec"]: {o["name"]: o for o in e["options"]}["ties"]["default"] for e in entries.values()}
    assert ties == {
        "ldb": "oldest",
        "ldb[format=focused]": "newest",
        "ldb[format=paper]": "newest",
        "feedback": "newest",
        "explain": "newest",
        "hierarchical": "oldest",
        "mgdebugger": "newest",
    }
    assert "| `samples` | `1..10` | `3` |" in catalog.markdown_tables()


def test_tracefix_strategies_prints_the_catalog() -> None:
    result = CliRunner().invoke(main, ["strategies", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == catalog.strategies()
    text = CliRunner().invoke(main, ["strategies"])
    assert text.exit_code == 0 and "ldb[format=focused]" in text.output and "samples" in text.output
