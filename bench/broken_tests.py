"""Visible tests no program can pass, per dataset: what ``tracefix.strategies.tests.broken_reason`` finds.

    .venv/bin/python bench/broken_tests.py --data-dir ../shared/data/ldb --out bench/results/broken_tests.md

For every problem of HumanEval, MBPP and TransCoder (LDB's files), each visible test is checked on its own
text, with the problem's prelude and its GPT-3.5 seed program as the names a test may use: a test that is
not valid Python, or whose expected value is a bare name nothing defines. Counts problems with at least one
such test and the seeds that fail only such tests (the loop leaves those without a model call). Static: no
code runs, so no sandbox is needed.
"""

from __future__ import annotations

import argparse
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from tracefix.bench.datasets import load_problems
from tracefix.bench.seeds import default_seed_file, load_seed_file
from tracefix.strategies.tests import broken_reason

DATASETS = ("humaneval", "mbpp", "transcoder")


def survey(dataset: str, data_dir: Path) -> tuple[int, list[tuple[str, int, int, str]]]:
    """Problems in ``dataset`` and, per problem with a broken visible test: id, broken, total, a reason."""
    problems = load_problems(dataset, data_dir)
    seed_file = default_seed_file(data_dir, dataset)
    seeds = load_seed_file(seed_file) if seed_file is not None else {}
    found = []
    for problem in problems:
        task = problem.task
        seed = seeds.get(problem.task_id)
        setup = f"{task.prelude}\n{seed.program if seed else ''}"
        reasons = [broken_reason(t, entry_point=task.entry_point, setup=setup) for t in task.visible_tests]
        broken = [r for r in reasons if r is not None]
        if broken:
            found.append((problem.task_id, len(broken), len(reasons), broken[0]))
    return len(problems), found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    lines = [
        "# Visible tests no program can pass",
        "",
        f"Command: `.venv/bin/python bench/broken_tests.py --data-dir {args.data_dir} --out {args.out}`  ",
        f"Written {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Static check of each visible test "
        "(`tracefix.strategies.tests.broken_reason`), with the prelude and the GPT-3.5 seed as the names a "
        "test may use.",
        "",
        "| dataset | problems | with a broken visible test | broken tests | problems by the kind of their first broken test |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    details: list[str] = []
    for dataset in DATASETS:
        total, found = survey(dataset, args.data_dir)
        kinds = Counter("not valid Python" if "not valid" in r else "undefined name" for *_, r in found)
        said = ", ".join(f"{k}: {n}" for k, n in kinds.items()) or "-"
        lines.append(f"| {dataset} | {total} | {len(found)} | {sum(b for _, b, _, _ in found)} | {said} |")
        details += [f"- {task_id}: {b} of {n} tests; e.g. {reason}" for task_id, b, n, reason in found]
    lines += ["", "Problems (the first broken test's reason):", "", *details, ""]
    args.out.write_text("\n".join(lines))
    print(args.out.read_text())


if __name__ == "__main__":
    main()
