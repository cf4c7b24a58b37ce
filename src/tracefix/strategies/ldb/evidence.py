"""Choose and render the runtime evidence a prompt shows: which blocks, and their states.

A small model cannot use ten blocks of raw state. This module decides what is worth its attention:
- the blocks the failing test ran, ranked by suspicion: the block where the exception arose, the block
  that returned the wrong value, and blocks that the passing visible tests never ran (spectrum-based fault
  localisation, Ochiai with the one failing test);
- for each shown block, its code and the values of the variables it changed, one entry per visit, with
  loop iterations collapsed to the first few and the last ones;
- the branch each header took, read from the next block visited.
The rendering is plain text; the paper's own format (LDB's ``[BLOCK-i]`` with state comments) is kept in
``render_paper`` for the faithful variant.
"""

from __future__ import annotations

import ast
import itertools
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from tracefix.records import CFG, LineSuspicion, Trace, Visit

MAX_VALUE_CHARS = 80

_BRANCH_WORDS = {
    "true": "condition true",
    "false": "condition false",
    "case": "case matched",
    "nomatch": "case did not match",
}
_LOOP_WORDS = {"true": "enters the loop body", "false": "loop ends"}


def branch_words(kind: str, label: str) -> str:
    """How a prompt says which way a header went: loop headers enter or end, conditions are true or false."""
    if kind in ("for", "while", "async for") and label in _LOOP_WORDS:
        return _LOOP_WORDS[label]
    return _BRANCH_WORDS.get(label, label)


@dataclass
class BlockEvidence:
    """What one block did on the failing test."""

    block: int
    lines: list[int]
    code: str
    kind: str
    runs: int
    visits: list[Visit]
    branches: dict[int, str] = field(default_factory=dict)
    """Label of the edge taken after each visit, by the visit's ``seq``."""
    suspicion: float = 0.0
    notes: list[str] = field(default_factory=list)
    spectrum: LineSuspicion | None = None
    """The most suspicious of its lines by the task's test suite (``Task.suspicions``), if it has any."""


def block_code(program_lines: Sequence[str], lines: Sequence[int]) -> str:
    """The source text of a block's lines, dedented to the block's own indentation."""
    text = [program_lines[n - 1] for n in sorted(lines) if 0 < n <= len(program_lines)]
    indent = min((len(t) - len(t.lstrip()) for t in text if t.strip()), default=0)
    return "\n".join(t[indent:] for t in text)


def _branch_labels(cfg: CFG, trace: Trace) -> dict[int, str]:
    """For each visit (by seq), the label of the edge taken to the next visit in the same frame."""
    labels = {(e.source, e.target): e.label for e in cfg.edges}
    taken: dict[int, str] = {}
    by_frame: dict[int, list[Visit]] = defaultdict(list)
    for visit in trace.visits:
        by_frame[visit.frame].append(visit)
    for visits in by_frame.values():
        for here, nxt in itertools.pairwise(visits):
            if nxt.seq == here.seq + 1:
                label = labels.get((here.block, nxt.block))
                if label in _BRANCH_WORDS:
                    taken[here.seq] = label
    return taken


def suspicion(failing_blocks: set[int], passing_runs: Sequence[set[int]]) -> dict[int, float]:
    """Ochiai suspiciousness of each block run by the failing test, given the blocks of passing tests."""
    scores = {}
    for block in failing_blocks:
        passed = sum(block in run for run in passing_runs)
        scores[block] = 1.0 / math.sqrt(1 + passed)
    return scores


def gather(
    program: str,
    cfg: CFG,
    trace: Trace,
    passing_runs: Sequence[set[int]] = (),
    suspicions: Sequence[LineSuspicion] = (),
) -> list[BlockEvidence]:
    """Collect the evidence of every block the failing test ran, in source order.

    A block with a line in ``suspicions`` (the line of the same number and text, else the most suspicious
    one of the same text) takes that line's score from the larger test suite as its suspicion instead of the
    one from ``passing_runs``."""
    lines = program.splitlines()
    at_line = {said.line: said for said in suspicions}
    by_code: dict[str, LineSuspicion] = {}
    for said in suspicions:
        if said.code not in by_code or said.score > by_code[said.code].score:
            by_code[said.code] = said

    def suite(number: int) -> LineSuspicion | None:
        code = lines[number - 1].strip() if 0 < number <= len(lines) else ""
        same = at_line.get(number)
        return same if same is not None and same.code == code else by_code.get(code)

    visits_of: dict[int, list[Visit]] = defaultdict(list)
    for visit in trace.visits:
        visits_of[visit.block].append(visit)
    ran = {b for b, n in trace.block_counts.items() if n > 0} | set(visits_of)
    scores = suspicion(ran, passing_runs)
    branches = _branch_labels(cfg, trace)
    evidence = []
    for block in cfg.blocks:
        if block.id not in ran:
            continue
        item = BlockEvidence(
            block=block.id,
            lines=block.lines,
            code=block_code(lines, block.lines),
            kind=block.kind,
            runs=trace.block_counts.get(block.id, len(visits_of[block.id])),
            visits=visits_of[block.id],
            branches={v.seq: branches[v.seq] for v in visits_of[block.id] if v.seq in branches},
            suspicion=scores.get(block.id, 0.0),
        )
        matched = [said for said in map(suite, block.lines) if said is not None]
        if matched:
            item.spectrum = max(matched, key=lambda m: m.score)
            item.suspicion = item.spectrum.score
        _annotate(item, trace, bool(passing_runs))
        evidence.append(item)
    return evidence


def _annotate(item: BlockEvidence, trace: Trace, have_passing: bool) -> None:
    if item.spectrum is not None:
        if item.spectrum.passed == 0:
            item.notes.append(item.spectrum.said())
    elif have_passing and item.suspicion >= 1.0:  # Ochiai 1.0: no passing test ran it
        item.notes.append("the passing tests never ran this block")
    exception = trace.exception
    if exception is not None and exception.block == item.block and not exception.in_test:
        item.notes.append(f"raised {exception.type}: {exception.message}")
        item.suspicion += 2.0
    last = trace.visits[-1] if trace.visits else None
    if trace.return_value is not None and last is not None and last.block == item.block:
        item.notes.append(f"returned {trace.return_value}")
        item.suspicion += 1.0


def select(evidence: list[BlockEvidence], max_blocks: int) -> tuple[list[BlockEvidence], list[int]]:
    """Keep the most suspicious blocks (ties: source order), shown in source order; return the rest's ids."""
    if len(evidence) <= max_blocks:
        return evidence, []
    ranked = sorted(evidence, key=lambda e: (-e.suspicion, e.block))
    keep = {e.block for e in ranked[:max_blocks]}
    shown = [e for e in evidence if e.block in keep]
    return shown, [e.block for e in evidence if e.block not in keep]


def short(value: str) -> str:
    """A value cut to ``MAX_VALUE_CHARS`` around an ellipsis."""
    if len(value) <= MAX_VALUE_CHARS:
        return value
    half = MAX_VALUE_CHARS // 2 - 2
    return f"{value[:half]} ... {value[-half:]}"


def _loop_targets(item: BlockEvidence) -> list[str]:
    """Names a ``for`` header assigns, shown on every run even when a value repeats."""
    if item.kind not in ("for", "async for"):
        return []
    header = item.code.strip().removeprefix("async ").rstrip(":")
    try:
        node = ast.parse(f"{header}:\n    pass").body[0]
    except SyntaxError:
        return []
    if not isinstance(node, ast.For | ast.AsyncFor):
        return []
    return [n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)]


def _visit_text(item: BlockEvidence, visit: Visit) -> str:
    names = _loop_targets(item) or visit.changed
    values = ", ".join(f"{n} = {short(visit.state[n])}" for n in names if n in visit.state)
    branch = item.branches.get(visit.seq, "")
    words = branch_words(item.kind, branch) if branch else ""
    if values and words:
        return f"{values}; {words}"
    return values or words or "no variable changed"


def _visit_lines(item: BlockEvidence, head: int, tail: int) -> list[str]:
    rows = [f"run {visit.occurrence + 1}: {_visit_text(item, visit)}" for visit in item.visits]
    if len(rows) > head + tail:
        hidden = item.runs - head - tail
        rows = [*rows[:head], f"... {hidden} more runs ...", *rows[-tail:]]
    elif item.runs > len(rows):
        rows.append(f"... {item.runs - len(rows)} more runs not recorded ...")
    return rows


def render_focused(shown: list[BlockEvidence], hidden: list[int], *, head: int = 4, tail: int = 2) -> str:
    """Render blocks as code plus the values they produced on each run (changed variables only)."""
    out = []
    for item in shown:
        span = f"line {item.lines[0]}" if len(item.lines) == 1 else f"lines {item.lines[0]}-{item.lines[-1]}"
        times = "1 time" if item.runs == 1 else f"{item.runs} times"
        out.append(f"[BLOCK {item.block}] {span}, ran {times}")
        out.extend("    " + line for line in item.code.splitlines())
        out.extend("  " + row for row in _visit_lines(item, head, tail))
        out.extend(f"  NOTE: {note}" for note in item.notes)
    if hidden:
        out.append(f"(blocks {', '.join(map(str, hidden))} also ran; not shown)")
    return "\n".join(out)


def _state_comment(state: dict[str, str]) -> str:
    return "    # " + (", ".join(f"{k}={short(v)}" for k, v in state.items()) or "(no variables)")


def render_paper(program: str, cfg: CFG, trace: Trace, max_blocks: int = 10) -> tuple[str, list[int]]:
    """LDB's own format: executed blocks in order as ``[BLOCK-i]`` with the state before and after.

    More than ``max_blocks`` visits keep the first and last halves, as the paper does. Returns the text and
    the block ids shown (one entry per visit; ids repeat in loops).
    """
    lines = program.splitlines()
    visits = trace.visits
    if len(visits) > max_blocks:
        half = max_blocks // 2
        visits = [*visits[:half], *visits[-half:]]
    out = []
    previous: dict[int, dict[str, str]] = {}
    shown: list[int] = []
    for index, visit in enumerate(visits):
        block = cfg.block(visit.block)
        out.append(f"[BLOCK-{index}]")
        out.append(_state_comment(previous.get(visit.frame, {})))
        out.extend("    " + line for line in block_code(lines, block.lines).splitlines())
        out.append(_state_comment(visit.state))
        previous[visit.frame] = visit.state
        shown.append(visit.block)
    return "\n".join(out), shown
