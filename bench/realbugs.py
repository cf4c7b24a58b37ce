"""The real-bugs benchmark: single-line bugs in real libraries, debugged by ``tracefix pytest --apply``.

Issue #28 item 4. Six pure-Python libraries whose sdists ship their tests (bench/realbugs/manifest.json pins
them by version and sha256), single-line mutants of the six HumanEvalFix bug kinds that some library test
catches (bench/realbugs/mutants.jsonl), and a driver that runs ``tracefix pytest FIRST_FAILING_NODEID
--apply`` on a fresh copy of the library per mutant and strategy, then scores the copy with plain pytest::

    python bench/realbugs.py fetch                      # pip download the sdists, check sha256, unpack
    python bench/realbugs.py generate --jobs 2          # remake mutants.jsonl and libraries.json
    python bench/realbugs.py run --strategies ldb,feedback --max-iters 3 --out-dir bench/runs/realbugs-qwen1.5b
    python bench/realbugs.py run --strategies ldb --per-library 5 --resume --out-dir ...  # a fixed subset of 30
    python bench/realbugs.py report bench/runs/realbugs-qwen1.5b   # -> bench/results/realbugs-<name>.md
    python bench/realbugs.py localize --out-dir bench/runs/realbugs-localize  # which function is chosen, no model
    python bench/realbugs.py localize-report bench/runs/realbugs-localize  # -> bench/results/realbugs-localization.md

``run`` appends one JSON line per (mutant, strategy) to OUT_DIR/results.jsonl and skips the pairs already
there with ``--resume``. The sdists and unpacked trees live in a cache outside the repository
(``--cache``, default ``~/.cache/tracefix/realbugs``). See bench/realbugs/__init__.py for the scores.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from realbugs import driver, generate, libs, localize, report
from tracefix.repo.run import Budget


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--cache", type=Path, default=None, help="sdists and unpacked trees (default: %(default)s)"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    fetch = commands.add_parser("fetch", help="download, verify and unpack the pinned sdists")
    fetch.add_argument("--library", action="append", help="only this library (repeatable)")

    gen = commands.add_parser("generate", help="make the mutants (bench/realbugs/mutants.jsonl)")
    gen.add_argument("--library", action="append", help="only this library (repeatable)")
    gen.add_argument("--per-kind", type=int, default=6, help="mutants kept per kind and library")
    gen.add_argument("--max-tries", type=int, default=200, help="candidates tried per library at most")
    gen.add_argument(
        "--hangs", type=int, default=2, help="hanging mutants sought per library (see generate.py)"
    )
    gen.add_argument("--jobs", type=int, default=2, help="libraries generated in parallel")
    gen.add_argument("--out", type=Path, default=libs.MUTANTS)
    gen.add_argument("--stats", type=Path, default=libs.LIBRARIES)

    run = commands.add_parser("run", help="run tracefix on the mutants and score the patches")
    run.add_argument("--strategies", default="ldb,feedback", help="comma-separated strategy specs")
    run.add_argument("--max-iters", type=int, default=3)
    run.add_argument("--out-dir", type=Path, required=True)
    run.add_argument("--limit", type=int, default=None, help="only the first N mutants")
    run.add_argument("--only", action="append", help="only this mutant id (repeatable)")
    run.add_argument(
        "--per-library",
        type=int,
        default=None,
        help="only the first N mutants of each library, taken in turns (one of each library, then the next), "
        "so a run stopped early has covered every library alike",
    )
    run.add_argument("--resume", action="store_true", help="skip (mutant, strategy) pairs already done")
    run.add_argument("--budget", type=float, default=1800.0, help="wall seconds per mutant and strategy")
    run.add_argument(
        "--timeout", type=float, default=None, help="tracefix pytest --timeout (seconds per run)"
    )
    run.add_argument("--model", default=None, help="tracefix --model (default: the embedded model)")
    run.add_argument("--mutants", type=Path, default=libs.MUTANTS)
    run.add_argument("--keep", action="store_true", help="keep each work copy (under OUT_DIR/work)")
    run.add_argument(
        "--tracefix-args", default="", help="more tracefix pytest arguments, e.g. '--test-timeout 30'"
    )

    loc = commands.add_parser(
        "localize", help="which function tracefix chooses to fix, per mutant (no model)"
    )
    loc.add_argument("--out-dir", type=Path, required=True)
    loc.add_argument("--limit", type=int, default=None, help="only the first N mutants")
    loc.add_argument("--timeout", type=float, default=300.0, help="seconds per pytest run")
    loc.add_argument("--test-timeout", type=float, default=30.0, help="seconds per test")
    loc.add_argument("--mutants", type=Path, default=libs.MUTANTS)
    locrep = commands.add_parser("localize-report", help="write bench/results/realbugs-localization.md")
    locrep.add_argument("out_dir", type=Path)
    locrep.add_argument("--results-dir", type=Path, default=Path(__file__).resolve().parent / "results")
    rep = commands.add_parser("report", help="write bench/results/realbugs-<name>.md from a run")
    rep.add_argument("out_dir", type=Path)
    rep.add_argument("--name", default=None, help="default: the run directory's name less 'realbugs-'")
    rep.add_argument("--results-dir", type=Path, default=Path(__file__).resolve().parent / "results")
    rep.add_argument("--mutants", type=Path, default=libs.MUTANTS)

    args = parser.parse_args(argv)
    cache = args.cache or libs.default_cache()
    manifest = libs.load_manifest()
    command = shlex.join(["python", "bench/realbugs.py", *(sys.argv[1:] if argv is None else argv)])
    if args.command == "fetch":
        for library in manifest.libraries:
            if not args.library or library.name in args.library:
                print(f"{library.key}: {libs.fetch(library, cache)}")
    elif args.command == "generate":
        generate.generate(
            manifest, cache, names=args.library, per_kind=args.per_kind, max_tries=args.max_tries,
            hangs=args.hangs, jobs=args.jobs, out=args.out, stats_out=args.stats, command=command,
        )  # fmt: skip
    elif args.command == "run":
        mutants = generate.load_mutants(args.mutants)
        if args.only:
            mutants = [m for m in mutants if m["id"] in args.only]
        if args.per_library is not None:
            mutants = generate.in_turns(mutants, args.per_library)
        if args.limit is not None:
            mutants = mutants[: args.limit]
        options = driver.Options(
            strategies=[s.strip() for s in args.strategies.split(",") if s.strip()],
            max_iters=args.max_iters,
            budget_s=args.budget,
            timeout_s=args.timeout,
            model=args.model,
            keep=args.keep,
            extra=shlex.split(args.tracefix_args),
        )
        names = {m["library"] for m in mutants}
        trees = {lib.name: libs.fetch(lib, cache) for lib in manifest.libraries if lib.name in names}
        driver.run(mutants, trees, args.out_dir, options, resume=args.resume, command=command)
    elif args.command in ("localize", "localize-report"):
        if args.command == "localize-report":
            print(localize.report(args.out_dir, args.results_dir, command=_config_command(args.out_dir)))
            return 0
        mutants = generate.load_mutants(args.mutants)[: args.limit]
        names = {m["library"] for m in mutants}
        trees = {lib.name: libs.fetch(lib, cache) for lib in manifest.libraries if lib.name in names}
        budget = Budget(run_s=args.timeout, test_s=args.test_timeout)
        args.out_dir.mkdir(parents=True, exist_ok=True)
        (args.out_dir / "command.txt").write_text(command + "\n", encoding="utf-8")
        localize.run(mutants, trees, args.out_dir, budget, command=command)
    elif args.command == "report":
        path = report.write(args.out_dir, args.results_dir, name=args.name, mutants_path=args.mutants)
        print(path)
    return 0


def _config_command(out_dir: Path) -> str:
    path = out_dir / "command.txt"
    return path.read_text(encoding="utf-8").strip() if path.exists() else "(command not recorded)"


if __name__ == "__main__":
    raise SystemExit(main())
