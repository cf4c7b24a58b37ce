"""Check observed line moves of a function's frames against its CFG (the CFG property test's oracle).

A move from line ``a`` to line ``b`` within one frame is fine when both lines lie in one block (the same
visit) or when the block of ``b`` is a successor of the block of ``a``. A frame must start in the entry block,
and a frame that returns normally must leave from a block with a return/exit edge to ``EXIT``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tracefix.analysis.cfg_builder import EXIT
from tracefix.records import CFG


@dataclass(frozen=True)
class BadTransition:
    """An observed move the CFG does not allow."""

    function: str
    reason: str
    """"not an edge", "unmapped line", "not the entry" or "no exit edge" (a normal return from a block
    without an edge out of the function)."""
    source_line: int | None
    target_line: int
    source_block: int | None
    target_block: int | None

    def __str__(self) -> str:
        source = f"line {self.source_line} (block {self.source_block})" if self.source_line else "call"
        target = f"line {self.target_line} (block {self.target_block})"
        if self.reason == "no exit edge":
            return f"{self.function}: return from {source}: {self.reason}"
        return f"{self.function}: {source} -> {target}: {self.reason}"


def bad_transitions(
    cfg: CFG, entries: Iterable[int], moves: Iterable[tuple[int, int]], returns: Iterable[int] = ()
) -> list[BadTransition]:
    """The observed frame starts (``entries``), line moves (``moves``) and last lines of normal returns
    (``returns``) that ``cfg`` does not allow."""
    owner = cfg.line_to_block()
    successors = {block.id: set(block.successors) for block in cfg.blocks}
    leaves = {e.source for e in cfg.edges if e.target == EXIT and e.label not in ("exception", "raise")}
    bad: list[BadTransition] = []
    for line in returns:
        block = owner.get(line)
        if block not in leaves:
            reason = "unmapped line" if block is None else "no exit edge"
            bad.append(BadTransition(cfg.function, reason, line, line, block, None))
    for line in entries:
        block = owner.get(line)
        if block != cfg.entry:
            reason = "unmapped line" if block is None else "not the entry"
            bad.append(BadTransition(cfg.function, reason, None, line, None, block))
    for source_line, target_line in moves:
        source, target = owner.get(source_line), owner.get(target_line)
        if source is None or target is None:
            bad.append(BadTransition(cfg.function, "unmapped line", source_line, target_line, source, target))
        elif source != target and target not in successors[source]:
            bad.append(BadTransition(cfg.function, "not an edge", source_line, target_line, source, target))
    return bad
