"""The committed benchmark runs are consistent: each ``bench/runs/<name>/run.sqlite``, read through
:class:`RunStore` and summarised by :mod:`tracefix.bench.report`, gives back the committed ``summary.json`` and
``results.csv``, and every session file a row points to loads as a :class:`Session` of that row.

The store is always opened on a copy of ``run.sqlite``: opening a ``RunStore`` stamps its schema (a write),
and a committed run must not change. ``sessions/`` is linked into the copy, not copied.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from committed import committed_runs
from pydantic import ValidationError

from tracefix.bench.report import write_outputs
from tracefix.bench.store import DB_NAME, RunStore

RUNS = committed_runs()
SMALLEST = min(RUNS, key=lambda run: (run / DB_NAME).stat().st_size)


def open_copy(run_dir: Path, work: Path) -> RunStore:
    """A RunStore on a copy of ``run_dir``'s database, its sessions linked in."""
    work.mkdir(parents=True)
    shutil.copyfile(run_dir / DB_NAME, work / DB_NAME)
    (work / "sessions").symlink_to(run_dir.resolve() / "sessions", target_is_directory=True)
    return RunStore(work)


def _diff(committed: Any, recomputed: Any, where: str = "") -> Iterator[str]:
    """Every place the two JSON values differ, named by its path."""
    if isinstance(committed, dict) and isinstance(recomputed, dict):
        for key in sorted(committed.keys() | recomputed.keys()):
            if key not in recomputed:
                yield f"{where}/{key}: only in the committed file"
            elif key not in committed:
                yield f"{where}/{key}: not in the committed file (recomputed {recomputed[key]!r})"
            else:
                yield from _diff(committed[key], recomputed[key], f"{where}/{key}")
    elif committed != recomputed or type(committed) is not type(recomputed):
        yield f"{where}: committed {committed!r}, recomputed {recomputed!r}"


def summary_differences(committed: dict[str, Any], recomputed: dict[str, Any]) -> list[str]:
    """Where the two summaries differ, key by key."""
    return list(_diff(committed, recomputed))


def csv_differences(committed: str, recomputed: str) -> list[str]:
    """The lines (1-based) where two CSV texts differ."""
    old, new = committed.splitlines(keepends=True), recomputed.splitlines(keepends=True)
    lines = [
        f"line {i}: committed {a!r}, recomputed {b!r}"
        for i, (a, b) in enumerate(zip(old, new, strict=False), start=1)
        if a != b
    ]
    if len(old) != len(new):
        lines.append(f"committed {len(old)} lines, recomputed {len(new)}")
    return lines


def run_differences(store: RunStore, committed: Path) -> list[str]:
    """What the stored run's outputs, written again by ``write_outputs`` into the store's own directory,
    differ in from the files committed in ``committed``."""
    recomputed = write_outputs(store)
    on_disk = json.loads((store.run_dir / "summary.json").read_text(encoding="utf-8"))
    assert on_disk == json.loads(json.dumps(recomputed))  # what was returned is what was written
    summary = json.loads((committed / "summary.json").read_text(encoding="utf-8"))
    csv_text = (committed / "results.csv").read_text(encoding="utf-8")
    return [
        *(f"summary.json{d}" for d in summary_differences(summary, recomputed)),
        *(
            f"results.csv {d}"
            for d in csv_differences(csv_text, (store.run_dir / "results.csv").read_text(encoding="utf-8"))
        ),
    ]


def session_problems(store: RunStore) -> tuple[int, list[str]]:
    """How many sessions the rows point to, and what is wrong with them: a file that does not load as a
    Session, a session of another problem or strategy, or one whose outcome or final program is not the
    row's. Every session is loaded."""
    problems, loaded = [], 0
    for row in store.results():
        if row.session_path is None:
            continue
        try:
            session = store.load_session(row)
        except (OSError, ValidationError) as exc:
            problems.append(f"{row.session_path}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
            continue
        assert session is not None
        loaded += 1
        mine = (row.task_id, row.strategy, row.outcome, row.final_program)
        theirs = (session.task.task_id, session.strategy, session.outcome, session.final_program)
        for name, a, b in zip(("task_id", "strategy", "outcome", "final_program"), mine, theirs, strict=True):
            if a != b:
                problems.append(f"{row.session_path}: {name} {b!r} in the session, {a!r} in the row")
    return loaded, problems


# --------------------------------------------------------------------------- the committed runs


def test_every_committed_run_is_found() -> None:
    assert len(RUNS) >= 8, RUNS  # a moved bench/runs must not leave this file testing nothing
    for run in RUNS:
        assert (run / "summary.json").is_file() and (run / "results.csv").is_file(), run


@pytest.mark.parametrize("run_dir", RUNS, ids=[r.name for r in RUNS])
def test_the_run_reproduces_its_summary_and_results(run_dir: Path, tmp_path: Path) -> None:
    store = open_copy(run_dir, tmp_path / run_dir.name)
    try:
        assert run_differences(store, run_dir) == []
    finally:
        store.close()


@pytest.mark.parametrize("run_dir", RUNS, ids=[r.name for r in RUNS])
def test_every_session_of_the_run_loads_and_belongs_to_its_row(run_dir: Path, tmp_path: Path) -> None:
    store = open_copy(run_dir, tmp_path / run_dir.name)
    try:
        loaded, problems = session_problems(store)
    finally:
        store.close()
    assert problems == []
    assert loaded == sum(1 for _ in (run_dir / "sessions").glob("*/*.json"))  # and no file is left over


# --------------------------------------------------------------------------- the checks can fail


def _edit_first_row(db_path: Path, pick: Callable[[dict[str, Any]], bool], **changes: Any) -> dict[str, Any]:
    """Change fields of the first stored result row ``pick`` accepts (the row as JSON); the row before."""
    db = sqlite3.connect(db_path)
    try:
        rowid, data = next(
            (rowid, data)
            for rowid, data in db.execute("SELECT rowid, data FROM results")
            if pick(json.loads(data))
        )
        db.execute(
            "UPDATE results SET data = ? WHERE rowid = ?",
            (json.dumps({**json.loads(data), **changes}), rowid),
        )
        db.commit()
    finally:
        db.close()
    return dict(json.loads(data))


def _perturbed_copy(
    tmp_path: Path, pick: Callable[[dict[str, Any]], bool], **changes: Any
) -> tuple[RunStore, dict[str, Any]]:
    """A store on a copy of the smallest committed run with one row changed, and that row as it was."""
    work = tmp_path / "run"
    open_copy(SMALLEST, work).close()
    before = _edit_first_row(work / DB_NAME, pick, **changes)
    return RunStore(work), before


def test_an_edited_row_is_seen_in_the_summary_the_csv_and_against_its_session(tmp_path: Path) -> None:
    store, _ = _perturbed_copy(
        tmp_path, lambda row: row["session_path"] is not None, calls=999, final_program="x"
    )
    try:
        found = run_differences(store, SMALLEST)
        _, problems = session_problems(store)
    finally:
        store.close()
    assert any(d.startswith("summary.json/strategies/") and "/calls/mean:" in d for d in found), found
    assert any(d.startswith("results.csv line ") and ",999," in d for d in found), found
    assert len(problems) == 1 and "final_program" in problems[0], problems


def test_a_final_program_failing_the_hidden_tests_after_all_is_seen(tmp_path: Path) -> None:
    def passing(row: dict[str, Any]) -> bool:
        return bool(row["hidden"]["passed"] and row["session_path"])

    store, row = _perturbed_copy(tmp_path, passing, hidden={"passed": False, "tests": 1, "failed": 1})
    try:
        found = run_differences(store, SMALLEST)
    finally:
        store.close()
    committed = json.loads((SMALLEST / "summary.json").read_text(encoding="utf-8"))
    passed = committed["strategies"][row["strategy"]]["passed"]
    assert (
        f"summary.json/strategies/{row['strategy']}/passed: committed {passed}, recomputed {passed - 1}"
        in found
    )
    assert any(d.startswith("results.csv line ") and row["task_id"] in d for d in found), found


def test_a_key_only_one_summary_has_is_a_difference() -> None:
    committed = {"config": {"a": 1}, "strategies": {"s": {"x": 1}}}
    assert summary_differences(committed, committed) == []
    assert summary_differences(committed, {"config": {"a": 1, "b": []}, "strategies": {"s": {"x": 1}}})
    assert summary_differences({"config": {"a": 1, "b": 2}, "strategies": {}}, committed)


def test_a_session_file_that_does_not_load_is_reported(tmp_path: Path) -> None:
    work = tmp_path / "run"
    work.mkdir()
    shutil.copyfile(SMALLEST / DB_NAME, work / DB_NAME)
    shutil.copytree(SMALLEST / "sessions", work / "sessions")
    store = RunStore(work)
    try:
        with_session = [r for r in store.results() if r.session_path]
        row = with_session[0]
        assert row.session_path is not None
        path = work / row.session_path
        path.write_text(
            path.read_text(encoding="utf-8").replace('"outcome"', '"outcomes"', 1), encoding="utf-8"
        )
        loaded, problems = session_problems(store)
    finally:
        store.close()
    assert [p.split(":")[:2] for p in problems] == [[row.session_path, " ValidationError"]]
    assert loaded == len(with_session) - 1
