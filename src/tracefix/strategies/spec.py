"""The grammar of a strategy spec: a strategy's name with options, such as ``ldb[format=focused,blocks=4]``.

A spec names one variant of a strategy, so a single benchmark run can hold several variants side by side
(an ablation) and every result stays labelled with exactly what produced it. Grammar::

    spec    := name | name "[" option ("," option)* "]"
    option  := key "=" value

This module only splits a spec into its name and its options as written; what the options mean, and which
exist, is the strategies' options models' to say (``build.parse_spec``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SPEC = re.compile(r"^\s*([a-z][a-z0-9_-]*)\s*(?:\[(.*)\])?\s*$")


class SpecError(ValueError):
    """A strategy spec that does not parse or names an unknown option or value."""


@dataclass(frozen=True)
class Written:
    """A spec as written: the strategy's name and its options' keys and values, in the order given."""

    name: str
    options: tuple[tuple[str, str], ...] = ()


def split_options(text: str) -> Written:
    """Split one spec into its name and options; :class:`SpecError` when it is not a spec."""
    match = _SPEC.match(text)
    if match is None:
        raise SpecError(f"{text!r} is not a strategy spec (name or name[key=value,...])")
    name, body = match.group(1), match.group(2)
    options: dict[str, str] = {}
    for part in body.split(",") if body and body.strip() else []:
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise SpecError(f"{text!r}: options are key=value, not {part.strip()!r}")
        if key in options:
            raise SpecError(f"{text!r}: option {key!r} given twice")
        options[key] = value
    return Written(name, tuple(options.items()))


def split_specs(text: str) -> list[str]:
    """Split a comma-separated list of specs, leaving the commas inside brackets alone."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "[":
            depth += 1
        elif char == "]":
            depth = max(0, depth - 1)
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]
