"""``tracefix report SESSION.json|RUN_DIR``: the command writes the pages and reports where they are."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from report_samples import make_run

from tracefix.cli import main
from tracefix.records import Session


def test_a_session_file_becomes_an_html_page_next_to_it(session: Session, tmp_path: Path) -> None:
    source = tmp_path / "session.json"
    source.write_text(session.model_dump_json(), encoding="utf-8")
    result = CliRunner().invoke(main, ["report", str(source), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"output": str(tmp_path / "session.html"), "pages": 1}
    assert "sum_of_evens" in (tmp_path / "session.html").read_text(encoding="utf-8")


def test_a_run_directory_becomes_a_run_page_with_session_pages(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path / "run")
    out = tmp_path / "out" / "index.html"
    result = CliRunner().invoke(main, ["report", str(run_dir), "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"output": str(out), "pages": 5}


def test_a_file_that_is_not_a_session_is_a_usage_error(tmp_path: Path) -> None:
    source = tmp_path / "other.json"
    source.write_text('{"hello": 1}', encoding="utf-8")
    result = CliRunner().invoke(main, ["report", str(source)])
    assert result.exit_code == 2
    assert "is not a tracefix session" in result.output


def test_a_directory_that_is_not_a_run_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a benchmark run directory" in result.output


def test_open_shows_the_page_in_the_browser(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", opened.append)
    source = tmp_path / "session.json"
    source.write_text(session.model_dump_json(), encoding="utf-8")
    result = CliRunner().invoke(main, ["report", str(source), "-o", str(tmp_path / "r.html"), "--open"])
    assert result.exit_code == 0, result.output
    assert opened == [(tmp_path / "r.html").resolve().as_uri()]
    assert result.output.strip() == f"report: {tmp_path / 'r.html'}"
