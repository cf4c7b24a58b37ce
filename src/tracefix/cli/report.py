"""``tracefix report``: render a saved session or a benchmark run as a static HTML page."""

from __future__ import annotations

import webbrowser
from pathlib import Path

import click
from pydantic import ValidationError

from tracefix.cli.common import emit_json
from tracefix.records import Session
from tracefix.report.html import write_session_report
from tracefix.report.run import NotARun, write_run_report


@click.command()
@click.argument("source", type=click.Path(exists=True, path_type=Path), metavar="SESSION.json|RUN_DIR")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="HTML file to write [default: SESSION.html next to the session, or RUN_DIR/report.html].",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the page in the default browser.")
@click.option("--json", "as_json", is_flag=True, help='Print {"output": path, "pages": n} as JSON.')
def report(source: Path, output: Path | None, open_browser: bool, as_json: bool) -> None:
    """Write a self-contained HTML report of a debugging session or of a benchmark run directory.

    A run's report links one page per debugged problem, written under sessions/ next to it.
    """
    if source.is_dir():
        pages = _run_report(source, output or source / "report.html")
    else:
        pages = [_session_report(source, output or source.with_suffix(".html"))]
    main_page = pages[0]
    if open_browser:
        webbrowser.open(main_page.resolve().as_uri())
    if as_json:
        emit_json({"output": str(main_page), "pages": len(pages)})
    else:
        extra = f" (+{len(pages) - 1} session pages)" if len(pages) > 1 else ""
        click.echo(f"report: {main_page}{extra}")


def _session_report(path: Path, output: Path) -> Path:
    try:
        session = Session.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        raise click.UsageError(
            f"{path} is not a tracefix session (JSON written by `tracefix debug --json` or a benchmark run): "
            f"{exc.error_count()} problems, first: {exc.errors()[0]['msg']}"
        ) from exc
    except OSError as exc:
        raise click.FileError(str(path), hint=exc.strerror or str(exc)) from exc
    return write_session_report(session, output)


def _run_report(run_dir: Path, output: Path) -> list[Path]:

    try:
        return write_run_report(run_dir, output)
    except NotARun as exc:
        raise click.UsageError(str(exc)) from exc
