"""The execution path of a trace as a short, readable sequence: repeated runs of blocks collapse into loops.

``[0, 1, 2, 1, 2, 1, 2, 3]`` reads as ``B0 (B1 B2)×3 B3``. Outer loops whose inner loop ran a different number
of times each round still collapse: the inner repeat keeps the range of its counts (``×2–4``).
Visits that the tracer dropped show as a gap, and a loop never collapses across a gap.

The collapse is greedy, leftmost first, and knows nothing of the CFG: it always reads back as the exact
sequence, but when rounds of a loop differ in shape (an inner loop that ran once in one round and three times in
the next) part of the path can stay spelled out.
"""

from __future__ import annotations

from collections.abc import Sequence
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


def collapse_visits(visits: Sequence[Visit]) -> list[PathNode]:
    """The collapsed path of a trace's kept visits."""
    return collapse(steps_from_visits(visits))


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
