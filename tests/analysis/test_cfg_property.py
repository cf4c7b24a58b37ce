"""The CFG property test: every block-to-block move a real run makes is an edge of the CFG.

Programs run only in child processes (bench/linetrace_child.py); this process builds the CFGs and checks the
line moves the children report. The full run over every Python is ``bench/cfg_property.py``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tracefix.analysis.cfg import build_cfg
from tracefix.analysis.cfgcheck import bad_transitions

ROOT = Path(__file__).resolve().parents[2]


def _driver() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cfg_property", ROOT / "bench" / "cfg_property.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["cfg_property"] = module
    spec.loader.exec_module(module)
    return module


DRIVER = _driver()
PYTHONS = [p for p in DRIVER.PYTHONS if p.exists()]


RUNS = [
    pytest.param(python, backend, id=f"{python.parent.parent.name}-{backend}")
    for python in PYTHONS
    for backend in ("settrace", "monitoring")
    if backend == "settrace" or python.parent.parent.name != ".venv"
]


@pytest.mark.parametrize(("python", "backend"), RUNS)
def test_hard_cases_only_make_moves_that_are_edges(python: Path, backend: str) -> None:
    summary = DRIVER.check(python, DRIVER.load_hard_jobs(), backend=backend)
    assert [str(bad) for _, bad in summary.bad] == []
    assert summary.skipped == []
    assert summary.crashed == []
    assert summary.programs_traced == summary.programs
    assert summary.functions >= 50


@pytest.mark.skipif(not DRIVER.DEFAULT_DATA.exists(), reason="LDB data folder not present")
def test_every_seed_program_only_makes_moves_that_are_edges() -> None:
    jobs = DRIVER.load_seed_jobs(DRIVER.DEFAULT_DATA)
    summary = DRIVER.check(PYTHONS[0], jobs)
    assert len(jobs) == 1224
    assert [str(bad) for _, bad in summary.bad] == []
    assert summary.programs_traced > 1150


def test_the_oracle_reports_a_move_that_is_not_an_edge_and_a_wrong_start() -> None:
    cfg = build_cfg("def f(xs):\n    for x in xs:\n        y = x\n    return y\n", "f")
    assert bad_transitions(cfg, [2], [(2, 3), (3, 2), (2, 4)]) == []
    broken = cfg.model_copy(deep=True)
    broken.blocks[1].successors = []
    assert [str(b) for b in bad_transitions(broken, [3], [(3, 2)])] == [
        "f: call -> line 3 (block 1): not the entry",
        "f: line 3 (block 1) -> line 2 (block 0): not an edge",
    ]
    assert [b.reason for b in bad_transitions(cfg, [], [(1, 2)])] == ["unmapped line"]
