"""The session page is one self-contained HTML file: escaped user text, no external URL, every part present."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from report_samples import hand_cfg

from tracefix.records import Session
from tracefix.report.html import format_seconds, format_tokens, render_session, write_session_report

URL_ATTRS = {"src", "href", "action", "poster", "data", "srcset", "formaction", "xlink:href"}
EXTERNAL = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
CSS_URL = re.compile(r"url\(\s*['\"]?\s*(https?:)?//", re.IGNORECASE)
CSS_IMPORT = re.compile(r"@import", re.IGNORECASE)


class Collector(HTMLParser):
    """Collects URL-bearing attributes, ids and the text of style and script elements."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.ids: set[str] = set()
        self.inline: list[str] = []
        self._in_raw = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in URL_ATTRS and value is not None:
                self.urls.append(value)
            if name == "id" and value:
                self.ids.add(value)
            if name == "style" and value:
                self.inline.append(value)
        self._in_raw = tag in ("style", "script")

    def handle_endtag(self, tag: str) -> None:
        self._in_raw = False

    def handle_data(self, data: str) -> None:
        if self._in_raw:
            self.inline.append(data)


def parse(html: str) -> Collector:
    collector = Collector()
    collector.feed(html)
    return collector


def test_the_page_loads_nothing_from_the_network(session: Session) -> None:
    html = render_session(session, cfg_for=hand_cfg)
    page = parse(html)
    assert page.urls, "the page links its own anchors"
    assert not [url for url in page.urls if EXTERNAL.match(url)]
    assert not [text for text in page.inline if CSS_URL.search(text) or CSS_IMPORT.search(text)]
    assert not re.search(r"<(link|iframe|object|embed|img)\b", html)


def test_the_url_check_catches_an_external_asset() -> None:
    page = parse('<img src="https://cdn.example/x.png"><style>a{background:url(//x/y)}</style>')
    assert [url for url in page.urls if EXTERNAL.match(url)] == ["https://cdn.example/x.png"]
    assert [text for text in page.inline if CSS_URL.search(text)]


def test_every_internal_link_points_at_an_element_of_the_page(session: Session) -> None:
    page = parse(render_session(session, cfg_for=hand_cfg))
    anchors = {url[1:] for url in page.urls if url.startswith("#")}
    assert anchors and anchors <= page.ids


def test_user_text_is_escaped(session: Session) -> None:
    hostile = session.model_copy(
        update={"task": session.task.model_copy(update={"description": "<script>alert(1)</script>"})}
    )
    html = render_session(hostile, cfg_for=hand_cfg)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_page_shows_blocks_verdicts_paths_diffs_and_costs(session: Session) -> None:
    html = render_session(session, cfg_for=hand_cfg)
    assert html.count('class="card block nav fold') == 4 + 3
    assert 'data-verdict="wrong"' in html and 'data-verdict="correct"' in html
    assert "The condition n % 2 == 1 selects odd numbers" in html
    assert 'class="loop"' in html and "×2" in html
    assert 'class="dr add"' in html and 'class="dr del"' in html
    assert "1,713" in html and "26.9 s" in html


def test_write_session_report_creates_the_folder_and_renders_without_a_cfg(
    session: Session, tmp_path: Path
) -> None:
    out = write_session_report(session, tmp_path / "deep" / "report.html")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_numbers_read_naturally() -> None:
    assert [format_seconds(v) for v in (0.35, 4.24, 185.0)] == ["350 ms", "4.2 s", "3 min 05 s"]
    assert format_tokens(12345) == "12,345"


def test_a_quick_fix_is_shown_as_made_without_the_model(session: Session) -> None:
    first = session.attempts[0].model_copy(update={"note": "added `import math`: <the program> uses `math`"})
    page = render_session(
        session.model_copy(update={"attempts": [first, *session.attempts[1:]]}), cfg_for=hand_cfg
    )
    assert "Quick fix, no model call: added `import math`: &lt;the program&gt; uses `math`." in page
