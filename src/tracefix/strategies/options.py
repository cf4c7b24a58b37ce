"""Strategy options: one typed model per strategy, the single declaration of each option.

A strategy's options model says each option's type (its choices or range), its default and its help
(the field's ``description``), and the rules between options (validators). Parsing a spec, the defaults,
the CLI's help and error messages, ``tracefix strategies`` and the documentation's option tables are all
read from these models; nothing else declares an option.

Every model derives from :class:`Options`, which holds the engine's options: they apply to every strategy
alike, and a strategy may give them another default (ldb's hole format starts each iteration from the
oldest of equally good programs).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Options(BaseModel):
    """The options every strategy has: how the loop treats its replies."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    retry: bool = Field(
        default=True,
        description="ask once more, saying why, when a reply has no usable or no new program "
        "(at the retry temperature)",
    )
    ties: Literal["newest", "oldest"] = Field(
        default="newest",
        description="the program the next iteration starts from when a new one passes as many visible tests "
        "as the best so far",
    )


def spec_text(value: object) -> str:
    """An option's value as a spec writes it: ``on``/``off`` for flags, else its plain text."""
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)
