"""Write a benchmark run's results as Markdown for ``bench/results/``, finished or still running.

    .venv/bin/python bench/run_summary.py bench/runs/humaneval-qwen1.5b \
        --command "tracefix bench --dataset humaneval ..." --out bench/results/humaneval-qwen1.5b.md

Reads the run store (safe while the run goes on: SQLite readers do not block the writer), refreshes the
run directory's summary.json and results.csv, and writes one table per run: per strategy, pass@1 over the
whole dataset, repairs, model calls, tokens and seconds per debugged problem, then which problems one
strategy repaired and another did not, and for a run whose problems have categories (HumanEvalFix's bug
types) the repairs per category. A run that is not finished says how many problems are pending; the
strategies are compared on the problems all of them finished (the harness runs every strategy on a
problem before the next problem, so at most the problem in flight differs).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tracefix.bench.datasets import category_label
from tracefix.bench.report import only_fixed_lines, write_outputs
from tracefix.bench.store import RunStore


def table(summary: dict[str, Any]) -> list[str]:
    rows = [
        "| strategy | pass@1 | repaired (of failing hidden) | repaired (of failing visible) | regressed "
        "| calls | prompt / completion tokens | seconds | runs | pending |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, s in summary["strategies"].items():
        rows.append(
            f"| `{name}` | {s['pass_at_1']:.1f} % | {s['repaired']} ({s['repair_rate_hidden']:.1f} %) "
            f"| {s['repaired_debuggable']} ({s['repair_rate_visible']:.1f} %) | {s['regressed']} "
            f"| {s['calls']['median']:g} ({s['calls']['mean']:g}) "
            f"| {s['prompt_tokens']['median']:.0f} / {s['completion_tokens']['median']:.0f} "
            f"({s['prompt_tokens']['mean']:.0f} / {s['completion_tokens']['mean']:.0f}) "
            f"| {s['wall_s']['median']:.0f} ({s['wall_s']['mean']:.0f}) | {s['runs']} | {s['pending']} |"
        )
    return rows


def categories(summary: dict[str, Any]) -> list[str]:
    """Per category (HumanEvalFix: bug type), the seeds and each strategy's repaired / debugged problems;
    nothing for a run whose problems have no categories."""
    by_category = summary.get("categories")
    if not by_category:
        return []
    label = category_label(summary["config"]["dataset"])
    names = list(summary["strategies"])
    rows = [
        f"Per {label}: the seeds scored, of those selected the seeds failing their hidden tests and failing a "
        "visible test, and per strategy the problems repaired / debugged.",
        "",
        f"| {label} | seeds | fail hidden | fail visible | " + " | ".join(f"`{n}`" for n in names) + " |",
        "| --- | ---: | ---: | ---: |" + " ---: |" * len(names),
    ]
    for category, c in by_category.items():
        cells = " | ".join(
            f"{c['strategies'][n]['repaired']} / {c['strategies'][n]['debugged']}" for n in names
        )
        rows.append(f"| {category} | {c['seeds']} | {c['failed_hidden']} | {c['debuggable']} | {cells} |")
    return [*rows, ""]


def cost(summary: dict[str, Any]) -> list[str]:
    """What the run cost per strategy, summed over the debugged problems (means times runs)."""
    rows = [
        "| strategy | debugged problems | model calls | prompt tokens | completion tokens | wall time |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, s in summary["strategies"].items():
        runs = s["runs"]
        rows.append(
            f"| `{name}` | {runs} | {s['calls']['mean'] * runs:,.0f} | {s['prompt_tokens']['mean'] * runs:,.0f} "
            f"| {s['completion_tokens']['mean'] * runs:,.0f} | {s['wall_s']['total'] / 60:,.0f} min |"
        )
    return rows


def _seed_origin(config: dict[str, Any]) -> str:
    """The seed file's hash, or that the model wrote the seeds (``--seeds generate`` has no file)."""
    digest = config.get("seeds_sha256")
    return f"sha256 {digest[:12]}..." if digest else "written by the model under test, no file"


def _broken(summary: dict[str, Any]) -> list[str]:
    broken = summary.get("broken_seeds", [])
    if not broken:
        return []
    return [
        f"{len(broken)} of those fail only visible tests no program can pass (the test is not valid Python or "
        "expects a name nothing defines, e.g. a string printed without quotes): the loop ends before any "
        f"model call (outcome `broken_tests`; not counted in the costs): {', '.join(broken)}.",
    ]


def render(summary: dict[str, Any], command: str, note: str = "") -> str:
    config, seed = summary["config"], summary["seed"]
    pending = max((s["pending"] for s in summary["strategies"].values()), default=0)
    state = (
        f"in progress: {pending} selected problems not finished by every strategy" if pending else "finished"
    )
    lines = [
        f"# {config['dataset']}: {', '.join(config['strategies'])} on {config['model']}",
        "",
        f"Command: `{command}`  ",
        f"Written {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `bench/run_summary.py`; run {state}.  ",
        f"Seeds: `{config['seeds']}` ({_seed_origin(config)}), max {config['max_iters']} "
        f"iterations, temperature {config['temperature']}, tracefix {config['tracefix_version']}.",
        "",
        f"{summary['problems']} problems; seed pass@1 {seed['pass_at_1']:.1f} % ({seed['passed']}). Debugged: "
        f"{summary['selected']} selected, {seed['failed_hidden']} failing their hidden tests, "
        f"{summary['debuggable']} of the selected failing a visible test (only those can be debugged).",
        *_broken(summary),
        *(["", note] if note else []),
        "",
        "Per debugged problem: median (mean). Pending problems keep their seed's result in pass@1.",
        "",
        *table(summary),
        "",
        *[f"- {line}" for line in only_fixed_lines(summary)],
        "",
        *categories(summary),
        f"Cost of the run{' so far' if pending else ''} (sums over the debugged problems; replies served from the response cache on a",
        "resume count their tokens but take almost no time):",
        "",
        *cost(summary),
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--command", required=True, help="The tracefix bench command that made the run.")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--note", default="", help="A paragraph on how the run was made, after the seeds.")
    args = parser.parse_args()
    store = RunStore(args.run_dir)
    try:
        summary = write_outputs(store)
    finally:
        store.close()
    args.out.write_text(render(summary, args.command, args.note))
    print(args.out.read_text())


if __name__ == "__main__":
    main()
