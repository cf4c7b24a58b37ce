"""The strategies by spec (a name, optionally with options: ``ldb[prefill=on]``), see ``spec.py``."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tracefix.strategies.baselines import explain, feedback
from tracefix.strategies.engine import Settings, Strategy
from tracefix.strategies.ldb import DEFAULT_FORMAT, FORMATS, LEVELS, Ldb
from tracefix.strategies.spec import OPTIONS, SpecError, describe_options, parse_spec

STRATEGIES = ("ldb", "feedback", "explain")
_LDB_FIELDS = {"blocks": "max_blocks", "passing": "passing_traces"}
"""ldb's spec options whose ``Ldb`` field has another name; every other option is the field of its name."""


def make_strategy(text: str, *, level: str = "block", format: str = DEFAULT_FORMAT) -> Strategy:
    """Build the strategy a spec names; ``level`` and ``format`` are ldb's defaults when the spec omits them.

    The strategy's ``name`` is the spec in canonical form, so results are labelled with the exact variant.
    Raises :class:`~tracefix.strategies.spec.SpecError` (a ``ValueError``) on an unknown name or option.
    """
    spec = parse_spec(text)
    strategy: Strategy
    if spec.name == "feedback":
        strategy = feedback()
    elif spec.name == "explain":
        strategy = explain()
    else:
        if level not in LEVELS:
            raise ValueError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
        if format not in FORMATS:
            raise ValueError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
        values = spec.values()
        if values.get("prefill") and values.get("format", format) != "focused":
            raise SpecError(f"{text!r}: prefill leads the focused format's reply; add format=focused")
        if "samples" in values and not values.get("rewrite", True):
            raise SpecError(
                f"{text!r}: samples are drawn for the whole-body rewrite, which rewrite=off turns off"
            )
        # Only the options the spec sets are passed: the defaults are Ldb's own (one place to change them).
        # Each option's parser (spec.py) already gives the field's type.
        changes: dict[str, Any] = {_LDB_FIELDS.get(k, k): v for k, v in values.items()}
        strategy = Ldb(**{"level": level, "format": format, **changes})
    strategy.name = str(spec)
    return strategy


def engine_settings(text: str, settings: Settings, *, format: str = DEFAULT_FORMAT) -> Settings:
    """``settings`` with the engine options a spec sets (``retry``, ``ties``) applied.

    ldb's hole format (``format`` is ldb's default where the spec omits it) defaults to ``ties=oldest``: each
    iteration cuts another part of the same program until a reply passes more visible tests."""
    spec = parse_spec(text)
    values = spec.engine_values()
    if spec.name == "ldb" and spec.values().get("format", format) == "hole":
        values.setdefault("ties", "oldest")
    if "retry" in values:
        settings = replace(settings, retry_unchanged=bool(values["retry"]))
    if "ties" in values:
        settings = replace(settings, keep_newest=values["ties"] == "newest")
    return settings


def option_defaults() -> dict[str, dict[str, str]]:
    """Each strategy's option defaults in spec form (``on``, ``3``), read off the strategy and the engine, so
    the help never states a default the code does not have. ldb's ``hints`` and the engine's ``ties`` depend
    on the format, which their help says."""
    ldb = Ldb()
    engine = {"retry": _spec_text(Settings().retry_unchanged)}
    own: dict[str, str] = {}
    for key in OPTIONS["ldb"]:
        value = getattr(ldb, _LDB_FIELDS.get(key, key))
        if value is not None:
            own[key] = _spec_text(value)
    return {"ldb": {**own, **engine}, "feedback": dict(engine), "explain": dict(engine)}


def describe() -> str:
    """Every strategy's options with their defaults, for the CLI's error messages."""
    return describe_options(option_defaults())


def _spec_text(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)
