"""A pytest plugin for the real-bugs benchmark (loaded with ``-p realbugs_collect``, never by tracefix).

It appends one JSON object per line to the file named by ``REALBUGS_EVENTS`` and flushes each, so a run
killed by its wall timeout still says which test was running:

- ``{"start": nodeid}`` when a test starts;
- ``{"end": nodeid, "outcome": ..., "message": ..., "subtest": ...}`` when it ends. The outcome is the worst
  of all its reports, subtests included (a ``unittest`` ``subTest`` that fails makes its test ``failed``
  even though pytest reports the test itself as passed: then ``subtest`` is true); ``timeout`` when
  pytest-timeout stopped it;
- ``{"collect_error": nodeid, "message": ...}`` for a file that failed to import.

With ``REALBUGS_COVER`` (a directory) it also records which lines of the files under that directory each
test file executed, and writes ``{"cover": {test_file: {source_file: [lines]}}}`` at the end.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from typing import Any

_RANK = {"skipped": 0, "passed": 1, "failed": 2, "error": 3, "timeout": 4}


class Collector:
    def __init__(self, path: str, cover: str | None) -> None:
        self.out = open(path, "a", encoding="utf-8")  # noqa: SIM115 (open for the whole session)
        self.outcomes: dict[str, tuple[str, str]] = {}
        self.durations: dict[str, float] = {}
        self.own: dict[str, str] = {}
        """The worst outcome of a test's own reports (its subtests' left out)."""
        self.cover_root = os.path.realpath(cover) + os.sep if cover else None
        self.cover: dict[str, set[tuple[str, int]]] = {}
        self.lines: set[tuple[str, int]] | None = None
        self.files: dict[str, str | None] = {}
        """co_filename -> its real path when it is under the covered directory, else None."""

    def emit(self, event: dict[str, Any]) -> None:
        self.out.write(json.dumps(event) + "\n")
        self.out.flush()

    # -- outcomes ---------------------------------------------------------------------------------

    def pytest_collectreport(self, report: Any) -> None:
        if report.failed:
            self.emit({"collect_error": report.nodeid, "message": str(report.longrepr)[-1500:]})

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        self.outcomes[nodeid] = ("skipped", "")
        self.emit({"start": nodeid})
        if self.cover_root is not None:
            self.lines = self.cover.setdefault(nodeid.split("::")[0], set())

    def pytest_runtest_logreport(self, report: Any) -> None:
        if type(report).__name__ != "SubtestReport":
            self.durations[report.nodeid] = self.durations.get(report.nodeid, 0.0) + report.duration
        if report.passed and report.when != "call":
            return
        if report.failed:
            text = str(report.longrepr)
            if "Failed: Timeout" in text or "+ Timeout +" in text:
                outcome = "timeout"
            else:
                outcome = "failed" if report.when == "call" else "error"
        elif report.skipped:
            outcome = "skipped"
        else:
            outcome = "passed"
        if type(report).__name__ != "SubtestReport":
            own = self.own.get(report.nodeid, "skipped")
            self.own[report.nodeid] = outcome if _RANK[outcome] >= _RANK[own] else own
        current = self.outcomes.get(report.nodeid, ("skipped", ""))
        if _RANK[outcome] > _RANK[current[0]] or (outcome == current[0] and not current[1]):
            message = "" if outcome in ("passed", "skipped") else _message(report)
            self.outcomes[report.nodeid] = (outcome, message)

    def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> None:
        outcome, message = self.outcomes.get(nodeid, ("skipped", ""))
        subtest = (
            _RANK[outcome] >= _RANK["failed"] and _RANK[self.own.get(nodeid, "skipped")] < _RANK["failed"]
        )
        duration = round(self.durations.get(nodeid, 0.0), 3)
        self.emit(
            {"end": nodeid, "outcome": outcome, "message": message, "subtest": subtest, "duration": duration}
        )

    # -- coverage ---------------------------------------------------------------------------------

    def pytest_sessionstart(self, session: Any) -> None:
        if self.cover_root is not None:
            sys.settrace(self._global)
            threading.settrace(self._global)

    def pytest_sessionfinish(self, session: Any, exitstatus: Any) -> None:
        if self.cover_root is None:
            return
        sys.settrace(None)
        threading.settrace(None)  # type: ignore[arg-type]
        data = {
            test_file: {source: sorted(lines) for source, lines in _by_file(pairs).items()}
            for test_file, pairs in self.cover.items()
        }
        self.emit({"cover": data})

    def _global(self, frame: Any, event: str, arg: Any) -> Any:
        if event != "call" or self.lines is None:
            return None
        filename = frame.f_code.co_filename
        if filename not in self.files:
            real = os.path.realpath(filename)
            self.files[filename] = real if real.startswith(self.cover_root or "\0") else None
        real = self.files[filename]
        if real is None:
            return None
        lines = self.lines

        def local(frame: Any, event: str, arg: Any) -> Any:
            if event == "line":
                lines.add((real, frame.f_lineno))
            return local

        lines.add((real, frame.f_lineno))
        return local


def _by_file(pairs: set[tuple[str, int]]) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for filename, line in pairs:
        out.setdefault(filename, set()).add(line)
    return out


def _message(report: Any) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    return " ".join(text.split())[:300]


def pytest_configure(config: Any) -> None:
    path = os.environ.get("REALBUGS_EVENTS")
    if path:
        config.pluginmanager.register(Collector(path, os.environ.get("REALBUGS_COVER")), "realbugs-collector")
