"""Strategy specs: a strategy's name with options, such as ``ldb[prefill=on,blocks=4]``.

A spec names one variant of a strategy, so a single benchmark run can hold several variants side by side
(an ablation) and every result stays labelled with exactly what produced it. Grammar::

    spec    := name | name "[" option ("," option)* "]"
    option  := key "=" value

Each strategy declares its options (:data:`OPTIONS`); the engine's own knobs (``retry``) apply to every
strategy. A spec prints in canonical form: options sorted by key, so ``ldb[b=1,a=2]`` and ``ldb[a=2,b=1]``
are the same variant.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

_SPEC = re.compile(r"^\s*([a-z][a-z0-9_-]*)\s*(?:\[(.*)\])?\s*$")
_TRUE = frozenset({"on", "true", "yes", "1"})
_FALSE = frozenset({"off", "false", "no", "0"})


class SpecError(ValueError):
    """A strategy spec that does not parse or names an unknown option or value."""


def _flag(text: str) -> bool:
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SpecError(f"expected on or off, not {text!r}")


def _count(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not text.strip().isdigit() or not low <= int(text) <= high:
            raise SpecError(f"expected a whole number from {low} to {high}, not {text!r}")
        return int(text)

    return parse


def _choice(*choices: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text.strip() not in choices:
            raise SpecError(f"expected one of {', '.join(choices)}, not {text!r}")
        return text.strip()

    return parse


@dataclass(frozen=True)
class Option:
    """One option of a strategy: how its value parses, and what it does."""

    parse: Callable[[str], object]
    help: str


ENGINE_OPTIONS: dict[str, Option] = {
    "retry": Option(_flag, "ask once more when a reply has no new program"),
    "ties": Option(
        _choice("newest", "oldest"),
        "the program the next iteration starts from when a new one passes as many visible tests as the best "
        "(default newest; oldest for ldb's hole format)",
    ),
}

OPTIONS: dict[str, dict[str, Option]] = {
    "feedback": {},
    "explain": {},
    "ldb": {
        "level": Option(_choice("block", "line", "function"), "granularity of the trace"),
        "format": Option(
            _choice("focused", "paper", "hole"),
            "one focused request, the paper's two calls, or the blamed block cut out and written anew",
        ),
        "blocks": Option(_count(1, 50), "at most this many blocks shown, in the focused format"),
        "passing": Option(_count(0, 10), "passing tests traced for fault localisation"),
        "prefill": Option(_flag, "make the reply start with the wrong block's number, on models that can"),
        "hints": Option(_flag, "say what the trace shows about the wrong result (default: on for hole only)"),
        "cite": Option(
            _choice("blocks", "code"),
            "how the hole format's findings name a block: BLOCK numbers or their code",
        ),
        "names": Option(
            _flag,
            "a failure on a name never defined (misnamed function, missing import) is mended first",
        ),
        "missing": Option(
            _flag,
            "hole format: a function the test calls and the program lacks gets a header to fill",
        ),
        "past": Option(_flag, "hole format: say how the earlier attempts failed"),
        "types": Option(_flag, "hole format: say when the returned value is of another type than expected"),
        "retype": Option(
            _flag,
            "hole format, with types: the expected value returned as another type blames the block that "
            "returned it",
        ),
        "unblamed": Option(
            _choice("cut", "rewrite"),
            "hole format: when no finding blames a block, cut the first-ranked one or rewrite the whole body",
        ),
        "unparsed": Option(
            _choice("focused", "feedback"),
            "hole format: a program that does not compile is asked for with the focused request or as "
            "plain test feedback",
        ),
        "values": Option(
            _flag,
            "hole format: say how a returned list, string, set or dict differs from the expected one",
        ),
        "rewrite": Option(_flag, "hole format: once every part was cut, cut the whole body, sampled"),
        "samples": Option(
            _count(1, 10),
            "with rewrite: whole-body programs sampled per iteration, the best kept",
        ),
        "recut": Option(_flag, "hole format: after an already-tried program, ask with the next cut"),
    },
}


@dataclass(frozen=True)
class Spec:
    """A parsed spec: the strategy's name and its options' values, as written (parsed on use)."""

    name: str
    options: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        if not self.options:
            return self.name
        return f"{self.name}[{','.join(f'{k}={v}' for k, v in self.options)}]"

    def values(self) -> dict[str, object]:
        """The strategy's own options, parsed."""
        own = OPTIONS[self.name]
        return {k: own[k].parse(v) for k, v in self.options if k in own}

    def engine_values(self) -> dict[str, object]:
        """The engine's options, parsed."""
        return {k: ENGINE_OPTIONS[k].parse(v) for k, v in self.options if k in ENGINE_OPTIONS}


def parse_spec(text: str) -> Spec:
    """Parse and check one spec; :class:`SpecError` says what is wrong."""
    match = _SPEC.match(text)
    if match is None:
        raise SpecError(f"{text!r} is not a strategy spec (name or name[key=value,...])")
    name, body = match.group(1), match.group(2)
    if name not in OPTIONS:
        raise SpecError(f"unknown strategy {name!r}; choose one of {', '.join(OPTIONS)}")
    allowed = {**OPTIONS[name], **ENGINE_OPTIONS}
    options: dict[str, str] = {}
    for part in body.split(",") if body and body.strip() else []:
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise SpecError(f"{text!r}: options are key=value, not {part.strip()!r}")
        if key not in allowed:
            raise SpecError(
                f"{text!r}: {name} has no option {key!r}; its options: {', '.join(sorted(allowed))}"
            )
        if key in options:
            raise SpecError(f"{text!r}: option {key!r} given twice")
        try:
            allowed[key].parse(value)
        except SpecError as exc:
            raise SpecError(f"{text!r}: {key}: {exc}") from None
        options[key] = ("on" if _flag(value) else "off") if allowed[key].parse is _flag else value
    return Spec(name, tuple(sorted(options.items())))


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


def describe_options(defaults: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """Every strategy's options, for help texts; ``defaults`` (by strategy, then option, in spec form)
    are added to the options' help, so the defaults are written in one place, the strategy's own
    (``registry.option_defaults``)."""
    lines = []
    for name, own in OPTIONS.items():
        keys = {**own, **ENGINE_OPTIONS}
        given = (defaults or {}).get(name, {})
        lines.append(
            f"{name}: "
            + "; ".join(
                f"{k}: {o.help}" + (f" (default {given[k]})" if k in given else "")
                for k, o in sorted(keys.items())
            )
        )
    return "\n".join(lines)
