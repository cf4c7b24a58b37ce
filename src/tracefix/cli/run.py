"""``tracefix run``: run tests against a program in the sandbox and report each one."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import click

from tracefix.cli.common import emit_json, read_source, read_tests
from tracefix.execution.limits import Limits
from tracefix.execution.sandbox import Executor, Mode
from tracefix.records import TestResult


def describe(result: TestResult) -> str:
    """One line per test (plus its actual value and output when it failed)."""
    mark = "PASS" if result.passed else "FAIL"
    lines = [f"{mark} {result.test.splitlines()[0]}  ({result.duration_s * 1000:.1f} ms)"]
    if not result.passed:
        lines.append(f"     {result.error}")
        if result.actual is not None:
            lines.append(f"     actual: {result.actual}")
        for name, text in (("stdout", result.stdout), ("stderr", result.stderr)):
            if text.strip():
                lines.append(f"     {name}: {text.strip()[:500]}")
    return "\n".join(lines)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--test", "tests", multiple=True, help="A test, e.g. 'assert f(1) == 2' (repeatable).")
@click.option(
    "--tests-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A file of tests, one per line (indented lines continue the previous test).",
)
@click.option(
    "--prelude-file", type=click.Path(dir_okay=False, path_type=Path), help="Code to run before FILE."
)
@click.option(
    "--timeout",
    "wall_s",
    type=click.FloatRange(min=0.01),
    default=5.0,
    show_default=True,
    help="Wall-clock seconds per test.",
)
@click.option(
    "--sandbox",
    type=click.Choice(["auto", "bwrap", "rlimits"]),
    default="auto",
    show_default=True,
    help="Isolation: bubblewrap, rlimits only, or bwrap when it works here.",
)
@click.option("--json", "as_json", is_flag=True, help='Print {"results": [...]} as JSON.')
def run(
    file: Path,
    tests: tuple[str, ...],
    tests_file: Path | None,
    prelude_file: Path | None,
    wall_s: float,
    sandbox: str,
    as_json: bool,
) -> None:
    """Run tests against FILE in the sandbox, one job per test. Exit status 0 when all pass, 1 otherwise."""

    program = read_source(file)
    collected = read_tests(tests, tests_file)
    prelude = read_source(prelude_file) if prelude_file is not None else ""
    with Executor(Limits(wall_s=wall_s), sandbox=cast(Mode, sandbox)) as executor:
        results = executor.run_tests(program, collected, prelude=prelude)
    if as_json:
        emit_json({"results": [result.model_dump(mode="json") for result in results]})
    else:
        for result in results:
            click.echo(describe(result))
        passed = sum(result.passed for result in results)
        click.echo(f"{passed}/{len(results)} passed")
    if not all(result.passed for result in results):
        raise SystemExit(1)
