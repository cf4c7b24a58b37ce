"""Stand-ins for a test of a program that cannot run as it is, so the program can be traced.

A program whose module does not import (a dependency that is not installed) or whose function calls a helper
nothing defines ends every test at once, and a trace of it holds nothing to judge. :func:`for_test` runs the
test through the partial-execution loop with the test as the fixed call: each missing module, name or
attribute gets a stand-in until the test runs through (or fails on its own). The prelude of those stand-ins
then runs before the program in the traced run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, get_args

from tracefix.models.base import Model
from tracefix.partial.fragment import fragment
from tracefix.partial.loop import RUNS, Execution, Predictor, Runner, execute
from tracefix.partial.run import predictor_for
from tracefix.partial.standins import prelude
from tracefix.records import StandIn, Task

StandInsMode = Literal["auto", "rules", "model", "off"]
STAND_INS_MODES: tuple[str, ...] = get_args(StandInsMode)
STAND_INS_HELP = (
    "Invent a stand-in for each module that is not installed and each name nothing defines that a test stops "
    "on, and run with them (rules: a permissive dummy or a typed guess; model: written by the model). auto: "
    "rules, only when the file does not import as it is."
)


def for_test(
    program: str, function: str, test: str, runner: Runner, predictor: Predictor, *, runs: int = RUNS
) -> Execution:
    """What ``test`` of ``program`` lacks, supplied (``Execution.stand_ins``; none when nothing is missing)."""
    return execute(fragment(program, function), runner, predictor, runs=runs, call=test)


def needs_stand_ins(program: str, runner: Runner) -> bool:
    """``program``'s module does not import as it is: its own code stops on something missing."""
    run = runner.run_partial(program, "")
    return run.missing is not None and run.missing.kind in ("module", "name", "attribute")


def prelude_of(execution: Execution) -> str:
    """The code installing the stand-ins of ``execution`` (empty when there are none)."""
    return prelude(execution.stand_ins) if execution.stand_ins else ""


def supply(
    program: str, function: str, tests: Sequence[str], runner: Runner, predictor: Predictor
) -> list[StandIn]:
    """The stand-ins every test of ``tests`` needs to run ``program`` (each test starts from the earlier's)."""
    found: list[StandIn] = []
    for test in tests:
        done = execute(fragment(program, function), runner, predictor, call=test, given=found)
        found = done.stand_ins
    return found


def with_stand_ins(task: Task, standins: list[StandIn]) -> Task:
    """``task`` whose runs install ``standins`` first, and whose description says what they stand for."""
    if not standins:
        return task
    said = ", ".join(f"module `{s.name}`" if s.kind == "module" else f"`{s.name}`" for s in standins)
    note = (
        f"Not available here, so invented stand-ins replace them when the code runs: {said}. A stand-in's "
        "value shows as <stand-in>. Keep using them as the program does; do not define them."
    )
    description = f"{task.description.rstrip()}\n\n{note}" if task.description.strip() else note
    return task.model_copy(
        update={"prelude": f"{task.prelude}\n{prelude(standins)}".lstrip("\n"), "description": description}
    )


def stand_ins_for(
    program: str, task: Task, runner: object, mode: StandInsMode, model: Model | None
) -> list[StandIn]:
    """The stand-ins ``mode`` gives the visible tests of ``task`` (none from a runner that cannot run
    fragments, such as a test's scripted one)."""
    if mode == "off" or not hasattr(runner, "run_partial"):
        return []
    if mode == "auto":
        if not needs_stand_ins(program, runner):
            return []
        mode = "rules"
    chosen = predictor_for(mode, model)
    assert chosen is not None
    return supply(program, task.entry_point, task.visible_tests, runner, chosen)
