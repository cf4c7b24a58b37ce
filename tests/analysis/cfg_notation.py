"""A compact notation for CFGs in tests: blocks and edges named by the first line of each block.

Blocks: ``"2-3 4:if 5 7:while"`` lists each block's lines (ranges joined by commas) and its kind when it is
not "body". Edges: ``"2->4 4->5(true) 4->exit(false)"``: the label is omitted for "next"; ``exit`` is
leaving the function.
"""

from __future__ import annotations

import textwrap

from tracefix.analysis.cfg import EXIT, build_cfg
from tracefix.records import CFG


def cfg_of(source: str, function: str = "f") -> CFG:
    return build_cfg(textwrap.dedent(source), function)


def _ranges(lines: list[int]) -> str:
    parts: list[str] = []
    start = prev = lines[0]
    for line in [*lines[1:], None]:
        if line is not None and line == prev + 1:
            prev = line
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if line is not None:
            start = prev = line
    return ",".join(parts)


def blocks(cfg: CFG) -> str:
    return " ".join(
        _ranges(b.lines) + ("" if b.kind == "body" else f":{b.kind}")
        for b in sorted(cfg.blocks, key=lambda b: b.id)
    )


def edges(cfg: CFG) -> set[str]:
    first = {b.id: b.lines[0] for b in cfg.blocks}
    found = set()
    for e in cfg.edges:
        target = "exit" if e.target == EXIT else str(first[e.target])
        label = "" if e.label == "next" else f"({e.label})"
        found.add(f"{first[e.source]}->{target}{label}")
    return found


def spec(text: str) -> set[str]:
    return set(text.split())
