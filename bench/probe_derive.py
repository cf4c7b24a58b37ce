"""Probe: can the model's own tests, derived from the task description, be trusted where samples agree?

A seed that passes every visible test but fails the hidden ones cannot be debugged from the visible tests.
Issue #9 suggests tests the model derives from the description, trusted only where several samples agree
(``tracefix.strategies.derive``). Before any strategy uses them, this measures them on the GPT-3.5 seeds:

* ``blind`` seeds pass every visible test and fail the hidden ones: a derived test helps when it is
  correct and the seed fails it (it exposes the bug), and misleads when it is wrong and the seed fails it;
* ``sound`` seeds (a fixed sample) pass the visible and the hidden tests: a derived test they fail would
  start debugging a program that needs none.

A derived test is "correct" when the dataset's reference solution passes it. The reference solutions and
the hidden tests are read here for measurement only; the request shows the model the description and the
visible tests, nothing else.

    TRACEFIX_THREADS=2 .venv/bin/python bench/probe_derive.py --dataset humaneval \\
        --data-dir ../shared/data/ldb --configs 3:2,5:3 --sound 20 --out bench/results/probe_derive-humaneval.md
"""

from __future__ import annotations

import argparse
import json
import random
import time
from dataclasses import dataclass
from pathlib import Path

from tracefix.bench.datasets import BenchProblem, load_problems
from tracefix.bench.scoring import score
from tracefix.bench.seeds import default_seed_file, load_seed_file
from tracefix.execution.sandbox import Executor
from tracefix.models.base import Model
from tracefix.models.resolve import load_model
from tracefix.strategies.derive import agreed_tests, derive_tests


@dataclass
class Row:
    task_id: str
    group: str
    config: str
    """samples:agree"""
    derived: int
    correct: int
    exposing: int
    """Correct tests the seed fails."""
    misleading: int
    """Wrong tests the seed fails."""
    calls: int
    tokens: int
    seconds: float


def reference(data_dir: Path, dataset: str) -> dict[str, str]:
    """Each problem's reference solution as a whole program (HumanEval's is a body after the prompt)."""
    programs = {}
    path = data_dir / dataset / "dataset" / "probs.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        code = row["canonical_solution"]
        whole = f"def {row['entry_point']}" in code
        programs[row["task_id"]] = code if whole else row["prompt"] + code
    return programs


def groups(
    problems: list[BenchProblem], seeds: dict[str, str], executor: Executor, sound: int
) -> list[tuple[BenchProblem, str]]:
    """The blind seeds, then a fixed sample of ``sound`` seeds."""
    blind: list[BenchProblem] = []
    passing: list[BenchProblem] = []
    for problem in problems:
        program, task = seeds[problem.task_id], problem.task
        visible = executor.run_tests(program, task.visible_tests, prelude=task.prelude)
        if not all(r.passed for r in visible):
            continue
        hidden = score(executor, program, problem.hidden, entry_point=task.entry_point, prelude=task.prelude)
        (passing if hidden.passed else blind).append(problem)
    chosen = random.Random(0).sample(passing, min(sound, len(passing)))
    return [(p, "blind") for p in blind] + [(p, "sound") for p in sorted(chosen, key=problems.index)]


def probe(args: argparse.Namespace) -> list[Row]:
    problems = load_problems(args.dataset, args.data_dir)
    seed_file = default_seed_file(args.data_dir, args.dataset)
    if seed_file is None:
        raise SystemExit(f"no seed file for {args.dataset} under {args.data_dir}")
    seeds = {k: s.program for k, s in load_seed_file(seed_file).items()}
    solutions = reference(args.data_dir, args.dataset)
    executor = Executor()
    model = load_model(None)
    rows = []
    for problem, group in groups(problems, seeds, executor, args.sound):
        measured = measure(problem, group, seeds[problem.task_id], solutions, executor, model, args)
        for row in measured:
            print(json.dumps(row.__dict__), flush=True)
        rows += measured
    return rows


def measure(
    problem: BenchProblem,
    group: str,
    seed: str,
    solutions: dict[str, str],
    executor: Executor,
    model: Model,
    args: argparse.Namespace,
) -> list[Row]:
    """One row per configuration (samples, agree), all read off the same samples: the first n of them."""
    task = problem.task
    most = max(n for n, _ in args.configs)
    started = time.monotonic()
    derived = derive_tests(model, task, samples=most, agree=most, count=args.count)
    seconds = time.monotonic() - started
    rows = []
    for samples, agree in args.configs:
        tests = agreed_tests(derived.samples[:samples], agree=agree, exclude=task.visible_tests)
        truth = [r.passed for r in executor.run_tests(solutions[task.task_id], tests, prelude=task.prelude)]
        seed_passes = [r.passed for r in executor.run_tests(seed, tests, prelude=task.prelude)]
        rows.append(
            Row(
                task_id=task.task_id,
                group=group,
                config=f"{samples}:{agree}",
                derived=len(tests),
                correct=sum(truth),
                exposing=sum(t and not s for t, s in zip(truth, seed_passes, strict=True)),
                misleading=sum(not t and not s for t, s in zip(truth, seed_passes, strict=True)),
                calls=samples,
                tokens=derived.usage.total_tokens * samples // most,
                seconds=round(seconds * samples / most, 1),
            )
        )
    return rows


def summary(rows: list[Row], command: str, note: str) -> str:
    lines = [
        "# Probe: tests the model derives from the task description, kept where samples agree",
        "",
        f"Command: `{command}`  ",
        f"Written {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `bench/probe_derive.py`.",
        "",
        note,
        "",
        "Per configuration (samples asked : samples that must agree; the smaller sample counts are the first"
        " samples of the larger) and group: seeds; seeds given at least one agreed test; agreed tests; of"
        " them correct (the reference solution passes); seeds with a correct test they fail (exposed); seeds"
        " with a wrong test they fail (misled); median calls, tokens and seconds of derivation per seed"
        " (for the smaller sample counts, the share of the larger's).",
        "",
        "| samples:agree | group | seeds | with tests | tests | correct | exposed | misled |"
        " exposed, not misled | calls | tokens | seconds |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    configs = list(dict.fromkeys(r.config for r in rows))
    for config in configs:
        for group in ("blind", "sound"):
            chosen = [r for r in rows if r.group == group and r.config == config]
            if chosen:
                lines.append(f"| {config} {_line(group, chosen)}")
    lines += [
        "",
        "Per seed: tests / correct / exposing (correct, the seed fails) / misleading (wrong, the seed fails).",
        "",
        "| task | group | " + " | ".join(configs) + " |",
        "| --- | --- | " + " | ".join("---" for _ in configs) + " |",
    ]
    for task_id in dict.fromkeys(r.task_id for r in rows):
        mine = {r.config: r for r in rows if r.task_id == task_id}
        cells = [_cell(mine[c]) if c in mine else "-" for c in configs]
        lines.append(f"| {task_id} | {next(iter(mine.values())).group} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _cell(row: Row) -> str:
    return f"{row.derived} / {row.correct} / {row.exposing} / {row.misleading}"


def _line(group: str, rows: list[Row]) -> str:
    def median(values: list[float]) -> float:
        ordered = sorted(values)
        return ordered[len(ordered) // 2]

    exposed = sum(r.exposing > 0 for r in rows)
    misled = sum(r.misleading > 0 for r in rows)
    clean = sum(r.exposing > 0 and r.misleading == 0 for r in rows)
    return (
        f"| {group} | {len(rows)} | {sum(r.derived > 0 for r in rows)} | {sum(r.derived for r in rows)} | "
        f"{sum(r.correct for r in rows)} | {exposed} | {misled} | {clean} | "
        f"{median([r.calls for r in rows]):g} | {median([r.tokens for r in rows]):g} | "
        f"{median([r.seconds for r in rows]):g} |"
    )


def _configs(text: str) -> list[tuple[int, int]]:
    pairs = []
    for part in text.split(","):
        samples, _, agree = part.partition(":")
        if not (samples.isdigit() and agree.isdigit() and 1 <= int(agree) <= int(samples)):
            raise argparse.ArgumentTypeError(f"{part!r}: want samples:agree with 1 <= agree <= samples")
        pairs.append((int(samples), int(agree)))
    return pairs


def _spec(configs: list[tuple[int, int]]) -> str:
    return ",".join(f"{n}:{k}" for n, k in configs)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", required=True, choices=["humaneval", "mbpp", "transcoder"])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument(
        "--configs",
        type=_configs,
        default="3:2",
        help="samples:agree pairs, comma-separated (3:2,5:3); all are read off one set of samples",
    )
    parser.add_argument("--count", type=int, default=5, help="tests asked for per sample")
    parser.add_argument("--sound", type=int, default=20, help="seeds passing every test to sample")
    parser.add_argument("--out", type=Path, help="write the markdown summary here")
    parser.add_argument("--note", default="", help="a paragraph for the summary (machine, load)")
    args = parser.parse_args()
    rows = probe(args)
    if args.out is not None:
        command = (
            f"bench/probe_derive.py --dataset {args.dataset} --data-dir {args.data_dir} --configs {_spec(args.configs)}"
            f" --count {args.count} --sound {args.sound}"
        )
        args.out.write_text(summary(rows, command, args.note), encoding="utf-8")


if __name__ == "__main__":
    main()
