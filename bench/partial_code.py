"""The partial-code benchmark: code that cannot run as it is, executed by ``tracefix exec`` (issue #27).

Fragments come from the six libraries the real-bugs benchmark pins (bench/realbugs/manifest.json): half
functions lifted out of their modules, half snippets (a function's body as top-level code). Each is executed
with each predictor (``plain``, ``rules``, ``model``) side by side; the score is the share of its lines
executed::

    python bench/partial_code.py build                   # -> bench/partial_code/fragments.jsonl
    python bench/partial_code.py run --out-dir bench/runs/partial-code-qwen1.5b --resume
    python bench/partial_code.py report bench/runs/partial-code-qwen1.5b   # -> bench/results/partial-code-<name>.md
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from partial_code import build, report, run
from realbugs import libs
from tracefix.models.resolve import load_model
from tracefix.partial.loop import RUNS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cache", type=Path, default=None, help="the real-bugs sdist cache")
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("build", help="write bench/partial_code/fragments.jsonl")
    make.add_argument("--per-half", type=int, default=100)
    make.add_argument("--seed", type=int, default=27)
    go = commands.add_parser("run", help="execute the fragments with each predictor")
    go.add_argument("--out-dir", type=Path, required=True)
    go.add_argument("--predictors", default="plain,rules,model")
    go.add_argument("--model", default=None, help="model spec (default: the embedded model)")
    go.add_argument("--runs", type=int, default=RUNS, help="tracefix exec --runs")
    go.add_argument("--limit", type=int, default=None, help="only the first N fragments of each half")
    go.add_argument("--resume", action="store_true")
    rep = commands.add_parser("report", help="write bench/results/partial-code-<name>.md")
    rep.add_argument("out_dir", type=Path)
    rep.add_argument("--name", default=None, help="default: the run directory's name less 'partial-code-'")
    rep.add_argument("--results-dir", type=Path, default=Path(__file__).resolve().parent / "results")
    args = parser.parse_args(argv)
    command = shlex.join(["python", "bench/partial_code.py", *(sys.argv[1:] if argv is None else argv)])
    if args.command == "build":
        fragments = build.build(libs.load_manifest(), args.cache or libs.default_cache(), per_half=args.per_half,
                                seed=args.seed)  # fmt: skip
        build.write(fragments)
        print(f"{len(fragments)} fragments -> {build.FRAGMENTS}")
    elif args.command == "run":
        fragments = build.load()
        if args.limit is not None:
            halves = [[f for f in fragments if f["kind"] == kind] for kind in ("function", "snippet")]
            fragments = [f for half in halves for f in half[: args.limit]]
        if args.out_dir.exists() and (args.out_dir / "results.jsonl").exists() and not args.resume:
            raise SystemExit(f"{args.out_dir} has results: give --resume to go on, or another --out-dir")
        predictors = [p.strip() for p in args.predictors.split(",") if p.strip()]
        run.run(fragments, predictors, args.out_dir, model=lambda: load_model(args.model), runs=args.runs,
                command=command)  # fmt: skip
    else:
        name = args.name or args.out_dir.name.removeprefix("partial-code-")
        print(report.write(args.out_dir, args.results_dir, name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
