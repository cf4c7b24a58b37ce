"""Render sessions and benchmark runs as self-contained static HTML (inline CSS and JS, no network assets)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from tracefix import __version__
from tracefix.records import Session
from tracefix.report.code import CfgFor, default_cfg_for
from tracefix.report.model import session_view


@cache
def environment() -> jinja2.Environment:
    """The Jinja environment over the packaged templates, with the report's number formats as filters."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("tracefix.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=True,
    )
    env.filters["tokens"] = format_tokens
    env.filters["seconds"] = format_seconds
    env.filters["percent"] = format_percent
    return env


def format_tokens(value: int | float | None) -> str:
    """``12345`` -> ``"12,345"``; None -> ``"–"``."""
    return "–" if value is None else f"{round(value):,}"


def format_seconds(value: float | None) -> str:
    """Durations a person reads at a glance: ``"350 ms"``, ``"4.2 s"``, ``"3 min 05 s"``."""
    if value is None:
        return "–"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 60:
        return f"{value:.1f} s"
    minutes, secs = divmod(round(value), 60)
    return f"{minutes} min {secs:02d} s"


def format_percent(value: float | None) -> str:
    """A fraction in [0, 1] as a percentage with one decimal; None -> ``"–"``."""
    return "–" if value is None else f"{value * 100:.1f} %"


def _asset(name: str) -> Markup:
    """A packaged stylesheet or script, inlined verbatim (it is our own file, not user data)."""
    loader = environment().loader
    assert loader is not None
    source, _, _ = loader.get_source(environment(), name)
    return Markup(source)


def render(template: str, **context: Any) -> str:
    """Render one page template with the inline stylesheet and script every page carries."""
    page = environment().get_template(template)
    return page.render(css=_asset("report.css"), js=_asset("report.js"), version=__version__, **context)


def render_session(
    session: Session, *, cfg_for: CfgFor = default_cfg_for, back_link: str | None = None
) -> str:
    """The session page as one HTML string; ``back_link`` points back to a run page when there is one."""
    return render("session.html.j2", s=session_view(session, cfg_for), back_link=back_link)


def write_session_report(session: Session, path: Path) -> Path:
    """Write the session page to ``path`` (parent folders created) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_session(session), encoding="utf-8")
    return path
