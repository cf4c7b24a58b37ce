"""Check observed line moves of a function's frames against its CFG (the CFG property test's oracle).

A move from line ``a`` to line ``b`` within one frame is fine when both lines lie in one block (the same
visit) or when the block of ``b`` is a successor of the block of ``a``. A frame must start in the entry block.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tracefix.records import CFG


@dataclass(frozen=True)
class BadTransition:
    """An observed move the CFG does not allow."""

    function: str
    reason: str
    """"not an edge", "unmapped line" or "not the entry"."""
    source_line: int | None
    target_line: int
    source_block: int | None
    target_block: int | None

    def __str__(self) -> str:
        source = f"line {self.source_line} (block {self.source_block})" if self.source_line else "call"
        target = f"line {self.target_line} (block {self.target_block})"
        return f"{self.function}: {source} -> {target}: {self.reason}"


def bad_transitions(
    cfg: CFG, entries: Iterable[int], moves: Iterable[tuple[int, int]]
) -> list[BadTransition]:
    """The observed frame starts (``entries``) and line moves (``moves``) that ``cfg`` does not allow."""
    owner = cfg.line_to_block()
    successors = {block.id: set(block.successors) for block in cfg.blocks}
    bad: list[BadTransition] = []
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
