"""The tracefix pytest plugin (entry point ``pytest11``): inert unless ``--tracefix`` or ``--tracefix-fix`` is given.

``pytest --tracefix`` prints, after the run, for each failing test the block-level trace of the function under
test (no model needed). ``pytest --tracefix-fix`` also asks the configured model (``--tracefix-model`` or
``$TRACEFIX_MODEL``, default the embedded one) for a fix and prints it as a diff; it never writes files.

Each failing test is run again in tracefix's sandboxed child (``tracefix.repo.run``), once to find the function
under test and once to trace it, so this costs a few seconds per failing test. Nothing is imported from tracefix
beyond this module unless an option is given.
"""

from __future__ import annotations

from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the plugin's options (doing nothing else)."""
    group = parser.getgroup("tracefix", "block-level traces of failing tests")
    group.addoption(
        "--tracefix", action="store_true", help="print the block trace of each failing test's function"
    )
    group.addoption(
        "--tracefix-fix", action="store_true", help="also propose a fix for each failing test (uses a model)"
    )
    group.addoption("--tracefix-model", default=None, help="model spec for --tracefix-fix")
    group.addoption("--tracefix-max", type=int, default=5, help="look at most at this many failing tests")


def _enabled(config: pytest.Config) -> bool:
    return bool(config.getoption("tracefix", False) or config.getoption("tracefix_fix", False))


def pytest_configure(config: pytest.Config) -> None:
    """Register the collecting plugin only when an option asks for it."""
    if _enabled(config):
        config.pluginmanager.register(TracefixReporter(config), "tracefix-reporter")


class TracefixReporter:
    """Collects the failing tests of the run and explains them in the terminal summary."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.failing: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Remember failing tests (the call phase only: a setup error is not a function's bug)."""
        if report.when == "call" and report.failed and report.nodeid not in self.failing:
            self.failing.append(report.nodeid)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Print a trace (and with ``--tracefix-fix`` a proposed diff) for each failing test."""
        if not self.failing:
            return
        config = self.config
        limit = max(0, int(config.getoption("tracefix_max")))
        terminalreporter.section("tracefix")
        model = _model(config) if config.getoption("tracefix_fix") else None
        spectra: dict[str, Any] = {}  # one spectrum run per test file
        try:
            for nodeid in self.failing[:limit]:
                for line in _explain(str(config.rootpath), nodeid, model, spectra):
                    terminalreporter.write_line(line)
        finally:
            if model is not None:
                model.close()
        if len(self.failing) > limit:
            more = len(self.failing) - limit
            terminalreporter.write_line(f"({more} more failing tests not traced; see --tracefix-max)")


# The imports below are lazy: this plugin loads in every pytest run of an environment where tracefix is
# installed, and importing the repository mode and the model resolver there costs 0.24 s (0.16 s -> 0.40 s,
# measured) on runs that never pass --tracefix.


def _model(config: pytest.Config) -> Any:
    from tracefix.models.resolve import load_model

    return load_model(config.getoption("tracefix_model"))


def _explain(root: str, nodeid: str, model: Any, spectra: dict[str, Any]) -> list[str]:
    from tracefix.cli.trace import describe
    from tracefix.repo.fix import debug_found, examine, trace_found
    from tracefix.repo.locate import RepoError

    lines = [f"--- {nodeid}"]
    try:
        found = examine(root, nodeid, spectra=spectra)
    except RepoError as exc:
        return [*lines, f"no trace: {exc}"]
    if found.result.passed:
        return [*lines, "passes when run again on its own (order-dependent or flaky?): not traced"]
    lines.append(f"function under test: {found.target} (found by {found.target.found_by()})")
    trace = trace_found(found)
    lines += describe(trace, found.cfg, found.source).splitlines()
    if model is not None:
        fix = debug_found(found, model)
        if fix.diff:
            status = (
                "passes its test file"
                if fix.passes
                else "still fails: " + "; ".join(fix.check_failures)[:300]
            )
            lines += [f"proposed fix ({status}):", *fix.diff.rstrip("\n").splitlines()]
        else:
            lines.append(f"no fix proposed ({fix.session.outcome})")
    return lines
