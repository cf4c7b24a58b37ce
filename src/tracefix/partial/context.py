"""Stand-ins for a test of a program that cannot run as it is, so the program can be traced.

A program whose module does not import (a dependency that is not installed) or whose function calls a helper
nothing defines ends every test at once, and a trace of it holds nothing to judge. :func:`for_test` runs the
test through the partial-execution loop with the test as the fixed call: each missing module, name or
attribute gets a stand-in until the test runs through (or fails on its own). The prelude of those stand-ins
then runs before the program in the traced run.
"""

from __future__ import annotations

from tracefix.partial.fragment import fragment
from tracefix.partial.loop import Execution, Predictor, Runner, execute
from tracefix.partial.standins import prelude


def for_test(
    program: str, function: str, test: str, runner: Runner, predictor: Predictor, *, runs: int = 10
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
