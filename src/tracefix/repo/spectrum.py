"""Spectrum-based fault localization: which function of the project a failing test is most likely about.

A repository's own test file is evidence a single failing test is not: the lines the failing tests run and the
passing tests do not are where a bug most likely is. Each project line gets the Ochiai score

    ochiai(line) = failed(line) / sqrt(failed_total * (failed(line) + passed(line)))

(Abreu et al. 2007; the best of the classic formulas in Pearson et al., ICSE 2017, "Evaluating and improving
fault localization"), where ``failed(line)`` and ``passed(line)`` count the failing and passing tests that ran
it. A function scores as its most suspicious line. Only functions the debugged test itself ran are candidates
(tracefix traces that test). Functions run by exactly the same tests tie; ties go to the caller's ``prefer``
order (the failure's traceback, innermost first, then the functions the test called directly), then to the
function run by fewer passing tests.

>>> rank(spectrum, {"t.py::test_a": False, "t.py::test_b": True}, "/repo", "t.py::test_a")  # doctest: +SKIP
[Suspect(file='pkg/m.py', qualname='area', score=1.0, line=12, failed=1, passed=0)]
"""

from __future__ import annotations

import ast
import math
import os
from dataclasses import dataclass
from pathlib import Path

from tracefix.repo.run import Spectrum


@dataclass(frozen=True)
class Suspect:
    """A function of the project and its most suspicious line."""

    file: str
    """Relative to the repository root."""
    qualname: str
    """``name`` or ``Class.method``."""
    score: float
    """The Ochiai score of ``line``."""
    line: int
    failed: int
    """Failing tests that ran ``line``."""
    passed: int
    """Passing tests that ran ``line``."""
    failed_total: int
    passed_total: int

    def why(self) -> str:
        """The evidence in a sentence."""
        return (
            f"line {self.line} ran in {self.failed} of the test file's {self.failed_total} failing tests and "
            f"{self.passed} of its {self.passed_total} passing tests"
        )


def functions(source: str) -> list[tuple[str, int, int]]:
    """``(qualname, first line, last line)`` of the top-level functions and the methods of top-level classes
    (the functions tracefix can rewrite), decorators excluded."""
    found = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.append((node.name, node.lineno, node.end_lineno or node.lineno))
        elif isinstance(node, ast.ClassDef):
            found.extend(
                (f"{node.name}.{item.name}", item.lineno, item.end_lineno or item.lineno)
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            )
    return found


def ochiai(failed: int, passed: int, failed_total: int) -> float:
    """The Ochiai suspiciousness of a line run by ``failed`` failing and ``passed`` passing tests."""
    if failed == 0 or failed_total == 0:
        return 0.0
    return failed / math.sqrt(failed_total * (failed + passed))


@dataclass(frozen=True)
class LineCounts:
    """The tests of a spectrum run that ran one line."""

    line: int
    failed: int
    passed: int
    failed_total: int
    passed_total: int

    @property
    def score(self) -> float:
        return ochiai(self.failed, self.passed, self.failed_total)


def line_counts(
    spectrum: Spectrum, passed: dict[str, bool], file: str, first: int, last: int
) -> list[LineCounts]:
    """The lines of ``file`` (a real path) from ``first`` to ``last`` that some test ran, in line order, with
    the failing and passing tests of ``passed`` (node id -> whether it passed) that ran each."""
    index = {nodeid: i for i, nodeid in enumerate(spectrum.tests)}
    fail_ids = {index[n] for n, ok in passed.items() if not ok and n in index}
    pass_ids = {index[n] for n, ok in passed.items() if ok and n in index}
    return [
        LineCounts(
            line,
            len(fail_ids.intersection(tests)),
            len(pass_ids.intersection(tests)),
            len(fail_ids),
            len(pass_ids),
        )
        for line, tests in sorted(spectrum.lines.get(file, {}).items())
        if first <= line <= last
    ]


def rank(
    spectrum: Spectrum,
    passed: dict[str, bool],
    root: str,
    debugged: str,
    *,
    prefer: list[tuple[str, str]] | None = None,
) -> list[Suspect]:
    """The functions ``debugged`` ran, most suspicious first (see the module docstring).

    ``passed`` maps node ids to whether the test passed (skipped tests are left out of it); ``prefer`` lists
    ``(real path, qualname)`` of functions to rank first among equals."""
    root = os.path.realpath(root)
    if debugged not in spectrum.tests or passed.get(debugged) is not False:
        return []
    mine = spectrum.tests.index(debugged)
    order: dict[tuple[str, str], int] = {}
    for function in prefer or []:
        order.setdefault(function, len(order))
    ranked: list[tuple[tuple[float, int, int, int], Suspect]] = []
    for file, lines in spectrum.lines.items():
        try:
            spans = functions(Path(file).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, SyntaxError):
            continue
        for qualname, first, last in spans:
            if not any(mine in tests for line, tests in lines.items() if first <= line <= last):
                continue
            counts = line_counts(spectrum, passed, file, first, last)
            best = max(counts, key=lambda c: (c.score, -c.passed, -c.line))
            if best.score == 0.0:
                continue
            suspect = Suspect(
                os.path.relpath(file, root), qualname, best.score, best.line, best.failed, best.passed,
                best.failed_total, best.passed_total,
            )  # fmt: skip
            preferred = order.get((file, qualname), len(order))
            ranked.append(((-suspect.score, preferred, suspect.passed, len(ranked)), suspect))
    ranked.sort(key=lambda pair: pair[0])
    return [suspect for _, suspect in ranked]
