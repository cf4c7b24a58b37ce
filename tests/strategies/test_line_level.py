"""ldb's line level: the sandbox traces with a CFG of one block per line."""

from __future__ import annotations

from pathlib import Path

from tracefix.analysis.cfg import build_cfg
from tracefix.execution.sandbox import Executor
from tracefix.strategies.ldb.base import split_lines

PROGRAM = (Path(__file__).parents[2] / "examples" / "sum_evens.py").read_text()


def test_the_sandbox_traces_lines_when_given_the_line_cfg() -> None:
    cfg = split_lines(build_cfg(PROGRAM, "sum_evens"))
    with Executor(workers=1) as executor:
        trace = executor.trace(PROGRAM, "sum_evens", "assert sum_evens([2, 4]) == 6", cfg=cfg)
        blocks = executor.trace(PROGRAM, "sum_evens", "assert sum_evens([2, 4]) == 6")
    assert [v.block for v in trace.visits] == [7, 8, 9, 10, 8, 11]
    assert trace.visits[3].state["total"] == "4"
    assert [v.block for v in blocks.visits] == [0, 1, 2, 3, 1, 4]
