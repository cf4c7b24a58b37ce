"""Prompt templates: one Jinja2 file per strategy step, in ``strategies/prompts/``."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from tracefix.records import Message


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("tracefix.strategies", "prompts"),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        autoescape=False,
    )


def render(name: str, **values: Any) -> str:
    """Render ``prompts/<name>.j2`` with ``values``."""
    return _environment().get_template(f"{name}.j2").render(**values).strip()


def chat(name: str, **values: Any) -> list[Message]:
    """The system message and the rendered user message: the start of every strategy's conversation."""
    return chat_as("system", name, **values)


def chat_as(system: str, name: str, **values: Any) -> list[Message]:
    """:func:`chat` with another system message (``prompts/<system>.j2``), as a method's own prompts have."""
    return [
        Message(role="system", content=render(system)),
        Message(role="user", content=render(name, **values)),
    ]
