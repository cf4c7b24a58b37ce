"""Replay a stored benchmark run's sessions with today's code, the model's replies taken from the sessions.

Each stored session of ``--label`` is debugged again with ``--spec`` on its own task and seed; the model is a
scripted one that gives the session's stored replies in the order they were made. Where today's code asks the
same questions in the same order, the session repeats itself exactly; where it asks something else, the
replies no longer fit and the session diverges (or runs out of replies, recorded as an error). Per session:
whether the final program, the outcome and each iteration's last prompt are the stored ones (replies alone
would give back the same programs to any prompt), the calls made, and a digest of every prompt
sent, so two versions of the code can be compared prompt for prompt (``--out`` then ``--compare``).

A replayed session whose final program is the stored one has the stored hidden-test score, so the run's
repairs (a seed failing its hidden tests whose final program passes them) are counted without the hidden
tests::

    .venv/bin/python bench/replay.py bench/runs/humaneval-qwen1.5b \\
        --label "ldb[docstring=on,format=hole,past=on,recut=on,rewrite=on,samples=3,ties=oldest,types=on]" \\
        --spec "ldb[retype=off]" --out /tmp/he-before.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import tempfile
from pathlib import Path

from tracefix.api import debug_task
from tracefix.bench.store import DB_NAME, RunStore
from tracefix.execution.sandbox import Executor
from tracefix.models.fake import ScriptedModel
from tracefix.records import Session


def replay(run_dir: Path, label: str, spec: str, executor: Executor) -> dict[str, dict[str, object]]:
    """Replay every session of ``label`` in the run at ``run_dir`` with ``spec``; one record per task."""
    with tempfile.TemporaryDirectory(prefix="tracefix-replay-") as work:
        return _replay_copy(run_dir, Path(work), label, spec, executor)


def _replay_copy(
    run_dir: Path, work: Path, label: str, spec: str, executor: Executor
) -> dict[str, dict[str, object]]:
    """Read the run from a copy of its database (opening a store writes to it; a committed run must not
    change), its sessions linked in."""
    shutil.copyfile(run_dir / DB_NAME, work / DB_NAME)
    (work / "sessions").symlink_to(run_dir.resolve() / "sessions", target_is_directory=True)
    store = RunStore(work)
    try:
        config = store.config()
        assert config is not None, f"{run_dir} holds no run"
        rows = [r for r in store.results() if r.strategy == label]
        stored = {r.task_id: (r, store.load_session(r)) for r in rows}
        seed_failed = {s.task_id: not s.hidden.passed for s in store.seeds()}
    finally:
        store.close()
    out: dict[str, dict[str, object]] = {}
    for task_id, (row, session) in sorted(stored.items()):
        if session is None:
            continue
        out[task_id] = _replay_one(session, spec, config.max_iters, executor, row.hidden.passed)
        out[task_id]["repaired"] = bool(
            out[task_id]["same_program"] and row.hidden.passed and seed_failed[task_id]
        )
    return out


def _replay_one(
    stored: Session, spec: str, max_iters: int, executor: Executor, hidden: bool | None
) -> dict[str, object]:
    replies = [reply.text for attempt in stored.attempts for reply in attempt.replies]
    model = ScriptedModel(replies, name=stored.model)
    session = debug_task(
        stored.task, stored.initial_program, model, strategy=spec, max_iters=max_iters, executor=executor
    )
    prompts = [json.dumps([m.model_dump(mode="json") for m in messages]) for messages, _ in model.requests]
    same = session.final_program == stored.final_program
    asked = [attempt.messages for attempt in session.attempts]
    return {
        "same_program": same,
        "same_prompts": asked == [attempt.messages for attempt in stored.attempts],
        "same_outcome": session.outcome == stored.outcome,
        "outcome": session.outcome,
        "stored_outcome": stored.outcome,
        "calls": len(model.requests),
        "stored_calls": len(replies),
        "error": session.error,
        "hidden_passed": hidden if same else None,
        "prompts": [hashlib.sha256(p.encode()).hexdigest()[:16] for p in prompts],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--label", required=True, help="the stored strategy whose sessions are replayed")
    parser.add_argument("--spec", help="the strategy spec to replay them with (default: --label)")
    parser.add_argument("--out", type=Path, help="write every replayed session's record here (JSON)")
    parser.add_argument("--compare", type=Path, help="an earlier --out: say which sessions differ from it")
    args = parser.parse_args()
    with Executor() as executor:
        records = replay(args.run_dir, args.label, args.spec or args.label, executor)
    same = sum(bool(r["same_program"] and r["same_prompts"]) for r in records.values())
    repaired = sum(bool(r["repaired"]) for r in records.values())
    print(f"{args.run_dir} {args.label} replayed as {args.spec or args.label}: {len(records)} sessions")
    print(
        f"  same prompts and final program: {same}; of them repairs (seed failing its hidden tests, final program passing them): {repaired}"
    )
    for task_id, record in records.items():
        if not (record["same_program"] and record["same_prompts"]):
            print(f"  differs: {task_id} ({record['outcome']}, stored {record['stored_outcome']}, "
                  f"{record['calls']} calls of {record['stored_calls']}; {record['error'] or ''})")  # fmt: skip
    if args.out:
        args.out.write_text(json.dumps(records, indent=1, sort_keys=True))
    if args.compare:
        earlier = json.loads(args.compare.read_text())
        changed = [t for t in records if {**records[t]} != earlier.get(t)]
        print(f"  compared with {args.compare}: {len(changed)} sessions differ: {', '.join(changed) or '-'}")


if __name__ == "__main__":
    main()
