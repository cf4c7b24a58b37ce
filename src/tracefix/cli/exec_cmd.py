"""``tracefix exec``: execute code that cannot run as it is, with stand-ins for what it lacks."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import click

from tracefix.cli.common import emit_json, open_model
from tracefix.partial.fragment import FragmentError, load
from tracefix.partial.loop import RUNS, Execution
from tracefix.partial.run import PREDICTORS, PredictorName, run_fragment
from tracefix.partial.standins import said


@click.command("exec")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--function",
    help="After running the file, call this function (name or Class.method) with arguments the predictor "
    "proposes; only its lines count.",
)
@click.option(
    "--predictor",
    type=click.Choice(list(PREDICTORS)),
    default="model",
    show_default=True,
    help="Who supplies what is missing: " + "; ".join(f"{k}: {v}" for k, v in PREDICTORS.items()),
)
@click.option("--model", "model_spec", help="Model spec (default: embedded model).")
@click.option(
    "--runs", type=click.IntRange(1, 200), default=RUNS, show_default=True, help="At most this many runs."
)
@click.option("--json", "as_json", is_flag=True, help="Print lines, executed, stand_ins and errors as JSON.")
def exec_command(
    file: Path, function: str | None, predictor: str, model_spec: str | None, runs: int, as_json: bool
) -> None:
    """Execute FILE (or one function of it) although names, modules or attributes it uses are missing:
    each run in the sandbox, each missing thing supplied by an invented stand-in, until a run completes.
    Reports the lines that ran, the stand-ins (invented: not the real thing) and the errors left, telling the
    code's own errors (a bug it found) from errors a stand-in caused."""
    try:
        fragment = load(file, function)
    except FragmentError as exc:
        raise click.ClickException(str(exc)) from exc
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{file} is not UTF-8 text: {exc}") from exc
    model = open_model(model_spec) if predictor == "model" else None
    say = (lambda text: None) if as_json else (lambda text: click.echo(text, err=True))
    result = run_fragment(fragment, cast(PredictorName, predictor), model=model, runs=runs, say=say)
    if as_json:
        emit_json(_json(result))
        return
    for line in summary(result):
        click.echo(line)


def _json(result: Execution) -> dict[str, object]:
    data = result.model_dump(mode="json", exclude={"steps"})
    data["coverage"] = round(result.coverage, 4)
    data["runs"] = len(result.steps)
    return data


def summary(result: Execution) -> list[str]:
    """What a person reads: coverage, the stand-ins (marked invented), the errors."""
    lines = [
        f"{result.path}{' ' + result.function if result.function else ''}: {len(result.executed)} of "
        f"{len(result.lines)} lines executed ({result.coverage:.0%}) in {len(result.steps)} runs; {result.ending}"
    ]
    missed = [line for line in result.lines if line not in set(result.executed)]
    if missed:
        lines.append(f"not executed: lines {', '.join(map(str, missed))}")
    if result.call:
        lines.append(f"called as: {result.call}")
    if result.stand_ins:
        lines.append("stand-ins (invented, not the real thing):")
        lines += [f"  {said(standin)}" for standin in result.stand_ins]
    for error in result.errors:
        at = f" at line {error.line}" if error.line else ""
        whose = (
            "an error of the code itself" if error.own else "caused by a stand-in or what is still missing"
        )
        lines.append(f"error{at}: {error.type}: {error.message} ({whose})")
    if result.calls:
        lines.append(f"model: {result.calls} calls, {result.usage.total_tokens} tokens")
    return lines
