"""``tracefix debug``: fix a failing function in a file with the chosen strategy and model."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import cast

import click

from tracefix.analysis.source import function_source, replace_function
from tracefix.api import debug as run_debug
from tracefix.cli.common import (
    ALIAS_OPTIONS,
    STAND_INS_OPTION,
    STRATEGY_HELP,
    apply_aliases,
    attempt_printer,
    emit_json,
    load_cfg,
    open_model,
    read_source,
    read_tests,
    session_summary,
    strategy_option,
)
from tracefix.partial.context import StandInsMode
from tracefix.records import Session
from tracefix.report.html import write_session_report
from tracefix.strategies.cause import record as record_cause


def _diff(before: str, after: str, path: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{path}", f"b/{path}"
        )
    )


def _write_back(path: Path, source: str, session: Session) -> None:

    entry = session.task.entry_point
    new_function = function_source(session.final_program, entry)
    path.write_text(replace_function(source, entry, new_function), encoding="utf-8")


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--function", "function", required=True, help="Function to fix: a name or Class.method.")
@click.option("--test", "tests", multiple=True, help="A visible test, e.g. 'assert f(1) == 2' (repeatable).")
@click.option(
    "--tests-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="One test per line."
)
@click.option("--task", "task", help="What the function should do (default: its docstring).")
@click.option("--strategy", default="ldb", show_default=True, callback=strategy_option, help=STRATEGY_HELP)
@ALIAS_OPTIONS["level"]
@ALIAS_OPTIONS["format"]
@click.option("--model", "model_spec", envvar="TRACEFIX_MODEL", help="Model spec (default: embedded model).")
@click.option("--max-iters", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the session record as JSON."
)
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), help="Write an HTML report.")
@click.option("--write", is_flag=True, help="Replace the function in FILE when the visible tests pass.")
@STAND_INS_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the session record as JSON.")
def debug(
    file: Path,
    function: str,
    tests: tuple[str, ...],
    tests_file: Path | None,
    task: str | None,
    strategy: str,
    level: str | None,
    fmt: str | None,
    model_spec: str | None,
    max_iters: int,
    out: Path | None,
    report: Path | None,
    write: bool,
    standins: str,
    as_json: bool,
) -> None:
    """Fix FUNCTION in FILE so that the visible tests pass, showing the model the runtime trace."""

    source = read_source(file)
    visible = read_tests(tests, tests_file)
    load_cfg(file, source, function)  # a syntax error or a wrong name fails here, before loading the model
    (strategy,) = apply_aliases([strategy], level, fmt, quiet=as_json)
    model = open_model(model_spec)
    progress = attempt_printer(as_json)
    if not as_json:
        click.echo(f"debugging {function} in {file} with {strategy} on {model.name}", err=True)
    try:
        session = run_debug(
            source,
            function,
            visible,
            task,
            model,
            strategy,
            max_iters=max_iters,
            on_attempt=progress,
            stand_ins=cast(StandInsMode, standins),
        )
        session = record_cause(session, model)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        model.close()
    if out is not None:
        out.write_text(session.model_dump_json(indent=2), encoding="utf-8")
    if report is not None:
        write_session_report(session, report)
    if write and session.outcome == "fixed":
        _write_back(file, source, session)
    if as_json:
        emit_json(session)
    else:
        _summary(session, str(file), write, report)
    if session.outcome not in ("fixed", "already_passing"):
        raise SystemExit(1)


def _summary(session: Session, path: str, write: bool, report: Path | None) -> None:
    before = sum(r.passed for r in session.initial_results)
    total = len(session.initial_results)
    click.echo(f"before: {before}/{total} visible tests pass")
    if session.outcome == "already_passing":
        click.echo("all visible tests already pass; nothing to fix")
        return
    final = session.attempts[-1].test_results if session.attempts else session.initial_results
    for result in final:
        if result.broken is not None:
            click.echo(f"broken test, left aside: {result.test.strip()[:120]}\n  {result.broken}")
    session_summary(session)
    diff = _diff(session.initial_program, session.final_program, path)
    if diff:
        click.echo(diff.rstrip("\n"))
    if write:
        click.echo(
            f"wrote the fix to {path}" if session.outcome == "fixed" else "did not write: tests still fail"
        )
    if report is not None:
        click.echo(f"report: {report}")
