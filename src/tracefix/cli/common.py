"""Helpers shared by the CLI commands: JSON output and user-facing errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from pydantic import BaseModel


def emit_json(data: BaseModel | dict[str, Any] | list[Any]) -> None:
    """Print a record or plain data as indented JSON on stdout."""
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json")
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def read_source(path: Path) -> str:
    """Read a user's source file, turning OS errors into a clear CLI error."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise click.FileError(str(path), hint=exc.strerror or str(exc)) from exc


def read_tests(tests: tuple[str, ...], tests_file: Path | None) -> list[str]:
    """Collect tests from repeated ``--test`` options and a ``--tests-file`` (one test per line;
    a line that starts with whitespace continues the previous test; blank lines and ``#`` comments skipped)."""
    collected = list(tests)
    if tests_file is not None:
        current: list[str] = []
        for raw in read_source(tests_file).splitlines():
            if not raw.strip() or raw.lstrip().startswith("#"):
                continue
            if raw[:1].isspace() and current:
                current.append(raw)
                continue
            if current:
                collected.append("\n".join(current))
            current = [raw]
        if current:
            collected.append("\n".join(current))
    if not collected:
        raise click.UsageError("give at least one test with --test or --tests-file")
    return collected
