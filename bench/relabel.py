"""Rename a strategy in a stored benchmark run, when a default changed under its label.

A run store keys its results by the strategy spec as typed (``ldb``), and a bare spec means the defaults of
the day the run was made. When a default changes, the rows made under the old default get the label that
says so today (``ldb`` -> ``ldb[types=off]``), so a ``--resume`` with the bare spec runs today's default
afresh instead of mixing the two. The rows, their session files (path and ``strategy`` field) and the
config's strategy list are renamed in one go; ``summary.json`` and ``results.csv`` are written anew::

    python bench/relabel.py bench/runs/transcoder-qwen1.5b ldb "ldb[types=off]"

Runs made when ldb's ``level`` and ``format`` were set for the whole run (``--format focused``) stored them in
the config; once every ldb label of the run says them itself (``ldb`` -> ``ldb[format=focused]``), those
keys say nothing more and are removed::

    python bench/relabel.py bench/runs/humaneval-qwen1.5b ldb "ldb[format=focused]"
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from pathlib import Path

from tracefix.bench.report import write_outputs
from tracefix.bench.store import RunStore, session_relpath, write_atomic
from tracefix.strategies.build import canonical
from tracefix.strategies.spec import split_options


def relabel(run_dir: Path, old: str, new: str) -> int:
    """Rename strategy ``old`` to ``new`` in the run at ``run_dir``; return the number of rows renamed."""
    new = canonical(new)
    db = sqlite3.connect(run_dir / "run.sqlite")
    try:
        (raw,) = db.execute("SELECT value FROM meta WHERE key = 'config'").fetchone()
        config = json.loads(raw)
        if old not in config["strategies"]:
            raise SystemExit(f"{run_dir}: no strategy {old!r} (have {', '.join(config['strategies'])})")
        if new in config["strategies"]:
            raise SystemExit(f"{run_dir}: {new!r} is already a strategy of this run")
        rows = db.execute("SELECT task_id, data FROM results WHERE strategy = ?", (old,)).fetchall()
        with db:
            for task_id, data in rows:
                row = json.loads(data)
                row["strategy"] = new
                if row.get("session_path"):
                    row["session_path"] = _move_session(run_dir, row["session_path"], new, task_id)
                db.execute(
                    "UPDATE results SET strategy = ?, data = ? WHERE task_id = ? AND strategy = ?",
                    (new, json.dumps(row), task_id, old),
                )
            config["strategies"] = [new if s == old else s for s in config["strategies"]]
            _drop_run_wide_options(config)
            db.execute("UPDATE meta SET value = ? WHERE key = 'config'", (json.dumps(config),))
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    store = RunStore(run_dir)
    try:
        write_outputs(store)
    finally:
        store.close()
    return len(rows)


def _drop_run_wide_options(config: dict[str, object]) -> None:
    """Remove the config's run-wide ``level`` and ``format`` where every ldb label sets them itself (or where
    they are what a bare spec means today)."""
    today = {"level": "block", "format": "hole"}
    labels = [split_options(s) for s in config["strategies"]]  # type: ignore[attr-defined]
    ldb = [dict(w.options) for w in labels if w.name == "ldb"]
    for key, default in today.items():
        if key in config and (config[key] == default or all(key in options for options in ldb)):
            del config[key]


def _move_session(run_dir: Path, relpath: str, new: str, task_id: str) -> str:
    source, target = run_dir / relpath, run_dir / session_relpath(new, task_id)
    session = json.loads(source.read_text(encoding="utf-8"))
    session["strategy"] = new
    # through a temporary file: a kill leaves the old session whole
    write_atomic(target, json.dumps(session, indent=1, ensure_ascii=False))
    source.unlink()
    return session_relpath(new, task_id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("old", help="the strategy label as stored")
    parser.add_argument("new", help="its new label (a strategy spec)")
    args = parser.parse_args()
    count = relabel(args.run_dir, args.old, args.new)
    print(f"{args.run_dir}: {count} rows of {args.old} renamed to {args.new}")


if __name__ == "__main__":
    main()
