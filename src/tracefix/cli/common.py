"""Helpers shared by the CLI commands: JSON output and user-facing errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from pydantic import BaseModel

from tracefix.analysis.cfg import FunctionNotFound, build_cfg
from tracefix.models.base import Model, ModelError
from tracefix.models.resolve import load_model
from tracefix.partial.context import STAND_INS_HELP, STAND_INS_MODES
from tracefix.records import CFG, Attempt, Hierarchy, Session
from tracefix.strategies.build import NAMES, canonical, with_option
from tracefix.strategies.catalog import describe
from tracefix.strategies.spec import SpecError
from tracefix.strategies.tests import parse_tests_file


def strategy_option(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    """Check a ``--strategy`` spec (``ldb``, ``ldb[format=focused]``, ...) and return it in canonical form."""
    try:
        return canonical(value)
    except SpecError as exc:
        raise click.BadParameter(f"{exc}\n{describe()}") from exc


STRATEGY_HELP = (
    f"A strategy spec: {', '.join(NAMES)}, optionally with options, e.g. ldb[format=focused,blocks=4] "
    "(`tracefix strategies` lists them)."
)

STAND_INS_OPTION = click.option(
    "--stand-ins",
    "standins",
    type=click.Choice(STAND_INS_MODES),
    default="auto",
    show_default=True,
    help=STAND_INS_HELP,
)
"""``--stand-ins`` of ``tracefix trace`` and ``tracefix debug`` (``tracefix.partial.context``)."""

ALIAS_OPTIONS = {
    "level": click.option(
        "--level",
        type=click.Choice(["block", "line", "function"]),
        help="Alias of ldb's spec option: --level line is --strategy 'ldb[level=line]'.",
    ),
    "format": click.option(
        "--format",
        "fmt",
        type=click.Choice(["hole", "focused", "paper"]),
        help="Alias of ldb's spec option: --format focused is --strategy 'ldb[format=focused]'.",
    ),
}
"""``--level`` and ``--format``, kept as aliases of ldb's spec options (their choices are checked again by
the options model when the spec is built)."""


def apply_aliases(specs: list[str], level: str | None, fmt: str | None, *, quiet: bool = False) -> list[str]:
    """``specs`` with the aliases' options added where a spec's strategy has them and does not set them;
    says on stderr what each alias became."""
    for key, value in (("level", level), ("format", fmt)):
        if value is None:
            continue
        try:
            specs = [with_option(spec, key, value) for spec in specs]
        except SpecError as exc:
            raise click.UsageError(f"--{key} {value}: {exc}") from exc
        if not quiet:
            click.echo(f"note: --{key} {value} is an alias of the spec option {key}={value}", err=True)
    return specs


OUTCOME_WORDS = {
    "fixed": "fixed",
    "failed": "not fixed",
    "error": "stopped by an error",
    "already_passing": "passes",
    "broken_tests": "every test passes but the broken ones",
}


def session_summary(session: Session) -> None:
    """Print a session's outcome and cost in one line, and its error if it stopped on one."""
    iterations = len(session.attempts)
    click.echo(
        f"{OUTCOME_WORDS[session.outcome]} after {iterations} iteration{'s' * (iterations != 1)}, "
        f"{session.calls} model calls, {session.usage.total_tokens} tokens, {session.duration_s:.1f} s"
    )
    if session.error:
        click.echo(f"error: {session.error}")
    if session.cause:
        click.echo(f"what was wrong: {session.cause}")


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
        collected += parse_tests_file(read_source(tests_file))
    if not collected:
        raise click.UsageError("give at least one test with --test or --tests-file")
    return collected


def load_cfg(file: Path, source: str, function: str) -> CFG:
    """The CFG of ``function`` in ``file``, with a syntax error or an unknown function as a CLI error."""

    try:
        return build_cfg(source, function)
    except SyntaxError as exc:
        raise click.ClickException(
            f"{file}:{exc.lineno}: syntax error: {exc.msg}; fix the file first"
        ) from exc
    except FunctionNotFound as exc:
        raise click.UsageError(f"--function: {exc}") from exc


def open_model(spec: str | None) -> Model:
    """The model a spec names (None: the configured one), with backend errors as CLI errors."""
    try:
        return load_model(spec)
    except ModelError as exc:
        raise click.ClickException(str(exc)) from exc


def describe_attempt(attempt: Attempt) -> list[str]:
    """How one debugging iteration went, for progress on stderr."""
    lines = [f"iteration {attempt.iteration + 1}:"]
    if attempt.hierarchy is not None:
        lines += hierarchy_lines(attempt.hierarchy)
    who = "blamed by the trace, cut out and rewritten" if attempt.verdict_parse == "trace" else "judged wrong"
    for verdict in attempt.verdicts:
        if not verdict.correct:
            lines.append(f"  block {verdict.block} {who}: {verdict.explanation or '(no reason given)'}")
    if attempt.note:
        lines.append(f"  quick fix, no model call: {attempt.note}")
    if attempt.program is None:
        lines.append(f"  no new program: {attempt.failure}")
    else:
        results = attempt.test_results
        lines.append(f"  {sum(r.passed for r in results)}/{len(results)} visible tests pass")
    tokens = attempt.usage.prompt_tokens + attempt.usage.completion_tokens
    lines.append(f"  ({len(attempt.replies)} model calls, {tokens} tokens, {attempt.duration_s:.1f} s)")
    return lines


def hierarchy_lines(record: Hierarchy) -> list[str]:
    """What the hierarchical strategies did in one iteration: the decomposition, the verdicts on each
    subfunction's calls (or its tests), and the function debugged."""
    lines = []
    if record.decomposition is not None:
        lines.append(f"  decomposition: {record.decomposition}")
    for check in record.checked:
        if check.checks:
            wrong = [c for c in check.checks if c.agreed]
            lines.append(
                f"  {check.function}: {check.recorded} calls recorded, {len(check.checks)} judged, "
                f"{len(wrong)} wrong"
            )
            lines += [f"    {c.shown}; should be {c.expected}" for c in wrong]
        elif check.tests:
            lines.append(f"  {check.function}: {len(check.tests)} test cases, fixed {check.fixes} times")
    if record.debugged is not None:
        on = f" on {len(record.tests)} unit tests" if record.tests else ""
        lines.append(f"  debugged {record.debugged}{on}")
    return lines


def attempt_printer(quiet: bool) -> Callable[[Attempt], None]:
    """An ``on_attempt`` callback that prints each iteration to stderr unless ``quiet`` (JSON output)."""

    def progress(attempt: Attempt) -> None:
        if not quiet:
            click.echo("\n".join(describe_attempt(attempt)), err=True)

    return progress
