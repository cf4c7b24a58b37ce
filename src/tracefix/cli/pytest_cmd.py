"""``tracefix pytest``: debug a failing pytest test of a repository and propose the fix as a patch."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import click

from tracefix.cli.common import (
    STRATEGY_HELP,
    apply_aliases,
    attempt_printer,
    emit_json,
    open_model,
    session_summary,
    strategy_option,
)
from tracefix.cli.trace import describe
from tracefix.repo.fix import (
    SUSPECTS,
    DidNotRun,
    Fix,
    Found,
    debug_found,
    examine,
    missing_modules,
    trace_found,
)
from tracefix.repo.locate import RepoError, Target
from tracefix.repo.run import DEFAULT_BUDGET, Budget
from tracefix.report.html import write_session_report
from tracefix.strategies.cause import record as record_cause


@click.command("pytest")
@click.argument("nodeid")
@click.option(
    "--root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="The repository root (node ids are relative to it; it is put first on sys.path).",
)
@click.option("--target", help="The function to fix, as module:function or module:Class.method.")
@click.option("--model", "model_spec", envvar="TRACEFIX_MODEL", help="Model spec (default: embedded model).")
@click.option("--strategy", default="ldb", show_default=True, callback=strategy_option, help=STRATEGY_HELP)
@click.option(
    "--level",
    type=click.Choice(["block", "function"]),
    help="Alias of ldb's spec option: --level function is --strategy 'ldb[level=function]' (the line level "
    "is not available for pytest targets).",
)
@click.option("--max-iters", type=click.IntRange(1, 100), default=3, show_default=True)
@click.option(
    "--trace-only", is_flag=True, help="Find and trace the function under test; do not ask a model."
)
@click.option(
    "--apply",
    is_flag=True,
    help="Write the fix only if the test then passes and no test of its file that passed before fails.",
)
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), help="Write an HTML report.")
@click.option(
    "--timeout",
    type=click.FloatRange(1, 3600),
    default=DEFAULT_BUDGET.run_s,
    show_default=True,
    help="Seconds a whole pytest run may take (collection, fixtures and tests).",
)
@click.option(
    "--test-timeout",
    type=click.FloatRange(0.1, 3600),
    default=DEFAULT_BUDGET.test_s,
    show_default=True,
    help="Seconds one test may run: a test still running then (an endless loop) is stopped where it is, and "
    "debugged from its trace like any failing test.",
)
@click.option(
    "--suspects",
    type=click.IntRange(1, 10),
    default=SUSPECTS,
    show_default=True,
    help="Functions debugged in turn, most suspicious first, until one's fix passes the check (when the "
    "function under test was found by the spectrum).",
)
@click.option(
    "--stand-ins",
    "standins",
    type=click.Choice(["auto", "off"]),
    default="auto",
    show_default=True,
    help="auto: when the test cannot be collected because a module is not installed, run every pytest run "
    "with a permissive stand-in for each such module (named in the prompts and the output).",
)
@click.option("--json", "as_json", is_flag=True, help="Print target, trace, session and patch as JSON.")
def pytest_command(
    nodeid: str,
    root: Path,
    target: str | None,
    model_spec: str | None,
    strategy: str,
    level: str | None,
    max_iters: int,
    trace_only: bool,
    apply: bool,
    report: Path | None,
    timeout: float,
    test_timeout: float,
    suspects: int,
    standins: str,
    as_json: bool,
) -> None:
    """Debug the failing pytest test NODEID (e.g. tests/test_cart.py::test_total): find the function under
    test, show its block trace, and propose a fix as a diff touching only that function."""

    say = _printer(as_json)
    budget = Budget(run_s=timeout, test_s=test_timeout)
    try:
        try:
            found = examine(str(root), nodeid, target=target, budget=budget)
        except DidNotRun as exc:
            if standins == "off" or "No module named" not in str(exc):
                raise
            modules = missing_modules(str(root), nodeid, budget)
            if not modules:
                raise
            budget = dataclasses.replace(budget, stand_in_modules=modules)
            say(f"stand-ins (invented, not installed here): {', '.join(modules)}; every run uses them")
            found = examine(str(root), nodeid, target=target, budget=budget)
    except DidNotRun as exc:  # not a usage error: the test exists and its run failed
        raise click.ClickException(f"{exc}; nothing to debug (see --timeout for the whole run)") from exc
    except RepoError as exc:
        raise click.UsageError(str(exc)) from exc
    out: dict[str, Any] = {"nodeid": nodeid, "outcome": found.result.outcome, "sandbox": found.run.sandbox}
    out["stand_ins"] = list(budget.stand_in_modules)
    out["target"] = {
        "file": found.target.file,
        "function": found.target.qualname,
        "found_by": found.target.how,
        "evidence": found.target.why,
    }
    if found.result.passed and not target:
        say(f"{nodeid} passes; nothing to debug (give --target to trace a function anyway)")
        _finish(out, as_json)
        return
    say(f"{nodeid}: {found.result.outcome} ({found.run.sandbox} sandbox)")
    say(f"function under test: {found.target} (found by {found.target.found_by()})")
    trace = trace_found(found, budget=budget)
    out["trace"] = trace.model_dump(mode="json")
    say(describe(trace, found.cfg, found.source))
    if trace_only or found.result.passed:
        if found.result.passed:
            say(f"{nodeid} passes; nothing to fix")
        _finish(out, as_json)
        return
    (strategy,) = apply_aliases([strategy], level, None, quiet=as_json)
    fix = _debug(found, model_spec, strategy, max_iters, apply, budget, suspects, as_json)
    out["debugged"] = [_debugged(f) for f in fix.tried or [fix]]
    out.update(
        session=fix.session.model_dump(mode="json"),
        diff=fix.diff,
        changed=fix.changed,
        checked=fix.checked,
        check_failures=fix.check_failures,
        failing_before=fix.failing_before,
        applied=fix.applied,
        undone=fix.undone,
    )
    if report is not None:
        _report(fix, report)
    if as_json:
        _finish(out, as_json)
    else:
        _summary(fix, found, apply, report)
    if not fix.passes:
        raise SystemExit(1)


def _debugged(fix: Fix) -> dict[str, Any]:
    return {
        "file": fix.target.file,
        "function": fix.target.qualname,
        "found_by": fix.target.how,
        "evidence": fix.target.why,
        "outcome": fix.session.outcome,
        "changed": fix.changed,
        "passes": fix.passes,
    }


def _printer(as_json: bool) -> Any:
    def say(text: str) -> None:
        if not as_json:
            click.echo(text)

    return say


def _finish(out: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(out)


def _debug(
    found: Found,
    model_spec: str | None,
    strategy: str,
    max_iters: int,
    apply: bool,
    budget: Budget,
    suspects: int,
    as_json: bool,
) -> Fix:

    model = open_model(model_spec)
    progress = attempt_printer(as_json)
    if not as_json:
        click.echo(f"debugging {found.target.qualname} with {strategy} on {model.name}", err=True)
    try:
        fix = debug_found(
            found, model, strategy=strategy, max_iters=max_iters, apply=apply, budget=budget,
            on_attempt=progress, suspects=suspects, on_target=None if as_json else _next_target,
        )  # fmt: skip
        fix.session = record_cause(fix.session, model)
        return fix
    finally:
        model.close()


def _next_target(target: Target) -> None:
    click.echo(f"not fixed there; debugging the next suspect: {target} ({target.found_by()})", err=True)


def _report(fix: Fix, path: Path) -> None:

    write_session_report(fix.session, path)


def _summary(fix: Fix, found: Found, apply: bool, report: Path | None) -> None:
    session = fix.session
    if len(fix.tried) > 1:
        turns = ", ".join(f"{f.target} ({'passes' if f.passes else f.session.outcome})" for f in fix.tried)
        click.echo(f"functions debugged in turn: {turns}; the patch below is for {fix.target}")
    session_summary(session)
    if fix.undone:
        click.echo(f"{fix.undone} hunk(s) of the model's patch were not needed by the tests and were undone")
    if fix.diff:
        click.echo(fix.diff.rstrip("\n"))
    else:
        click.echo("no change to propose")
    if fix.checked and fix.check_failures:
        click.echo(f"with the patch, these tests of {found.nodeid.split('::')[0]} fail:")
        for failure in fix.check_failures:
            click.echo(f"  {failure}")
    elif fix.passes:
        click.echo(f"with the patch, {found.nodeid} and the tests of its file that passed before pass")
    if fix.failing_before:
        click.echo("these tests failed before the patch too (not counted against it):")
        for failure in fix.failing_before:
            click.echo(f"  {failure}")
    if apply:
        click.echo(
            f"wrote the fix to {found.target.file}" if fix.applied else "did not write: " + _why_not(fix)
        )
    if report is not None:
        click.echo(f"report: {report}")


def _why_not(fix: Fix) -> str:
    if not fix.changed:
        return "the model proposed no change to the functions of the file"
    return "tests still fail with the patch (listed above)"
