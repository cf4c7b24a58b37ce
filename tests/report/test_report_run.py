"""The benchmark run page: figures from the run store, charts as inline SVG, problems linking to sessions."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_samples import make_run

from tracefix.report.run import NotARun, load_run, run_view, write_run_report
from tracefix.report.svg import nice_max


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return make_run(tmp_path / "run")


def test_strategies_show_pass_at_1_against_the_seed(run_dir: Path) -> None:
    view = run_view(*load_run(run_dir))
    figures = {s.name: (s.figures["pass_at_1"], s.pass_delta, s.figures["repaired"]) for s in view.strategies}
    assert figures == {"ldb": (75.0, 50.0, 2), "feedback": (50.0, 25.0, 1)}


def test_each_problem_row_judges_each_strategy_on_hidden_tests(run_dir: Path) -> None:
    view = run_view(*load_run(run_dir))
    table = {row.task_id: [(c.status, c.label) for c in row.cells] for row in view.rows}
    assert table == {
        "HumanEval/1": [("not_debuggable", "not debuggable")] * 2,
        "HumanEval/2": [("repaired", "repaired"), ("repaired", "repaired")],
        "HumanEval/3": [("repaired", "repaired"), ("failing", "passes visible only")],
    }
    assert view.unselected == 1


def test_cells_link_to_session_pages_only_when_a_session_exists(run_dir: Path) -> None:
    rows = {row.task_id: row for row in run_view(*load_run(run_dir)).rows}
    assert rows["HumanEval/2"].cells[0].link == "sessions/ldb/HumanEval_2.html"
    assert rows["HumanEval/1"].cells[0].link is None


def test_cumulative_repairs_count_repairs_within_n_iterations(run_dir: Path) -> None:
    chart = run_view(*load_run(run_dir)).charts[1]
    assert chart.title == "Cumulative repairs by iteration"
    assert chart.svg.count("<polyline") == 2


def test_the_run_page_and_every_session_page_are_written(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "site" / "run.html"
    pages = write_run_report(run_dir, out)
    assert pages[0] == out and len(pages) == 5
    html = out.read_text(encoding="utf-8")
    assert html.count("<svg") == 3
    for page in pages[1:]:
        assert page.is_relative_to(out.parent / "sessions")
        assert 'href="../../run.html"' in page.read_text(encoding="utf-8")
        assert f'href="{page.relative_to(out.parent).as_posix()}"' in html


def files(run_dir: Path) -> dict[Path, bytes]:
    """Every file of a run but SQLite's transient WAL index and log, which any reader may create."""
    return {
        p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file() and not p.name.endswith(("-shm", "-wal"))
    }


def test_reading_a_run_never_writes_into_it(run_dir: Path, tmp_path: Path) -> None:
    before = files(run_dir)
    write_run_report(run_dir, tmp_path / "out" / "report.html")
    assert files(run_dir) == before


def test_a_directory_without_a_store_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NotARun, match="not a benchmark run directory"):
        load_run(tmp_path)
    assert not (tmp_path / "run.sqlite").exists()


def test_axes_end_on_round_numbers() -> None:
    assert [nice_max(v) for v in (0, 3, 7, 18, 2300)] == [1.0, 5.0, 10.0, 20.0, 2500.0]


def test_a_run_that_only_scored_its_seeds_shows_the_seed_alone(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path / "run")
    config, seeds, _, _ = load_run(run_dir)
    view = run_view(config.model_copy(update={"strategies": []}), seeds, [], [])
    assert [chart.title for chart in view.charts] == ["pass@1 per strategy"]
    assert (view.rows, view.unselected) == ([], 4)


def test_a_missing_or_broken_session_file_loses_its_page_and_link_only(run_dir: Path, tmp_path: Path) -> None:
    (run_dir / "sessions" / "ldb" / "HumanEval_2.json").unlink()
    (run_dir / "sessions" / "feedback" / "HumanEval_3.json").write_text("{broken", encoding="utf-8")
    out = tmp_path / "site" / "report.html"
    pages = write_run_report(run_dir, out)
    assert len(pages) == 3
    html = out.read_text(encoding="utf-8")
    assert 'href="sessions/ldb/HumanEval_2.html"' not in html
    assert 'href="sessions/ldb/HumanEval_3.html"' in html


def test_a_strategy_spec_names_its_page_directory_and_its_link_is_escaped(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path / "run", ldb="ldb[format=hole]")
    out = tmp_path / "site" / "run.html"
    pages = write_run_report(run_dir, out)
    assert out.parent / "sessions" / "ldb[format=hole]" / "HumanEval_2.html" in pages
    html = out.read_text(encoding="utf-8")
    assert 'href="sessions/ldb%5Bformat%3Dhole%5D/HumanEval_2.html"' in html
