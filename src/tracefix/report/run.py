"""The benchmark run page: strategies side by side, charts, and a table of problems linking to session pages.

It reads a run directory as :mod:`tracefix.bench.store` documents it, opening the store read-only (the run may
still be going; the pages go wherever the caller says, by default ``RUN_DIR/report.html``), and computes the figures with :func:`tracefix.bench.report.summarize`, so the
page and ``summary.json`` agree.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from tracefix.bench.report import summarize
from tracefix.bench.store import DB_NAME, ResultRow, RunConfig, SeedRow
from tracefix.records import Session
from tracefix.report import svg
from tracefix.report.html import render, render_session


class NotARun(Exception):
    """The directory given holds no benchmark run (the message says what was expected)."""


@dataclass(frozen=True)
class StrategyView:
    name: str
    color: str
    figures: dict[str, Any]
    """One strategy's entry of the run summary (see :mod:`tracefix.bench.store`)."""
    pass_delta: float
    """pass@1 minus the seed's pass@1, in percentage points."""

    @property
    def tokens_median(self) -> float:
        return float(self.figures["prompt_tokens"]["median"] + self.figures["completion_tokens"]["median"])

    @property
    def tokens_mean(self) -> float:
        return float(self.figures["prompt_tokens"]["mean"] + self.figures["completion_tokens"]["mean"])


@dataclass(frozen=True)
class Cell:
    """One strategy's result on one problem."""

    status: str
    """"repaired", "failing", "kept", "regressed", "not_debuggable", "error" or "pending"."""
    label: str
    tokens: int
    seconds: float
    iterations: int
    link: str | None
    """Relative address of the session page, when the strategy left a session."""


@dataclass(frozen=True)
class ProblemRow:
    task_id: str
    seed_passed: bool
    seed_visible: str
    debuggable: bool
    cells: list[Cell]


@dataclass(frozen=True)
class Chart:
    title: str
    svg: Markup
    note: str


@dataclass(frozen=True)
class RunView:
    title: str
    config: RunConfig
    summary: dict[str, Any]
    strategies: list[StrategyView]
    legend: Markup
    charts: list[Chart]
    rows: list[ProblemRow]
    unselected: int
    """Problems scored but not debugged in this run: they keep their seed's result."""


CELL_LABELS = {
    "repaired": "repaired",
    "failing": "still fails",
    "kept": "passes",
    "regressed": "regressed",
    "not_debuggable": "not debuggable",
    "error": "error",
    "pending": "pending",
}


def session_page(strategy: str, task_id: str) -> str:
    """Where a session's page goes, relative to the run page."""
    return f"sessions/{strategy}/{task_id.replace('/', '_')}.html"


def load_run(run_dir: Path) -> tuple[RunConfig, list[SeedRow], list[ResultRow], list[str]]:
    """The run's configuration, seeds, results and selected problems, read from its store without writing."""
    db = run_dir / DB_NAME
    if not db.is_file():
        raise NotARun(
            f"{run_dir} is not a benchmark run directory (no {DB_NAME}); give a run made by tracefix bench"
        )
    connection = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        config = connection.execute("SELECT value FROM meta WHERE key = 'config'").fetchone()
        if config is None:
            raise NotARun(f"{db} holds no run configuration yet")
        seeds = connection.execute("SELECT data, selected, task_id FROM seeds ORDER BY position").fetchall()
        results = connection.execute(
            "SELECT r.data FROM results r LEFT JOIN seeds s USING (task_id) ORDER BY s.position, r.strategy"
        ).fetchall()
    except sqlite3.DatabaseError as exc:
        raise NotARun(f"{db} cannot be read as a run store: {exc}") from exc
    finally:
        connection.close()
    return (
        RunConfig.model_validate_json(config[0]),
        [SeedRow.model_validate_json(row[0]) for row in seeds],
        [ResultRow.model_validate_json(row[0]) for row in results],
        [row[2] for row in seeds if row[1]],
    )


def run_view(
    config: RunConfig, seeds: Sequence[SeedRow], results: Sequence[ResultRow], selected: Sequence[str]
) -> RunView:
    """The run page's view model."""
    summary = summarize(config, seeds, results, selected)
    colors = {name: svg.PALETTE[i % len(svg.PALETTE)] for i, name in enumerate(config.strategies)}
    seed_pass = float(summary["seed"]["pass_at_1"])
    strategies = [
        StrategyView(name, colors[name], figures, float(figures["pass_at_1"]) - seed_pass)
        for name, figures in summary["strategies"].items()
    ]
    chosen = set(selected)
    rows = problem_rows([s for s in seeds if s.task_id in chosen], results, config.strategies)
    return RunView(
        title=f"{config.dataset} · {config.model}",
        config=config,
        summary=summary,
        strategies=strategies,
        legend=svg.legend([(s.name, s.color) for s in strategies]),
        charts=charts(summary, strategies, rows, config),
        rows=rows,
        unselected=len(seeds) - len(rows),
    )


def problem_rows(
    seeds: Sequence[SeedRow], results: Sequence[ResultRow], strategies: Sequence[str]
) -> list[ProblemRow]:
    """One row per debugged problem with each strategy's cell, in the run's problem order."""
    by_key = {(r.task_id, r.strategy): r for r in results}
    return [
        ProblemRow(
            task_id=seed.task_id,
            seed_passed=seed.hidden.passed,
            seed_visible=f"{seed.visible_passed}/{seed.visible_total}",
            debuggable=seed.debuggable,
            cells=[cell(seed, by_key.get((seed.task_id, name))) for name in strategies],
        )
        for seed in seeds
    ]


def cell(seed: SeedRow, row: ResultRow | None) -> Cell:
    """How one strategy did on one problem, judged on hidden tests against the seed."""
    if row is None:
        return Cell("pending", CELL_LABELS["pending"], 0, 0.0, 0, None)
    status: str
    if row.status in ("not_debuggable", "error"):
        status = row.status
    elif seed.hidden.passed:
        status = "kept" if row.hidden.passed else "regressed"
    else:
        status = "repaired" if row.hidden.passed else "failing"
    label = CELL_LABELS[status]
    if status == "failing" and row.outcome == "fixed":
        label = "passes visible only"
    link = quote(session_page(row.strategy, row.task_id)) if row.session_path else None  # ldb[format=hole]
    tokens = row.prompt_tokens + row.completion_tokens
    return Cell(status, label, tokens, row.duration_s, row.iterations, link)


def charts(
    summary: dict[str, Any], strategies: Sequence[StrategyView], rows: Sequence[ProblemRow], config: RunConfig
) -> list[Chart]:
    """pass@1 per strategy, cumulative repairs by iteration, and tokens per problem (the seed's pass@1 alone
    when no strategy ran: a run that only scored its seeds)."""
    if not strategies:
        return [pass_chart(summary, strategies)]
    return [
        pass_chart(summary, strategies),
        repairs_chart(strategies, rows, config),
        tokens_chart(strategies, rows),
    ]


def pass_chart(summary: dict[str, Any], strategies: Sequence[StrategyView]) -> Chart:
    seed = summary["seed"]
    bars = [svg.Bar("seed", float(seed["pass_at_1"]), "#aab1bd", f"{seed['pass_at_1']:.1f} %")]
    bars += [
        svg.Bar(s.name, float(s.figures["pass_at_1"]), s.color, f"{s.figures['pass_at_1']:.1f} %")
        for s in strategies
    ]
    return Chart(
        "pass@1 per strategy",
        svg.bar_chart("pass@1 per strategy", bars, maximum=100.0),
        f"hidden tests, over all {summary['problems']} problems scored",
    )


def repairs_chart(strategies: Sequence[StrategyView], rows: Sequence[ProblemRow], config: RunConfig) -> Chart:
    """How many seeds failing the hidden tests were repaired within the first n iterations."""
    last = max([config.max_iters, *(c.iterations for r in rows for c in r.cells)], default=1)
    series = []
    for index, strategy in enumerate(strategies):
        done = sorted(r.cells[index].iterations for r in rows if r.cells[index].status == "repaired")
        points = [(float(n), float(sum(it <= n for it in done))) for n in range(last + 1)]
        series.append(svg.Series(strategy.name, strategy.color, points))
    return Chart(
        "Cumulative repairs by iteration",
        svg.line_chart(
            "Cumulative repairs by iteration",
            series,
            x_label="iteration",
            y_label="repaired",
            step=True,
            integer=True,
        ),
        "seeds failing the hidden tests that pass them after at most n iterations",
    )


def tokens_chart(strategies: Sequence[StrategyView], rows: Sequence[ProblemRow]) -> Chart:
    """Tokens each strategy spent on each problem it debugged (problems in run order)."""
    debugged = [r for r in rows if r.debuggable]
    series = []
    for index, strategy in enumerate(strategies):
        points = [
            (float(i), float(r.cells[index].tokens) if r.cells[index].status != "pending" else math.nan)
            for i, r in enumerate(debugged, start=1)
        ]
        series.append(svg.Series(strategy.name, strategy.color, points, [r.task_id for r in debugged]))
    step = max(1, len(debugged) // 8)
    ticks = [(float(i), str(i)) for i in range(1, len(debugged) + 1, step)]
    return Chart(
        "Tokens per problem",
        svg.line_chart(
            "Tokens per problem",
            series,
            x_label="problem (run order)",
            y_label="tokens",
            markers_only=True,
            x_ticks=ticks,
        ),
        f"prompt + completion tokens on the {len(debugged)} problems failing a visible test",
    )


def write_run_report(run_dir: Path, path: Path) -> list[Path]:
    """Write the run page to ``path`` and one page per stored session under ``sessions/`` next to it.

    A session file that is missing or unreadable gets no page (and no link); the rest of the report stands.
    Returns every page written, the run page first.
    """

    config, seeds, results, selected = load_run(run_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    pages = [path]
    linked = []
    for row in results:
        session = _read_session(run_dir, row)
        if session is None:
            linked.append(row.model_copy(update={"session_path": None}))
            continue
        page = path.parent / session_page(row.strategy, row.task_id)
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(render_session(session, back_link=f"../../{path.name}"), encoding="utf-8")
        pages.append(page)
        linked.append(row)
    view = run_view(config, seeds, linked, selected)
    path.write_text(render("run.html.j2", r=view), encoding="utf-8")
    return pages


def _read_session(run_dir: Path, row: ResultRow) -> Session | None:
    if row.session_path is None:
        return None
    try:
        return Session.model_validate_json((run_dir / row.session_path).read_bytes())
    except (OSError, ValueError):  # pydantic's ValidationError is a ValueError
        return None
