"""The strategies by name, and their options."""

from __future__ import annotations

from tracefix.strategies.baselines import explain, feedback
from tracefix.strategies.engine import Strategy
from tracefix.strategies.ldb import FORMATS, LEVELS, Ldb

STRATEGIES = ("ldb", "feedback", "explain")


def make_strategy(name: str, *, level: str = "block", format: str = "focused") -> Strategy:
    """Build a strategy by name; ``level`` and ``format`` apply to ldb only."""
    if name == "feedback":
        return feedback()
    if name == "explain":
        return explain()
    if name == "ldb":
        if level not in LEVELS:
            raise ValueError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
        if format not in FORMATS:
            raise ValueError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
        return Ldb(level=level, format=format)
    raise ValueError(f"unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}")
