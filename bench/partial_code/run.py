"""Execute every fragment with each predictor, side by side, one JSON line per (fragment, predictor).

The predictors of one fragment run one after the other in one process, on one sandbox and one model, so
their seconds compare. ``--resume`` skips the pairs already in OUT_DIR/results.jsonl; a pair that crashed is
recorded with its error and not retried.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from tracefix.execution.sandbox import Executor
from tracefix.models.base import Model
from tracefix.partial.fragment import fragment
from tracefix.partial.run import PredictorName, run_fragment


def done_pairs(path: Path) -> set[tuple[str, str]]:
    found = set()
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(json.JSONDecodeError, KeyError):
                row = json.loads(line)
                found.add((row["id"], row["predictor"]))
    return found


def run(
    fragments: list[dict[str, Any]],
    predictors: list[str],
    out_dir: Path,
    *,
    model: Callable[[], Model] | None,
    runs: int,
    command: str,
    say: Callable[[str], None] = print,
) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    results = out_dir / "results.jsonl"
    done = done_pairs(results)
    _config(out_dir, predictors, runs, command, len(fragments))
    todo = [(f, p) for f in fragments for p in predictors if (f["id"], p) not in done]
    say(f"{len(todo)} runs to do ({len(done)} done already)")
    loaded = model() if model is not None and "model" in predictors else None
    with Executor(workers=1) as executor:
        for index, (item, predictor) in enumerate(todo, 1):
            row = one(item, predictor, executor, loaded, runs)
            with results.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(row) + "\n")
            say(
                f"[{index}/{len(todo)}] {item['id']} {predictor}: {row['executed']}/{row['lines']} lines, "
                f"{row.get('ending')}, {row.get('calls', 0)} calls, {row['seconds']:.0f} s"
            )


def one(
    item: dict[str, Any], predictor: str, executor: Executor, model: Model | None, runs: int
) -> dict[str, Any]:
    base = {"id": item["id"], "kind": item["kind"], "library": item["library"], "predictor": predictor}
    piece = fragment(item["source"], item["function"], path=item["id"])
    started = time.monotonic()
    try:
        result = run_fragment(piece, cast(PredictorName, predictor), model=model, runs=runs, runner=executor)
    except Exception as exc:  # one broken pair must not end the run
        return {**base, "lines": len(piece.lines), "executed": 0, "error": f"{type(exc).__name__}: {exc}",
                "seconds": time.monotonic() - started}  # fmt: skip
    return {
        **base,
        "lines": len(result.lines),
        "executed": len(result.executed),
        "ending": result.ending,
        "runs": len(result.steps),
        "stand_ins": [{"kind": s.kind, "name": s.name, "by": s.by} for s in result.stand_ins],
        "errors": [e.model_dump() for e in result.errors],
        "call": result.call,
        "calls": result.calls,
        "prompt_tokens": result.usage.prompt_tokens,
        "completion_tokens": result.usage.completion_tokens,
        "seconds": round(result.seconds, 2),
        "model_error": result.error,
    }


def _config(out_dir: Path, predictors: list[str], runs: int, command: str, fragments: int) -> None:
    path = out_dir / "config.json"
    config: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    config.setdefault("commands", []).append(command)
    config.setdefault("commits", []).append(_git_head())
    config.update(predictors=predictors, runs=runs, fragments=fragments)
    config["threads"] = os.environ.get("TRACEFIX_THREADS", "all cores")
    path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


def _git_head() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True,
            cwd=Path(__file__).resolve().parent,
        )  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return done.stdout.strip()
