"""bench/relabel.py: a strategy renamed in a stored run keeps its rows, sessions and summary."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from benchfakes import oracle
from test_harness import harness

from tracefix.bench.harness import Selection
from tracefix.bench.store import RunStore, session_relpath

_SPEC = importlib.util.spec_from_file_location("relabel", Path(__file__).parents[2] / "bench" / "relabel.py")
assert _SPEC is not None and _SPEC.loader is not None
relabel = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(relabel)


def test_a_relabelled_strategy_keeps_its_results_and_is_not_rerun(tmp_path: Path) -> None:
    h = harness(tmp_path, {"feedback": oracle("feedback", []), "ldb": oracle("ldb", ["Mini/2"])})
    assert h.run(Selection()) == "complete"
    h.store.close()

    assert relabel.relabel(tmp_path, "ldb", "ldb[types=off]") == 5

    store = RunStore(tmp_path)
    config = store.config()
    assert config is not None and config.strategies == ["feedback", "ldb[types=off]"]
    rows = {r.task_id: r for r in store.results() if r.strategy == "ldb[types=off]"}
    assert len(rows) == 5 and not [r for r in store.results() if r.strategy == "ldb"]
    session = store.load_session(rows["Mini/2"])
    assert session is not None and session.strategy == "ldb[types=off]" and session.outcome == "fixed"
    assert rows["Mini/2"].session_path == session_relpath("ldb[types=off]", "Mini/2")
    assert not (tmp_path / session_relpath("ldb", "Mini/2")).exists()
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["strategies"]["ldb[types=off]"]["repaired_ids"] == ["Mini/2"]
    store.close()

    again = oracle("ldb[types=off]", [])
    resumed = harness(tmp_path, {"feedback": oracle("feedback", []), "ldb[types=off]": again}, resume=True)
    assert resumed.run(Selection()) == "complete"
    assert again.seen == []  # every item was already finished under the new label


def test_relabelling_onto_a_strategy_of_the_run_or_from_an_unknown_one_is_refused(tmp_path: Path) -> None:
    h = harness(tmp_path, {"ldb": oracle("ldb", []), "ldb[types=on]": oracle("ldb[types=on]", [])})
    assert h.run(Selection()) == "complete"
    h.store.close()
    with pytest.raises(SystemExit, match="already a strategy"):
        relabel.relabel(tmp_path, "ldb", "ldb[types=on]")
    with pytest.raises(SystemExit, match="no strategy 'explain'"):
        relabel.relabel(tmp_path, "explain", "ldb[types=off]")
