"""``bench/results/partial-code-<name>.md`` from a run: lines executed per predictor, per half, side by side."""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

KINDS = {"function": "lifted functions", "snippet": "snippets"}


def load(out_dir: Path) -> list[dict[str, Any]]:
    rows = []
    for line in (out_dir / "results.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            rows.append(json.loads(line))
    return rows


def table(rows: list[dict[str, Any]], predictors: list[str]) -> list[str]:
    """One row per (half, predictor), on the fragments every predictor finished (side by side)."""
    by_id: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in rows:
        by_id[row["id"]][row["predictor"]] = row
    complete = {i: r for i, r in by_id.items() if all(p in r for p in predictors)}
    out = [
        "| fragments | predictor | done | lines executed (mean per fragment) | all lines | fully executed "
        "| own errors found | model calls (mean) | tokens (mean) | seconds (median) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind, label in KINDS.items():
        group = [r for r in complete.values() if next(iter(r.values()))["kind"] == kind]
        for predictor in predictors:
            chosen = [r[predictor] for r in group]
            if not chosen:
                continue
            shares = [r["executed"] / r["lines"] if r["lines"] else 1.0 for r in chosen]
            lines = sum(r["lines"] for r in chosen)
            executed = sum(r["executed"] for r in chosen)
            full = sum(r["executed"] == r["lines"] for r in chosen)
            own = sum(any(e["own"] for e in r.get("errors", [])) for r in chosen)
            calls = statistics.mean(r.get("calls", 0) for r in chosen)
            tokens = statistics.mean(
                r.get("prompt_tokens", 0) + r.get("completion_tokens", 0) for r in chosen
            )
            seconds = statistics.median(r["seconds"] for r in chosen)
            out.append(
                f"| {label} | `{predictor}` | {len(chosen)} | {100 * statistics.mean(shares):.1f} % "
                f"| {executed} of {lines} ({100 * executed / lines:.1f} %) | {full} | {own} | {calls:.1f} "
                f"| {tokens:.0f} | {seconds:.1f} |"
            )
    return out


def own_errors(rows: list[dict[str, Any]]) -> list[str]:
    """Each error of a fragment's own code a predictor's run ended on."""
    out = []
    for row in sorted(rows, key=lambda r: (r["id"], r["predictor"])):
        for error in row.get("errors", []):
            if error["own"]:
                out.append(
                    f"- {row['id']} ({row['library']}), `{row['predictor']}`: line {error['line']}, "
                    f"{error['type']}: {error['message'][:120]}"
                )
    return out


def write(out_dir: Path, results_dir: Path, name: str) -> Path:
    rows = load(out_dir)
    config = json.loads((out_dir / "config.json").read_text(encoding="utf-8"))
    predictors = config["predictors"]
    ids = {r["id"] for r in rows}
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"# Partial code: lines executed by `tracefix exec` ({name})",
        "",
        f"Written {now} by `python bench/partial_code.py report {out_dir}`. The run: "
        + "; ".join(f"`{c}` (at {k})" for c, k in zip(config["commands"], config["commits"], strict=False))
        + f". {len(ids)} of {config['fragments']} fragments have results; the table counts the fragments every "
        f"predictor finished, side by side in one process (TRACEFIX_THREADS={config.get('threads')}).",
        "",
        *table(rows, predictors),
        "",
        "Own errors (the run ended on an error of the fragment's own code; see docs/partial.md for what own "
        "means and where it can be wrong):",
        "",
        *(own_errors(rows) or ["- none"]),
        "",
    ]
    path = results_dir / f"partial-code-{name}.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
