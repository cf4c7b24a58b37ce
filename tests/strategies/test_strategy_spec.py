"""Strategy specs: parsing, canonical names, clear errors, and what the options change."""

from __future__ import annotations

import pytest

from tracefix.strategies.baselines import PromptOnly
from tracefix.strategies.engine import Settings
from tracefix.strategies.ldb import Ldb
from tracefix.strategies.registry import engine_settings, make_strategy
from tracefix.strategies.spec import SpecError, parse_spec, split_specs


def test_plain_names_and_options_in_canonical_order() -> None:
    assert str(parse_spec("ldb")) == "ldb"
    assert str(parse_spec(" ldb[ prefill=ON , blocks=4 ] ")) == "ldb[blocks=4,prefill=on]"
    assert str(parse_spec("ldb[prefill=true]")) == str(parse_spec("ldb[prefill=on]"))
    assert str(parse_spec("ldb[]")) == "ldb"
    assert parse_spec("feedback[retry=off]").engine_values() == {"retry": False}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("ldbx", "unknown strategy 'ldbx'"),
        ("ldb[prefil=on]", "ldb has no option 'prefil'"),
        ("ldb[prefill=maybe]", "expected on or off"),
        ("ldb[blocks=0]", "from 1 to 50"),
        ("ldb[blocks]", "options are key=value"),
        ("ldb[blocks=2,blocks=3]", "given twice"),
        ("feedback[hints=on]", "feedback has no option 'hints'"),
        ("ldb[level=word]", "expected one of block, line, function"),
        ("ldb[", "not a strategy spec"),
    ],
)
def test_bad_specs_say_what_is_wrong(text: str, words: str) -> None:
    with pytest.raises(SpecError, match=words.replace("[", r"\[").replace("(", r"\(")):
        parse_spec(text)


def test_split_keeps_commas_inside_brackets() -> None:
    assert split_specs("feedback, ldb[prefill=on,hints=on],explain,") == [
        "feedback",
        "ldb[prefill=on,hints=on]",
        "explain",
    ]


def test_make_strategy_applies_options_and_names_the_variant() -> None:
    ldb = make_strategy("ldb[hints=on,blocks=3,format=paper]", level="line")
    assert isinstance(ldb, Ldb)
    assert (ldb.hints, ldb.prefill, ldb.max_blocks, ldb.format, ldb.level) == (
        True,
        False,
        3,
        "paper",
        "line",
    )
    assert ldb.name == "ldb[blocks=3,format=paper,hints=on]"
    plain = make_strategy("ldb", format="paper")
    assert isinstance(plain, Ldb) and plain.format == "paper" and plain.name == "ldb"
    fb = make_strategy("feedback[retry=off]")
    assert isinstance(fb, PromptOnly) and fb.template == "feedback" and fb.name == "feedback[retry=off]"


def test_a_bare_ldb_has_the_dataclass_defaults_and_every_option_reaches_its_field() -> None:
    assert make_strategy("ldb") == Ldb()
    ldb = make_strategy(
        "ldb[passing=0,samples=5,cite=code,types=off,recut=off,past=off,names=on,level=function]"
    )
    assert isinstance(ldb, Ldb)
    assert (ldb.passing_traces, ldb.samples, ldb.cite, ldb.types, ldb.recut, ldb.past, ldb.names) == (
        0, 5, "code", False, False, False, True,
    )  # fmt: skip
    assert ldb.level == "function" and ldb.rewrite is True and ldb.hints is None


def test_prefill_needs_the_focused_format() -> None:
    with pytest.raises(SpecError, match="add format=focused"):
        make_strategy("ldb[prefill=on]")
    assert make_strategy("ldb[prefill=on]", format="focused").name == "ldb[prefill=on]"


def test_engine_options_change_a_copy_of_the_settings() -> None:
    base = Settings(max_iters=4)
    changed = engine_settings("explain[retry=off]", base)
    assert changed.retry_unchanged is False and changed.max_iters == 4
    assert base.retry_unchanged is True
    assert engine_settings("explain", base) is base


def test_the_options_help_gives_the_defaults_the_code_has() -> None:
    from tracefix.strategies.ldb import Ldb
    from tracefix.strategies.registry import describe
    from tracefix.strategies.spec import ENGINE_OPTIONS, OPTIONS

    conditional = {"hints", "ties"}  # their default depends on the format, which their help says
    assert all(
        "default" not in o.help
        for k, o in {**OPTIONS["ldb"], **ENGINE_OPTIONS}.items()
        if k not in conditional
    )
    text = describe()
    (ldb_line,) = [line for line in text.splitlines() if line.startswith("ldb: ")]
    assert f"(default {Ldb().samples})" in ldb_line.split("samples: ")[1].split(";")[0]
    assert ldb_line.split("values: ")[1].endswith("(default off)")
    assert ldb_line.split("missing: ")[1].split(";")[0].endswith("(default on)")
    assert "retry: ask once more when a reply has no new program (default on)" in text.splitlines()[0]
