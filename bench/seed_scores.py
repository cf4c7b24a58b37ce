"""How the published GPT-3.5 seeds score under tracefix's hidden-test scorer, against the seed files' own flags.

Scores every seed of LDB's data files in the sandbox (each program in its own sandboxed run, with the task's
prelude) exactly as ``tracefix bench`` does before any debugging, and compares with the ``is_solved`` flag
of the seed file. Also lists the fixed sample of failing seeds that ``--sample N --sample-seed S`` selects.

    .venv/bin/python bench/seed_scores.py [--data-dir ../shared/data/ldb] [--sample 60 --sample-seed 0]
        [--out bench/results/seed_scores.md]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from tracefix.bench.datasets import LDB_DATASETS, load_problems
from tracefix.bench.harness import Harness, Selection, select
from tracefix.bench.seeds import default_seed_file, file_sha256, load_seed_file
from tracefix.bench.store import RunConfig, RunStore, SeedRow
from tracefix.execution.sandbox import Executor


def score(dataset: str, data_dir: Path, executor: Executor, jobs: int) -> tuple[list[SeedRow], float, Path]:
    seed_path = default_seed_file(data_dir, dataset)
    assert seed_path is not None, f"no seed file for {dataset} in {data_dir}"
    seeds = load_seed_file(seed_path)
    problems = load_problems(dataset, data_dir)
    store = RunStore(Path(tempfile.mkdtemp(prefix=f"seed-scores-{dataset}-")))
    config = RunConfig(
        dataset=dataset, seeds=str(seed_path), strategies=[], model="none", max_iters=1,
        tracefix_version="bench",
    )  # fmt: skip
    store.start(config, resume=False)
    harness = Harness(problems, lambda p: seeds[p.task_id], {}, executor, store, jobs=jobs)
    started = time.monotonic()
    harness.score_seeds(problems)
    return store.seeds(), time.monotonic() - started, seed_path


def section(
    dataset: str, rows: list[SeedRow], seconds: float, seed_path: Path, sample: Selection
) -> list[str]:
    ours = sum(r.hidden.passed for r in rows)
    claimed = sum(bool(r.claimed_solved) for r in rows)
    differ = [r for r in rows if r.hidden.passed != bool(r.claimed_solved)]
    failing = [r for r in rows if not r.hidden.passed]
    lines = [
        f"## {dataset}",
        "",
        f"Seed file `{seed_path.name}` (sha256 `{file_sha256(seed_path)[:16]}`), {len(rows)} problems, "
        f"scored in {seconds:.1f} s.",
        "",
        "| | count | pass@1 |",
        "| --- | ---: | ---: |",
        f"| pass hidden tests (tracefix scorer) | {ours} | {100 * ours / len(rows):.1f} % |",
        f"| `is_solved` in the seed file | {claimed} | {100 * claimed / len(rows):.1f} % |",
        f"| fail hidden tests | {len(failing)} | |",
        f"| ... of which fail a visible test (debuggable) | {sum(r.debuggable for r in failing)} | |",
        f"| pass hidden tests but fail a visible test | {sum(r.debuggable for r in rows if r.hidden.passed)} | |",
        "",
    ]
    if differ:
        lines.append("Disagreements (ours / file, first failure):")
        lines += [
            f"- {r.task_id}: {'pass' if r.hidden.passed else 'fail'} / "
            f"{'pass' if r.claimed_solved else 'fail'}{'' if r.hidden.passed else ' (' + str(r.hidden.error) + ')'}"
            for r in differ
        ]
        lines.append("")
    if sample.sample:
        chosen = set(select(rows, sample))
        picked = [r for r in rows if r.task_id in chosen]
        lines += [
            f"Fixed sample `--sample {sample.sample} --sample-seed {sample.sample_seed}` of the failing seeds: "
            f"{len(picked)} seeds, {sum(r.debuggable for r in picked)} of them fail a visible test.",
            "",
            ", ".join(r.task_id for r in picked),
            "",
        ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data/ldb"))
    parser.add_argument("--datasets", nargs="+", default=list(LDB_DATASETS), choices=LDB_DATASETS)
    parser.add_argument("--sample", type=int, default=60)
    parser.add_argument("--sample-seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    sample = Selection(sample=args.sample, sample_seed=args.sample_seed)
    lines = [
        "# Seed scores: tracefix's hidden-test scorer against the seed files' `is_solved`",
        "",
        f"Command: `.venv/bin/python {' '.join(sys.argv)}`  ",
        f"Date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; machine: {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "",
    ]
    with Executor() as executor:
        for dataset in args.datasets:
            rows, seconds, seed_path = score(dataset, args.data_dir, executor, args.jobs)
            lines += section(dataset, rows, seconds, seed_path, sample)
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
