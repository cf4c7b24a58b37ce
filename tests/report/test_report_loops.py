"""Loops of a CFG: headers and their natural loops, which line the execution path's rounds up."""

from __future__ import annotations

from report_samples import sum_cfg

from tracefix.records import CFG, Block
from tracefix.report.loops import natural_loops


def cfg_of(entry: int, *blocks: tuple[int, str, list[int]]) -> CFG:
    """A CFG from (id, kind, successors) triples."""
    return CFG(
        function="f",
        entry=entry,
        blocks=[Block(id=i, lines=[i + 1], kind=kind, successors=succ) for i, kind, succ in blocks],
    )


def test_a_for_loop_holds_its_header_and_body_but_not_the_code_after_it() -> None:
    assert natural_loops(sum_cfg()) == {1: frozenset({1, 2, 3})}


def test_an_inner_loop_does_not_swallow_the_outer_one() -> None:
    # 0 -> for 1 -> 2 -> while 3 -> 4 -> 3 ; 3 -> 5 (after the inner loop) -> 1 ; 1 -> 6 (return)
    cfg = cfg_of(
        0, (0, "body", [1]), (1, "for", [2, 6]), (2, "body", [3]), (3, "while", [4, 5]),
        (4, "body", [3]), (5, "body", [1]), (6, "return", []),
    )  # fmt: skip
    assert natural_loops(cfg) == {1: frozenset({1, 2, 3, 4, 5}), 3: frozenset({3, 4})}


def test_a_block_that_breaks_out_is_not_part_of_the_loop() -> None:
    cfg = cfg_of(
        0, (0, "body", [1]), (1, "while", [2, 4]), (2, "if", [3, 1]), (3, "body", [4]), (4, "return", []),
    )  # fmt: skip
    assert natural_loops(cfg) == {1: frozenset({1, 2})}


def test_a_function_without_loops_has_none() -> None:
    assert natural_loops(cfg_of(0, (0, "if", [1, 2]), (1, "return", []), (2, "return", []))) == {}
