"""The loops of a CFG: each ``for``/``while`` header and the blocks of its natural loop."""

from __future__ import annotations

from collections import defaultdict

from tracefix.records import CFG

LOOP_KINDS = frozenset({"for", "while", "async for"})

Loops = dict[int, frozenset[int]]
"""Loop header block -> every block of its loop (header included)."""


def natural_loops(cfg: CFG) -> Loops:
    """For each loop header: the header plus every block that reaches one of its back edges without it.

    A back edge ``p -> h`` is one whose target dominates its source (every path from the entry to ``p`` passes
    ``h``), so an outer loop's edge into an inner header is not mistaken for the inner loop's back edge.
    """
    preds = _predecessors(cfg)
    dominators = _dominators(cfg, preds)
    loops: Loops = {}
    for block in cfg.blocks:
        if block.kind not in LOOP_KINDS:
            continue
        header = block.id
        body = {header}
        stack = [p for p in preds[header] if header in dominators.get(p, set())]
        while stack:
            node = stack.pop()
            if node not in body:
                body.add(node)
                stack.extend(preds[node] - body)
        loops[header] = frozenset(body)
    return loops


def _predecessors(cfg: CFG) -> dict[int, set[int]]:
    preds: dict[int, set[int]] = defaultdict(set)
    known = {block.id for block in cfg.blocks}
    for block in cfg.blocks:
        for successor in block.successors:
            preds[successor].add(block.id)
    for edge in cfg.edges:
        if edge.source in known and edge.target in known:
            preds[edge.target].add(edge.source)
    return preds


def _dominators(cfg: CFG, preds: dict[int, set[int]]) -> dict[int, set[int]]:
    """The classic iterative data-flow solution; CFGs of single functions are small."""
    nodes = {block.id for block in cfg.blocks}
    dominators = {node: set(nodes) for node in nodes}
    dominators[cfg.entry] = {cfg.entry}
    changed = True
    while changed:
        changed = False
        for node in nodes - {cfg.entry}:
            incoming = [dominators[p] for p in preds[node] if p in nodes]
            new = {node} | (set.intersection(*incoming) if incoming else set())
            if new != dominators[node]:
                dominators[node] = new
                changed = True
    return dominators
