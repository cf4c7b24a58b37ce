"""The execution path of a trace as a short, readable sequence: repeated runs of blocks collapse into loops.

``[0, 1, 2, 1, 2, 1, 2, 3]`` reads as ``B0 (B1 B2)×3 B3``. Outer loops whose inner loop ran a different number
of times each round still collapse: the inner repeat keeps the range of its counts (``×2–4``).
Visits that the tracer dropped show as a gap, and a loop never collapses across a gap.

Given the CFG's loops (:func:`tracefix.report.loops.natural_loops`), the path is first cut into the rounds of
each loop, starting at its header, so rounds line up with the program's own loops and an inner loop that ran once
in one round and three times in the next still reads as one inner loop. Without the CFG the collapse is greedy,
leftmost first; either way the path always reads back as the exact sequence of visits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tracefix.records import Visit

MAX_PERIOD = 64
"""Longest loop body (in path steps) that is looked for; longer bodies stay spelled out."""


@dataclass(frozen=True)
class Step:
    """One visit of one block."""

    block: int
    depth: int = 0

    @property
    def visits(self) -> int:
        return 1


@dataclass(frozen=True)
class Gap:
    """Visits the tracer did not keep."""

    dropped: int
    seq: int
    """Sequence number of the first dropped visit (keeps gaps distinct so loops never merge across them)."""

    @property
    def visits(self) -> int:
        return self.dropped


@dataclass(frozen=True)
class Repeat:
    """A body that ran several times in a row: ``low`` times, or ``low``..``high`` times per round when it is
    itself inside a collapsed loop."""

    body: tuple[PathNode, ...]
    low: int
    high: int
    visits: int
    """Block visits covered by this repeat, over all its rounds."""

    @property
    def count_label(self) -> str:
        return f"×{self.low}" if self.low == self.high else f"×{self.low}–{self.high}"


PathNode = Step | Gap | Repeat


def steps_from_visits(visits: Sequence[Visit]) -> list[PathNode]:
    """The kept visits in order, with a :class:`Gap` wherever sequence numbers jump."""
    nodes: list[PathNode] = []
    expected = 0
    for visit in sorted(visits, key=lambda v: v.seq):
        if visit.seq > expected:
            nodes.append(Gap(dropped=visit.seq - expected, seq=expected))
        nodes.append(Step(block=visit.block, depth=visit.depth))
        expected = visit.seq + 1
    return nodes


def collapse(nodes: Sequence[PathNode]) -> list[PathNode]:
    """Collapse repeated runs, innermost loops first, until nothing repeats any more."""
    current = list(nodes)
    while True:
        collapsed = _collapse_once(current)
        if collapsed == current:
            return current
        current = collapsed


def collapse_visits(
    visits: Sequence[Visit], loops: Mapping[int, frozenset[int]] | None = None
) -> list[PathNode]:
    """The collapsed path of a trace's kept visits; ``loops`` (header -> loop blocks) lines rounds up with loops."""
    nodes = steps_from_visits(visits)
    if loops:
        nodes = _unwrap(collapse(group_rounds(nodes, loops)))
    return collapse(nodes)


def group_rounds(nodes: Sequence[PathNode], loops: Mapping[int, frozenset[int]]) -> list[PathNode]:
    """Cut each run of a loop into its rounds (each starts at the header) and collapse runs of equal rounds.

    Every loop becomes :class:`Repeat` nodes, even of one round, so that rounds of an outer loop compare equal
    whatever their inner loops' counts; :func:`_unwrap` removes the one-round repeats at the end.
    """
    out: list[PathNode] = []
    i = 0
    while i < len(nodes):
        node = nodes[i]
        if not isinstance(node, Step) or node.block not in loops:
            out.append(node)
            i += 1
            continue
        end = _loop_end(nodes, i, loops[node.block], node.depth)
        inner = {h: body for h, body in loops.items() if h != node.block}
        rounds = [group_rounds(r, inner) for r in _split_rounds(nodes[i:end], node.block)]
        out.extend(_runs_of_equal_rounds(rounds))
        i = end
    return out


def _loop_end(nodes: Sequence[PathNode], start: int, body: frozenset[int], depth: int) -> int:
    end = start
    while end < len(nodes):
        node = nodes[end]
        if not (isinstance(node, Step) and node.block in body and node.depth == depth):
            break
        end += 1
    return end


def _split_rounds(nodes: Sequence[PathNode], header: int) -> list[list[PathNode]]:
    rounds: list[list[PathNode]] = []
    for node in nodes:
        if isinstance(node, Step) and node.block == header:
            rounds.append([])
        rounds[-1].append(node)
    return rounds


def _runs_of_equal_rounds(rounds: list[list[PathNode]]) -> list[PathNode]:
    out: list[PathNode] = []
    for body in rounds:
        shape = tuple(_shape(node) for node in body)
        last = out[-1] if out else None
        if isinstance(last, Repeat) and tuple(_shape(node) for node in last.body) == shape:
            merged = tuple(_merge(x, y) for x, y in zip(last.body, body, strict=True))
            visits = last.visits + sum(node.visits for node in body)
            out[-1] = Repeat(body=merged, low=last.low + 1, high=last.high + 1, visits=visits)
        else:
            out.append(Repeat(body=tuple(body), low=1, high=1, visits=sum(node.visits for node in body)))
    return out


def _unwrap(nodes: Sequence[PathNode]) -> list[PathNode]:
    """Spell out repeats that ran exactly once."""
    out: list[PathNode] = []
    for node in nodes:
        if isinstance(node, Repeat):
            body = _unwrap(node.body)
            if node.low == node.high == 1:
                out.extend(body)
            else:
                out.append(Repeat(body=tuple(body), low=node.low, high=node.high, visits=node.visits))
        else:
            out.append(node)
    return out


def _shape(node: PathNode) -> object:
    """What makes two nodes "the same step" for loop detection: repeat counts do not matter, and a block
    that repeats alone matches the same block run once (an inner loop that ran a single round)."""
    if isinstance(node, Repeat):
        if len(node.body) == 1:
            return _shape(node.body[0])
        return ("repeat", tuple(_shape(child) for child in node.body))
    return node


def _collapse_once(nodes: list[PathNode]) -> list[PathNode]:
    shapes = [_shape(node) for node in nodes]
    out: list[PathNode] = []
    i = 0
    while i < len(nodes):
        period, rounds = _smallest_repeat(shapes, i)
        if rounds < 2:
            out.append(nodes[i])
            i += 1
            continue
        copies = [nodes[i + r * period : i + (r + 1) * period] for r in range(rounds)]
        body = tuple(collapse([_merge_all(column) for column in zip(*copies, strict=True)]))
        visits = sum(node.visits for copy in copies for node in copy)
        out.append(Repeat(body=body, low=rounds, high=rounds, visits=visits))
        i += period * rounds
    return out


def _smallest_repeat(shapes: list[object], start: int) -> tuple[int, int]:
    """The shortest period that repeats at ``start`` and how many rounds it runs (rounds < 2: none)."""
    remaining = len(shapes) - start
    for period in range(1, min(MAX_PERIOD, remaining // 2) + 1):
        window = shapes[start : start + period]
        rounds = 1
        while shapes[start + rounds * period : start + (rounds + 1) * period] == window:
            rounds += 1
        if rounds >= 2:
            return period, rounds
    return 1, 1


def _merge_all(column: Sequence[PathNode]) -> PathNode:
    merged = column[0]
    for node in column[1:]:
        merged = _merge(merged, node)
    return merged


def _merge(a: PathNode, b: PathNode) -> PathNode:
    """Combine two same-shaped nodes from different rounds of a loop."""
    if not isinstance(a, Repeat) and not isinstance(b, Repeat):
        return a
    first, second = _as_repeat(a), _as_repeat(b)
    if len(first.body) != len(second.body):
        return a
    body = tuple(_merge(x, y) for x, y in zip(first.body, second.body, strict=True))
    return Repeat(
        body=body,
        low=min(first.low, second.low),
        high=max(first.high, second.high),
        visits=first.visits + second.visits,
    )


def _as_repeat(node: PathNode) -> Repeat:
    return node if isinstance(node, Repeat) else Repeat(body=(node,), low=1, high=1, visits=node.visits)


def blocks_in(nodes: Sequence[PathNode]) -> list[int]:
    """Block ids in the order they first appear on the path."""
    seen: dict[int, None] = {}
    for node in nodes:
        if isinstance(node, Step):
            seen.setdefault(node.block)
        elif isinstance(node, Repeat):
            for block in blocks_in(node.body):
                seen.setdefault(block)
    return list(seen)
