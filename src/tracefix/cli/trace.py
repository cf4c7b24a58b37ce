"""``tracefix trace``: run a test with one function traced block by block, in the sandbox."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import cast

import click

from tracefix.cli.common import STAND_INS_OPTION, emit_json, load_cfg, open_model, read_source, read_tests
from tracefix.execution.sandbox import Executor
from tracefix.partial import context
from tracefix.partial.loop import Predictor
from tracefix.partial.run import PredictorName, predictor_for
from tracefix.partial.standins import said
from tracefix.records import CFG, Trace, Visit
from tracefix.report.path import Gap, PathNode, Repeat, collapse_visits


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--function", "function", required=True, help="The function to trace: a name or Class.method.")
@click.option("--test", "tests", multiple=True, help="Test code, e.g. 'assert f(2) == 4' (repeatable).")
@click.option(
    "--tests-file", type=click.Path(dir_okay=False, path_type=Path), help="A file of tests, one per line."
)
@STAND_INS_OPTION
@click.option("--model", "model_spec", help="Model spec for --stand-ins model (default: embedded model).")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the Trace record (a list of them for several tests)."
)
def trace(
    file: Path,
    function: str,
    tests: tuple[str, ...],
    tests_file: Path | None,
    standins: str,
    model_spec: str | None,
    as_json: bool,
) -> None:
    """Run each test against FILE in the sandbox, recording the blocks FUNCTION ran and its locals after each."""

    source = read_source(file)
    cfg = load_cfg(file, source, function)
    collected = read_tests(tests, tests_file)
    model = open_model(model_spec) if standins == "model" else None
    with Executor(workers=1) as executor:
        if standins == "auto":
            standins = "rules" if context.needs_stand_ins(source, executor) else "off"
        predictor = None if standins == "off" else predictor_for(cast(PredictorName, standins), model)
        traces = [_traced(executor, source, function, test, predictor) for test in collected]
    if as_json:
        emit_json(traces[0] if len(traces) == 1 else [t.model_dump(mode="json") for t in traces])
        return
    for index, result in enumerate(traces):
        if index:
            click.echo("")
        click.echo(describe(result, cfg, source))


def _traced(executor: Executor, source: str, function: str, test: str, predictor: Predictor | None) -> Trace:
    """The trace of ``test``; with ``predictor``, first the stand-ins for whatever the test lacks."""
    if predictor is None:
        return executor.trace(source, function, test)
    supplied = context.for_test(source, function, test, executor, predictor)
    if not supplied.stand_ins:
        return executor.trace(source, function, test)
    found = executor.trace(source, function, test, prelude=context.prelude_of(supplied))
    return found.model_copy(update={"stand_ins": supplied.stand_ins})


def describe(result: Trace, cfg: CFG, source: str) -> str:
    """The path of blocks, each kept visit with its lines and state, then the outcome."""

    out = [f"test: {result.test}"]
    if result.stand_ins:
        out.append("stand-ins (invented so the test could run; their values read <stand-in>):")
        out += [f"  {said(standin)}" for standin in result.stand_ins]
    out.append(f"path: {path_text(collapse_visits(result.visits)) or '(the function did not run)'}")
    lines = source.splitlines()
    for visit in result.visits:
        out += _visit_text(visit, cfg, lines)
    out += _outcome(result)
    return "\n".join(out)


def path_text(nodes: Sequence[PathNode]) -> str:
    """``3 -> [4 -> 5] x10 -> 6``, with ``...(+N)...`` where visits were not kept."""

    parts = []
    for node in nodes:
        if isinstance(node, Repeat):
            count = f"x{node.low}" if node.low == node.high else f"x{node.low}-{node.high}"
            parts.append(f"[{path_text(node.body)}] {count}")
        elif isinstance(node, Gap):
            parts.append(f"...(+{node.dropped})...")
        else:
            parts.append(str(node.block))
    return " -> ".join(parts)


def _visit_text(visit: Visit, cfg: CFG, lines: list[str]) -> list[str]:
    call = f", call {visit.frame} depth {visit.depth}" if visit.frame or visit.depth else ""
    out = [f"[#{visit.seq}] block {visit.block} (visit {visit.occurrence + 1}{call})"]
    for line in cfg.block(visit.block).lines:
        out.append(f"    {line:>4} | {lines[line - 1] if line <= len(lines) else ''}")
    if visit.state_cut:
        out.append("    state: (not recorded: snapshot budget spent)")
    elif visit.state:
        marked = [f"{k}={v}{'*' if k in visit.changed else ''}" for k, v in visit.state.items()]
        out.append("    state: " + ", ".join(marked))
    if visit.exception:
        out.append(f"    raised: {visit.exception}")
    if visit.exit in ("return", "yield"):
        out.append(f"    {visit.exit}: {visit.value}")
    return out


def _outcome(result: Trace) -> list[str]:
    out = [
        f"result: {'PASSED' if result.passed else 'FAILED'}" + (f": {result.error}" if result.error else "")
    ]
    if result.return_value is not None:
        out.append(f"returned: {result.return_value}")
    counts = ", ".join(f"{block}: {count}" for block, count in sorted(result.block_counts.items()))
    out.append(f"visits: {result.total_visits} in {result.calls} call(s) (per block {counts or '-'})")
    out += [f"cut: {note}" for note in result.cut]
    if result.stdout:
        out.append("stdout:\n" + result.stdout.rstrip())
    return out
