"""Ablation table: each variant of a strategy against a base variant, from benchmark runs.

    .venv/bin/python bench/ablation.py --base "ldb[format=hole]" \
        --run bench/runs/humaneval-qwen1.5b --run bench/runs/mbpp-qwen1.5b --out bench/results/ablation.md

For every run and every strategy in it, one row: what differs from the base (its spec options added or
changed, or "baseline" for another strategy), the repairs on hidden tests and the change from the base,
the problems gained and lost against the base, and the cost per debugged problem (median calls, tokens,
seconds). Variants are compared on the problems both finished; a row with pending problems says so.
Reads the run stores (safe while a run goes on) and refreshes their summary.json.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tracefix.bench.report import write_outputs
from tracefix.bench.store import RunStore, SeedRow
from tracefix.strategies.spec import split_options


def _options(name: str, config: dict[str, Any]) -> dict[str, str]:
    """A spec's options, with the run's ``--format`` and ``--level`` filled in where an ldb spec omits them
    (runs made before they were spec options only; a bare ldb spec means block and hole)."""
    spec = split_options(name)
    options = dict(spec.options)
    if spec.name == "ldb":
        options.setdefault("format", str(config.get("format", "hole")))
        options.setdefault("level", str(config.get("level", "block")))
    return options


def _difference(name: str, base: str, config: dict[str, Any]) -> str:
    """How spec ``name`` differs from spec ``base`` in a run: options set or changed, or another strategy."""
    spec, root = split_options(name), split_options(base)
    if spec.name != root.name:
        options = ", ".join(f"{k}={v}" for k, v in spec.options)
        return f"baseline `{spec.name}`" + (f" ({options})" if options else "")
    mine, theirs = _options(name, config), _options(base, config)
    changed = [f"{k}={v}" for k, v in mine.items() if theirs.get(k) != v]
    dropped = [f"no {k}={v}" for k, v in theirs.items() if k not in mine]
    return ", ".join(changed + dropped) or "(the base)"


def _ids(ids: set[str]) -> str:
    return ", ".join(sorted(ids, key=lambda t: (len(t), t))) or "-"


def _repaired(store: RunStore) -> dict[str, set[str]]:
    """Per strategy: the debugged problems it finished whose seed fails hidden tests (common ground)."""
    seeds: dict[str, SeedRow] = {row.task_id: row for row in store.seeds()}
    done: dict[str, set[str]] = {}
    for row in store.results():
        if row.status == "done" and not seeds[row.task_id].hidden.passed:
            done.setdefault(row.strategy, set()).add(row.task_id)
    return done


def rows(run_dir: Path, base: str) -> list[str]:
    store = RunStore(run_dir)
    try:
        summary = write_outputs(store)
        finished = _repaired(store)
    finally:
        store.close()
    strategies: dict[str, Any] = summary["strategies"]
    if base not in strategies:
        return [f"| `{run_dir.name}` | base `{base}` not in this run | | | | | | |"]
    out = []
    base_ids = set(strategies[base]["repaired_ids"])
    for name, s in strategies.items():
        common = finished.get(name, set()) & finished.get(base, set())
        mine = set(s["repaired_ids"]) & common
        theirs = base_ids & common
        gained, lost = mine - theirs, theirs - mine
        pending = f", {s['pending']} pending" if s["pending"] else ""
        out.append(
            f"| `{run_dir.name}` | `{name}` | {_difference(name, base, summary['config'])} "
            f"| {s['repaired']} of {s['runs']}{pending} | {len(mine) - len(theirs):+d} on {len(common)} "
            f"| {_ids(gained)} | {_ids(lost)} "
            f"| {s['calls']['median']:g} / {s['prompt_tokens']['median'] + s['completion_tokens']['median']:.0f} "
            f"/ {s['wall_s']['median']:.0f} s |"
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="The spec every other row is compared with.")
    parser.add_argument(
        "--run", type=Path, action="append", required=True, help="A run directory (repeatable)."
    )
    parser.add_argument("--note", default="", help="A paragraph to put under the title (commands, context).")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    lines = [
        f"# Ablation against `{args.base}`",
        "",
        f'Written {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `bench/ablation.py --base "{args.base}" '
        + " ".join(f"--run {r}" for r in args.run)
        + "`.",
        "",
        *([args.note, ""] if args.note else []),
        "Repaired: seeds failing their hidden tests that pass them after debugging, of the debugged problems. "
        "Change, gained and lost: against the base, on the problems both finished. Cost: median model calls / "
        "tokens (prompt + completion) / seconds per debugged problem.",
        "",
        "| run | strategy | differs from the base | repaired | change | gained | lost | cost |",
        "| --- | --- | --- | ---: | ---: | --- | --- | ---: |",
    ]
    for run_dir in args.run:
        lines.extend(rows(run_dir, args.base))
    args.out.write_text("\n".join(lines) + "\n")
    print(args.out.read_text())


if __name__ == "__main__":
    main()
