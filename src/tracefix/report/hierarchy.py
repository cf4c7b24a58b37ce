"""The report's view of a hierarchical attempt: the call tree, each function's real calls and their verdicts."""

from __future__ import annotations

from dataclasses import dataclass, field

from tracefix.records import CallCheck, Hierarchy, SubfunctionCheck


@dataclass(frozen=True)
class CallRow:
    """One judged call: what it did, what the judging replies said, and the unit test it made."""

    text: str
    verdict: str
    """"wrong" (agreed), "disputed" (some said wrong, not enough agreed), "ok" or "unanswered"."""
    votes: str
    test: str | None


@dataclass(frozen=True)
class FunctionView:
    name: str
    depth: int
    """Its depth in the call tree drawn from the entry point (0: the entry point)."""
    recorded: int | None
    """Calls of it the failing test made (None: not recorded for it)."""
    rows: list[CallRow] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)
    fixes: int = 0
    debugged: bool = False


@dataclass(frozen=True)
class HierarchyView:
    decomposition: str | None
    functions: list[FunctionView]
    debugged: str | None
    notes: list[str]
    cut: list[str]
    recorded_test: str | None


def hierarchy_view(record: Hierarchy) -> HierarchyView:
    checks = {check.function: check for check in record.checked}
    counts = record.calls.counts if record.calls is not None else {}
    functions = [_function(name, depth, checks.get(name), counts, record) for name, depth in _drawn(record)]
    return HierarchyView(
        decomposition=record.decomposition,
        functions=functions,
        debugged=record.debugged,
        notes=list(record.notes),
        cut=list(record.calls.cut) if record.calls is not None else [],
        recorded_test=record.calls.test if record.calls is not None else None,
    )


def _drawn(record: Hierarchy) -> list[tuple[str, int]]:
    """The tree from the entry point, depth first, each function once (where it is first reached)."""
    drawn: list[tuple[str, int]] = []
    seen: set[str] = set()

    def visit(name: str, depth: int) -> None:
        seen.add(name)
        drawn.append((name, depth))
        for callee in record.edges.get(name, []):
            if callee not in seen:
                visit(callee, depth + 1)

    if record.entry in record.edges:
        visit(record.entry, 0)
    drawn.extend((name, 0) for name in record.order if name not in seen)
    return drawn


def _function(
    name: str, depth: int, check: SubfunctionCheck | None, counts: dict[str, int], record: Hierarchy
) -> FunctionView:
    recorded = counts.get(name) if record.calls is not None else None
    if check is None:
        return FunctionView(name, depth, recorded, debugged=record.debugged == name)
    return FunctionView(
        name,
        depth,
        recorded if recorded is not None else (check.recorded or None),
        [_row(c) for c in check.checks],
        list(check.tests),
        check.fixes,
        record.debugged == name,
    )


def _row(check: CallCheck) -> CallRow:
    if check.agreed:
        verdict = "wrong"
    elif check.wrong_votes:
        verdict = "disputed"
    elif check.answers:
        verdict = "ok"
    else:
        verdict = "unanswered"
    said = f", should be {check.expected}" if check.expected is not None else ""
    votes = f"{check.wrong_votes} of {check.samples} replies wrong{said}; {check.answers} answered"
    return CallRow(check.shown, verdict, votes, check.test)
