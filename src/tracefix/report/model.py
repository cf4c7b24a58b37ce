"""The view model of a debugging session: everything the session page shows, computed from the records.

Templates only loop over these values and print them; every decision (which blocks to show, what a state was
before a block ran, how a loop collapses, what changed between programs) is made here and unit-tested.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from tracefix.records import CFG, Attempt, Message, Reply, Session, TestResult, Trace, Usage, Verdict, Visit
from tracefix.report.code import CfgFor, CodeLine, code_lines, default_cfg_for, lines_label
from tracefix.report.diff import Diff, diff_programs
from tracefix.report.hierarchy import HierarchyView, hierarchy_view
from tracefix.report.loops import natural_loops
from tracefix.report.path import PathNode, blocks_in, collapse_visits


@dataclass(frozen=True)
class StateRow:
    """One variable before and after a block ran (None: the variable did not exist then, or is unknown)."""

    name: str
    before: str | None
    after: str | None
    changed: bool


@dataclass(frozen=True)
class VisitView:
    seq: int
    occurrence: int
    frame: int
    depth: int
    rows: list[StateRow]
    before_known: bool
    """False on the first recorded visit of a call: the state before is the call's arguments, not recorded."""
    gap_before: bool
    """True when visits between the previous recorded state and this one were dropped by the tracer."""
    next_block: int | None = None
    """The block that ran next in the same call, when recorded (None: the call returned, or it was dropped)."""
    next_label: str = ""
    """The CFG's label of the edge taken to ``next_block`` ("true", "false", "loop", ...), when known."""


@dataclass(frozen=True)
class BlockView:
    id: int
    kind: str
    lines_label: str
    code: list[CodeLine]
    visits_total: int
    visits: list[VisitView]
    """The recorded visits shown: all of them, or the first and last few (see MAX_CARD_VISITS)."""
    visits_elided: int
    """Recorded visits left out of the card between the first and the last few."""
    verdict: Verdict | None
    """The block's verdict: the first "wrong" one when the model judged several visits of it."""
    verdicts: list[Verdict]
    """Every verdict on this block (one per judged visit in LDB's paper format, where loops repeat blocks)."""
    status: str
    shown: bool


@dataclass(frozen=True)
class ResultView:
    test: str
    passed: bool
    detail: str
    actual: str | None


@dataclass(frozen=True)
class ReplyView:
    text: str
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    cached: bool
    finish_reason: str | None


@dataclass(frozen=True)
class TraceView:
    test: str
    passed: bool
    error: str | None
    return_value: str | None
    total_visits: int
    kept_visits: int
    truncated: bool
    cut: list[str]
    calls: int
    max_depth: int
    duration_s: float
    backend: str


@dataclass(frozen=True)
class AttemptView:
    number: int
    anchor: str
    status: str
    """"pass" (all visible tests pass), "fail" (a new program that still fails) or "nofix" (no new program)."""
    summary: str
    program: list[CodeLine]
    statuses: dict[int, str]
    """How each block is drawn (see :func:`block_statuses`)."""
    targets: dict[int, str]
    """Where a link to a block goes: its card when it has one, else its first line in the program listing."""
    notes: dict[int, str]
    """Hover text of each judged block in the program listing: its verdict and explanation."""
    wrong_blocks: list[int]
    """Blocks the model judged wrong, in block order (for the attempt's heading)."""
    trace: TraceView | None
    path: list[PathNode]
    blocks: list[BlockView]
    unplaced_verdicts: list[Verdict]
    """Verdicts on blocks the report cannot place (not in the CFG and never visited)."""
    verdict_parse: str
    diff: Diff | None
    failure: str | None
    note: str | None
    tests: list[ResultView]
    passed: int
    usage: Usage
    duration_s: float
    replies: list[ReplyView]
    messages: list[Message]
    hierarchy: HierarchyView | None = None


@dataclass(frozen=True)
class StepRow:
    """One row of the cost table: a model call or a whole attempt."""

    label: str
    anchor: str
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    note: str
    total: bool = False


@dataclass(frozen=True)
class SessionView:
    title: str
    task_id: str
    entry: str
    description: str
    strategy: str
    level: str
    model: str
    outcome: str
    outcome_label: str
    error: str | None
    cause: str | None
    cause_by: str | None
    usage: Usage
    calls: int
    duration_s: float
    version: str
    initial_tests: list[ResultView]
    initial_program: list[CodeLine]
    attempts: list[AttemptView]
    final_program: list[CodeLine]
    final_diff: Diff
    steps: list[StepRow] = field(default_factory=list)


MAX_CARD_VISITS = 12
"""A block card shows at most this many visits: the first and the last half of them."""

OUTCOME_LABELS = {
    "fixed": "fixed",
    "already_passing": "already passing",
    "broken_tests": "only broken tests fail",
    "failed": "not fixed",
    "error": "error",
}


def session_view(session: Session, cfg_for: CfgFor = default_cfg_for) -> SessionView:
    """Compute the session page's view model; ``cfg_for`` builds each traced program's CFG."""
    entry = session.task.entry_point
    attempts = []
    for index, (attempt, program) in enumerate(
        zip(session.attempts, starting_programs(session), strict=True)
    ):
        traced = traced_program(attempt, program)
        function = attempt.trace.function if attempt.trace is not None else entry
        cfg = cfg_for(traced, function) if attempt.trace is not None else None
        attempts.append(attempt_view(index + 1, attempt, traced, cfg))
    return SessionView(
        title=f"{session.task.task_id} · {entry}",
        task_id=session.task.task_id,
        entry=entry,
        description=session.task.description,
        strategy=session.strategy,
        level=session.level,
        model=session.model,
        outcome=session.outcome,
        outcome_label=OUTCOME_LABELS.get(session.outcome, session.outcome),
        error=session.error,
        cause=session.cause,
        cause_by=session.cause_by,
        usage=session.usage,
        calls=session.calls,
        duration_s=session.duration_s,
        version=session.tracefix_version,
        initial_tests=[result_view(result) for result in session.initial_results],
        initial_program=code_lines(session.initial_program),
        attempts=attempts,
        final_program=code_lines(session.final_program),
        final_diff=diff_programs(session.initial_program, session.final_program),
        steps=step_rows(attempts, session),
    )


def traced_program(attempt: Attempt, start: str) -> str:
    """The program the attempt traced: where it started, or the hierarchical strategy's decomposition of it
    when a subfunction of that was debugged."""
    record = attempt.hierarchy
    if record is not None and record.decomposed is not None and record.debugged != record.entry:
        return record.decomposed
    return start


def starting_programs(session: Session) -> list[str]:
    """The program each attempt started from (the one it traced and the model was asked to fix).

    Recorded by the engine in ``Attempt.start_program``; for sessions written before that field existed, the
    loop engine's rule (``strategies/engine.py``): the best program so far, ties going to the newest.
    """
    best, best_passed = session.initial_program, _passed(session.initial_results)
    starts = []
    for attempt in session.attempts:
        starts.append(attempt.start_program if attempt.start_program is not None else best)
        if attempt.program is not None and _passed(attempt.test_results) >= best_passed:
            best, best_passed = attempt.program, _passed(attempt.test_results)
    return starts


def _passed(results: Sequence[TestResult]) -> int:
    return sum(result.passed for result in results)


def attempt_view(number: int, attempt: Attempt, program: str, cfg: CFG | None) -> AttemptView:
    """One attempt: the traced program (``program``, the one this attempt started from) and what came of it."""
    trace = attempt.trace
    visits = trace.visits if trace is not None else []
    statuses = block_statuses(trace, attempt.shown_blocks, attempt.verdicts)
    counts = trace.block_counts if trace is not None else {}
    blocks = block_views(attempt, cfg, program, statuses)
    placed = {block.id for block in blocks}
    tests = [result_view(result) for result in attempt.test_results]
    passed = sum(test.passed for test in tests)
    status = _attempt_status(attempt, tests)
    return AttemptView(
        number=number,
        anchor=f"attempt-{number}",
        status=status,
        summary=_attempt_summary(attempt, status, passed, len(tests)),
        program=code_lines(program, cfg, statuses, counts) if trace is not None else [],
        statuses=statuses,
        targets=link_targets(f"attempt-{number}", blocks, code_lines(program, cfg)),
        notes={block: verdict_note(v) for block, v in main_verdicts(attempt.verdicts).items()},
        wrong_blocks=sorted(block for block, v in main_verdicts(attempt.verdicts).items() if not v.correct),
        trace=trace_view(trace) if trace is not None else None,
        path=collapse_visits(visits, natural_loops(cfg) if cfg is not None else None),
        blocks=blocks,
        unplaced_verdicts=[v for v in attempt.verdicts if v.block not in placed],
        verdict_parse=attempt.verdict_parse,
        diff=diff_programs(program, attempt.program) if attempt.program is not None else None,
        failure=attempt.failure,
        note=attempt.note,
        tests=tests,
        passed=passed,
        usage=attempt.usage,
        duration_s=attempt.duration_s,
        replies=[_reply_view(reply) for reply in attempt.replies],
        messages=list(attempt.messages),
        hierarchy=hierarchy_view(attempt.hierarchy) if attempt.hierarchy is not None else None,
    )


def block_statuses(trace: Trace | None, shown: Sequence[int], verdicts: Sequence[Verdict]) -> dict[int, str]:
    """How each block is drawn: judged "wrong" (by any of its verdicts) or "correct", "shown" to the model,
    or just "ran"."""
    statuses = {block: "ran" for block, count in (trace.block_counts if trace else {}).items() if count}
    if trace is not None:
        statuses.update({visit.block: "ran" for visit in trace.visits})
    statuses.update({block: "shown" for block in shown})
    statuses.update(
        {block: "correct" if v.correct else "wrong" for block, v in main_verdicts(verdicts).items()}
    )
    return statuses


def link_targets(anchor: str, blocks: Sequence[BlockView], program: Sequence[CodeLine]) -> dict[int, str]:
    """Element ids to jump to for each block: the block's card, or the first line of the block's code."""
    targets = {
        line.block: f"{anchor}-L{line.number}" for line in program if line.first and line.block is not None
    }
    targets.update({block.id: f"{anchor}-b{block.id}" for block in blocks})
    return targets


def verdict_note(verdict: Verdict) -> str:
    """``"wrong: <explanation>"`` or ``"correct"``: a verdict in one line."""
    word = "correct" if verdict.correct else "wrong"
    return f"{word}: {verdict.explanation}" if verdict.explanation else word


def main_verdicts(verdicts: Sequence[Verdict]) -> dict[int, Verdict]:
    """Each judged block's verdict: its first "wrong" one, else its first one."""
    main: dict[int, Verdict] = {}
    for verdict in verdicts:
        current = main.get(verdict.block)
        if current is None or (current.correct and not verdict.correct):
            main[verdict.block] = verdict
    return main


def shown_block_ids(attempt: Attempt) -> list[int]:
    """The blocks that get a card, in the order they first ran: those shown to the model or judged by it;
    every block that ran when the strategy neither showed nor judged any (the whole trace was the evidence)."""
    visited = blocks_in(collapse_visits(attempt.trace.visits)) if attempt.trace else []
    wanted = set(attempt.shown_blocks) | {verdict.block for verdict in attempt.verdicts}
    if not wanted:
        return visited
    ordered = [block for block in visited if block in wanted]
    return ordered + sorted(wanted - set(ordered))


def block_views(attempt: Attempt, cfg: CFG | None, program: str, statuses: dict[int, str]) -> list[BlockView]:
    """A card per shown block: its code, every recorded visit's states before and after, and the verdict."""
    if attempt.trace is None:
        return []
    trace = attempt.trace
    known = {block.id for block in cfg.blocks} if cfg is not None else set()
    visited = {visit.block for visit in trace.visits}
    verdicts = main_verdicts(attempt.verdicts)
    edges = {(edge.source, edge.target): edge.label for edge in cfg.edges} if cfg is not None else {}
    states = visit_views(trace.visits, edges)
    lines = code_lines(program, cfg, statuses, trace.block_counts)
    views = []
    for block_id in shown_block_ids(attempt):
        if block_id not in known and block_id not in visited:
            continue
        block = cfg.block(block_id) if block_id in known and cfg is not None else None
        views.append(
            BlockView(
                id=block_id,
                kind=block.kind if block else "",
                lines_label=lines_label(block.lines) if block else "lines unknown",
                code=[line for line in lines if line.block == block_id],
                visits_total=trace.block_counts.get(block_id, len(states.get(block_id, []))),
                visits=first_and_last(states.get(block_id, [])),
                visits_elided=max(0, len(states.get(block_id, [])) - MAX_CARD_VISITS),
                verdict=verdicts.get(block_id),
                verdicts=[verdict for verdict in attempt.verdicts if verdict.block == block_id],
                status=statuses.get(block_id, "idle"),
                shown=block_id in attempt.shown_blocks,
            )
        )
    return views


def first_and_last(visits: list[VisitView], limit: int = MAX_CARD_VISITS) -> list[VisitView]:
    """All visits, or the first and last ``limit // 2`` when there are more than ``limit``."""
    if len(visits) <= limit:
        return visits
    half = limit // 2
    return [*visits[:half], *visits[-half:]]


def visit_views(
    visits: Sequence[Visit], edge_labels: Mapping[tuple[int, int], str] | None = None
) -> dict[int, list[VisitView]]:
    """Every recorded visit with the state before it (the previous recorded state of the same call) and the
    block that ran next in that call (for an ``if`` or a loop header: the branch it took, named by the CFG edge
    label in ``edge_labels`` when given)."""
    labels = edge_labels or {}
    ordered = sorted(visits, key=lambda v: v.seq)
    kept = {visit.seq for visit in ordered}
    previous: dict[int, Visit | None] = {}
    following: dict[int, int | None] = {}
    last: dict[int, Visit] = {}
    for visit in ordered:
        before = last.get(visit.frame)
        previous[visit.seq] = before
        if before is not None:
            following[before.seq] = None if _dropped_between(before, visit, kept) else visit.block
        last[visit.frame] = visit
    views: dict[int, list[VisitView]] = {}
    for visit in ordered:
        before = previous[visit.seq]
        views.setdefault(visit.block, []).append(
            VisitView(
                seq=visit.seq,
                occurrence=visit.occurrence,
                frame=visit.frame,
                depth=visit.depth,
                rows=state_rows(
                    before.state if before else {}, visit.state, visit.changed, known=bool(before)
                ),
                before_known=before is not None,
                gap_before=before is not None and _dropped_between(before, visit, kept),
                next_block=following.get(visit.seq),
                next_label=_edge_label(labels, visit.block, following.get(visit.seq)),
            )
        )
    return views


def _edge_label(labels: Mapping[tuple[int, int], str], source: int, target: int | None) -> str:
    return labels.get((source, target), "") if target is not None else ""


def _dropped_between(first: Visit, second: Visit, kept: set[int]) -> bool:
    return any(seq not in kept for seq in range(first.seq + 1, second.seq))


def state_rows(
    before: dict[str, str], after: dict[str, str], changed: Sequence[str], *, known: bool = True
) -> list[StateRow]:
    """Variables before and after, in the order they appeared; a variable changed if the tracer says so or
    (when the state before is known) its text differs."""
    names = list(dict.fromkeys([*before, *after]))
    flagged = set(changed)
    return [
        StateRow(
            name=name,
            before=before.get(name),
            after=after.get(name),
            changed=name in flagged or (known and before.get(name) != after.get(name)),
        )
        for name in names
    ]


def result_view(result: TestResult) -> ResultView:
    """A test's outcome in one line: why it failed (timeout, exception, wrong value) or "passed"."""
    if result.passed:
        detail = "passed"
    elif result.timeout:
        detail = result.error or "timed out"
    elif result.exception is not None and not result.exception.in_test:
        exc = result.exception
        where = f" (line {exc.line})" if exc.line else ""
        detail = f"{exc.type}: {exc.message}{where}" if exc.message else f"{exc.type}{where}"
    else:
        detail = result.error or "failed"
    if result.broken is not None:
        detail = f"broken test, left aside: {result.broken} ({detail})"
    return ResultView(test=result.test, passed=result.passed, detail=detail, actual=result.actual)


def trace_view(trace: Trace) -> TraceView:
    return TraceView(
        test=trace.test,
        passed=trace.passed,
        error=trace.error,
        return_value=trace.return_value,
        total_visits=max(trace.total_visits, len(trace.visits)),
        kept_visits=len(trace.visits),
        truncated=trace.truncated,
        cut=list(trace.cut),
        calls=trace.calls,
        max_depth=trace.max_depth,
        duration_s=trace.duration_s,
        backend=trace.backend,
    )


def _reply_view(reply: Reply) -> ReplyView:
    return ReplyView(
        text=reply.text,
        prompt_tokens=reply.usage.prompt_tokens,
        completion_tokens=reply.usage.completion_tokens,
        latency_s=reply.latency_s,
        cached=reply.cached,
        finish_reason=reply.finish_reason,
    )


def _attempt_status(attempt: Attempt, tests: list[ResultView]) -> str:
    if attempt.program is None:
        return "nofix"
    return "pass" if tests and all(test.passed for test in tests) else "fail"


def _attempt_summary(attempt: Attempt, status: str, passed: int, total: int) -> str:
    if status == "nofix":
        return first_sentence(attempt.failure or "no new program")
    return f"{passed}/{total} visible tests pass"


def first_sentence(text: str, limit: int = 90) -> str:
    """The first sentence of a message (failure notes go on to address the model), at most ``limit`` chars."""
    sentence = text.strip().split(". ", 1)[0].rstrip(".")
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"


def step_rows(attempts: Sequence[AttemptView], session: Session) -> list[StepRow]:
    """The cost table: each model call, each attempt's total, and the session's total."""
    rows = []
    for attempt in attempts:
        for index, reply in enumerate(attempt.replies, start=1):
            note = "cached" if reply.cached else (reply.finish_reason or "")
            rows.append(
                StepRow(
                    label=f"attempt {attempt.number} · call {index}",
                    anchor=attempt.anchor,
                    prompt_tokens=reply.prompt_tokens,
                    completion_tokens=reply.completion_tokens,
                    seconds=reply.latency_s,
                    note=note,
                )
            )
        rows.append(
            StepRow(
                label=f"attempt {attempt.number}",
                anchor=attempt.anchor,
                prompt_tokens=attempt.usage.prompt_tokens,
                completion_tokens=attempt.usage.completion_tokens,
                seconds=attempt.duration_s,
                note=attempt.summary,
                total=True,
            )
        )
    rows.append(
        StepRow(
            label="session",
            anchor="top",
            prompt_tokens=session.usage.prompt_tokens,
            completion_tokens=session.usage.completion_tokens,
            seconds=session.duration_s,
            note=f"{session.calls} model calls · {OUTCOME_LABELS.get(session.outcome, session.outcome)}",
            total=True,
        )
    )
    return rows
