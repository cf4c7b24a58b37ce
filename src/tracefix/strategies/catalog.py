"""Every strategy and its options, read off the options models: for ``tracefix strategies``, the CLI's
error messages and the documentation's option tables (nothing here declares an option)."""

from __future__ import annotations

import inspect
import typing
from typing import Any

from annotated_types import Ge, Le
from pydantic.fields import FieldInfo

from tracefix.strategies.build import KINDS, Kind
from tracefix.strategies.options import Options, spec_text


def option_kind(field: FieldInfo) -> str:
    """What values an option takes: ``on|off``, the choices, or a range of whole numbers."""
    annotation = field.annotation
    if annotation is bool:
        return "on|off"
    if typing.get_origin(annotation) is typing.Literal:
        return "|".join(str(a) for a in typing.get_args(annotation))
    if annotation is int:
        low = next((m.ge for m in field.metadata if isinstance(m, Ge)), None)
        high = next((m.le for m in field.metadata if isinstance(m, Le)), None)
        return f"{low}..{high}" if low is not None and high is not None else "a whole number"
    return str(annotation)


def _engine(name: str) -> bool:
    return name in Options.model_fields


def strategies() -> list[dict[str, Any]]:
    """Each strategy with its options: name, values taken, default (spec form), help, and whether it is
    the engine's (every strategy has those)."""
    return [_entry(kind) for kind in KINDS]


def _entry(kind: Kind) -> dict[str, Any]:
    options = [
        {
            "name": name,
            "values": option_kind(field),
            "default": spec_text(field.get_default(call_default_factory=True)),
            "help": field.description or "",
            "engine": _engine(name),
        }
        for name, field in kind.options.model_fields.items()
        if name != "format"
    ]
    return {
        "spec": kind.label,
        "strategy": kind.name,
        "format": kind.format,
        "summary": inspect.cleandoc(kind.options.__doc__ or ""),
        "options": sorted(options, key=lambda o: (o["engine"], o["name"])),
    }


def describe() -> str:
    """Every strategy's options with their defaults, in a few lines (for the CLI's error messages)."""
    lines = []
    for entry in strategies():
        shown = "; ".join(f"{o['name']}={o['values']} (default {o['default']})" for o in entry["options"])
        lines.append(f"{entry['spec']}: {shown}")
    return "\n".join(lines)


def markdown_tables() -> str:
    """One section per strategy with a table of its options, for the documentation."""
    parts = []
    for entry in strategies():
        rows = [
            f"| `{o['name']}` | `{o['values']}` | `{o['default']}` | {o['help']}"
            + (" (every strategy has it)" if o["engine"] else "")
            + " |"
            for o in entry["options"]
        ]
        parts.append(
            f"### `{entry['spec']}`\n\n{entry['summary']}\n\n"
            "| option | values | default | what it does |\n| --- | --- | --- | --- |\n" + "\n".join(rows)
        )
    return "\n\n".join(parts) + "\n"
