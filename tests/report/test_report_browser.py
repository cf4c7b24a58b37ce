"""The report pages in a real browser: Debian's headless chromium driven by Playwright, from file:// URLs.

Screenshots land in ``test-artifacts/`` at the repository root (gitignored) for a person to look at.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_samples import make_run

from tracefix.records import Session
from tracefix.report.html import write_session_report
from tracefix.report.run import write_run_report

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("no chromium: install Debian's package (apt-get install chromium; scripts/setup.sh does)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extra")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


class Page:
    """A browser tab that records console errors, page errors and every request it makes."""

    def __init__(self, browser: Any) -> None:
        self.tab = browser.new_page(viewport={"width": 1280, "height": 900})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.tab.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.tab.on("pageerror", lambda error: self.errors.append(str(error)))
        self.tab.on("request", lambda request: self.requests.append(request.url))

    def open(self, path: Path) -> Any:
        self.tab.goto(path.resolve().as_uri())
        return self.tab


@pytest.fixture
def page(browser: Any) -> Iterator[Page]:
    tab = Page(browser)
    yield tab
    tab.tab.close()


@pytest.fixture
def session_page(session: Session, tmp_path: Path) -> Path:
    return write_session_report(session, tmp_path / "session.html")


def is_open(tab: Any, selector: str) -> bool:
    return bool(tab.locator(f"{selector} > .fold-body").is_visible())


def test_the_session_page_loads_from_file_with_no_errors_and_no_network(
    page: Page, session_page: Path
) -> None:
    tab = page.open(session_page)
    tab.wait_for_load_state("load")
    assert page.errors == []
    assert page.requests and all(url.startswith("file://") for url in page.requests)


def test_blocks_and_coloured_verdicts_are_present(page: Page, session_page: Path) -> None:
    tab = page.open(session_page)
    assert tab.locator(".block").count() == 7
    assert tab.locator('#attempt-1 .block[data-verdict="wrong"]').count() == 2
    wrong = tab.locator("#attempt-1-b2 .badge.wrong")
    assert wrong.inner_text() == "wrong"
    assert wrong.evaluate("e => getComputedStyle(e).color") == "rgb(192, 57, 43)"
    assert "selects odd numbers" in tab.locator("#attempt-1-b2 .expl").inner_text()
    assert tab.locator("#attempt-1 .cols .code .ln.blk.first").count() == 5


def test_clicking_a_block_heading_expands_and_collapses_it(page: Page, session_page: Path) -> None:
    tab = page.open(session_page)
    assert not is_open(tab, "#attempt-1-b2")
    tab.click("#attempt-1-b2 > .fold-head")
    assert is_open(tab, "#attempt-1-b2")
    assert tab.get_attribute("#attempt-1-b2 > .fold-head", "aria-expanded") == "true"
    assert "total" in tab.locator("#attempt-1-b2 .visit").first.inner_text()
    tab.click("#attempt-1-b2 > .fold-head")
    assert not is_open(tab, "#attempt-1-b2")


def test_the_keyboard_moves_between_blocks_and_expands_them(page: Page, session_page: Path) -> None:
    tab = page.open(session_page)
    for _ in range(4):  # initial program, attempt 1, block 0, block 2
        tab.keyboard.press("j")
    assert tab.evaluate("document.activeElement.closest('.nav').id") == "attempt-1-b2"
    tab.keyboard.press("Enter")
    assert is_open(tab, "#attempt-1-b2")
    tab.keyboard.press("k")
    assert tab.evaluate("document.activeElement.closest('.nav').id") == "attempt-1-b0"
    tab.keyboard.press(" ")
    assert is_open(tab, "#attempt-1-b0")
    tab.keyboard.press("c")
    assert not is_open(tab, "#attempt-1")
    tab.keyboard.press("e")
    assert is_open(tab, "#attempt-2-b3")
    tab.keyboard.press("?")
    assert tab.locator("#help").is_visible()
    tab.keyboard.press("Escape")
    assert not tab.locator("#help").is_visible()


def test_a_block_on_the_execution_path_opens_its_card(page: Page, session_page: Path) -> None:
    tab = page.open(session_page)
    tab.locator("#attempt-1 .path .chip", has_text="B3").first.click()
    assert is_open(tab, "#attempt-1-b3")


def test_print_shows_every_block_expanded(page: Page, session_page: Path) -> None:
    tab = page.open(session_page)
    tab.emulate_media(media="print")
    assert is_open(tab, "#attempt-1-b4")


def test_a_screenshot_of_the_session_page_is_saved(page: Page, session_page: Path) -> None:
    tab = page.open(session_page)
    tab.click("#attempt-1-b2 > .fold-head")
    tab.click("#attempt-2-b3 > .fold-head")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report-session.png"
    tab.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    assert page.errors == []


def test_the_run_page_loads_charts_and_links_to_session_pages(page: Page, tmp_path: Path) -> None:
    pages = write_run_report(make_run(tmp_path / "run"), tmp_path / "site" / "report.html")
    tab = page.open(pages[0])
    assert tab.locator(".chart svg").count() == 3
    assert tab.locator(".stat").count() == 2
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / "report-run.png"), full_page=True)
    tab.locator("table.problems a", has_text="repaired").first.click()
    tab.wait_for_load_state("load")
    assert tab.url.endswith("/sessions/ldb/HumanEval_2.html")
    assert tab.locator(".block").count() == 7
    assert page.errors == []
    assert all(url.startswith("file://") for url in page.requests)
