"""The execution path collapses repeated runs of blocks into loops, written here as ``B0 (B1 B2)x3 B3``."""

from __future__ import annotations

from tracefix.records import Visit
from tracefix.report.path import Gap, PathNode, Repeat, Step, blocks_in, collapse, collapse_visits


def steps(*blocks: int) -> list[PathNode]:
    return [Step(block) for block in blocks]


def notation(nodes: list[PathNode]) -> str:
    """Compact text of a path: ``B1``, ``(B1 B2)x3``, ``(B2)x1-3`` for a varying inner loop, ``..5..`` for a gap."""
    parts = []
    for node in nodes:
        if isinstance(node, Step):
            parts.append(f"B{node.block}" + (f"@{node.depth}" if node.depth else ""))
        elif isinstance(node, Gap):
            parts.append(f"..{node.dropped}..")
        else:
            count = f"x{node.low}" if node.low == node.high else f"x{node.low}-{node.high}"
            parts.append(f"({notation(list(node.body))}){count}")
    return " ".join(parts)


def test_a_straight_path_stays_as_it_is() -> None:
    assert notation(collapse(steps(0, 1, 2))) == "B0 B1 B2"


def test_a_simple_loop_collapses_with_its_round_count() -> None:
    assert notation(collapse(steps(0, 1, 2, 1, 2, 1, 2, 1, 3))) == "B0 (B1 B2)x3 B1 B3"


def test_a_self_loop_collapses() -> None:
    assert notation(collapse(steps(0, 1, 1, 1, 1, 2))) == "B0 (B1)x4 B2"


def test_nested_loops_with_varying_inner_counts_collapse_to_one_outer_loop() -> None:
    path = steps(0, 1, 2, 2, 3, 1, 2, 2, 2, 3, 1, 2, 3, 4)
    assert notation(collapse(path)) == "B0 (B1 (B2)x1-3 B3)x3 B4"


def test_an_if_inside_a_loop_collapses_rounds_that_alternate() -> None:
    # for n in [1, 2, 3, 4]: if n is odd: body (B3)
    assert notation(collapse(steps(0, 1, 2, 3, 1, 2, 1, 2, 3, 1, 2, 1, 4))) == "B0 (B1 B2 B3 B1 B2)x2 B1 B4"


def test_a_loop_inside_a_collapsed_loop_collapses_too() -> None:
    path = steps(0, 1, 2, 5, 2, 5, 2, 3, 1, 2, 5, 2, 5, 2, 3, 1, 4)
    assert notation(collapse(path)) == "B0 (B1 (B2 B5)x2 B2 B3)x2 B1 B4"


def test_repeats_count_every_visit_they_cover() -> None:
    (outer,) = [node for node in collapse(steps(0, 1, 2, 2, 3, 1, 2, 2, 2, 3, 4)) if isinstance(node, Repeat)]
    assert outer.visits == 9


def test_a_loop_never_collapses_across_dropped_visits() -> None:
    visits = [
        Visit(seq=seq, block=block) for seq, block in [(0, 1), (1, 2), (2, 1), (3, 2), (90, 1), (91, 2)]
    ]
    assert notation(collapse_visits(visits)) == "(B1 B2)x2 ..86.. B1 B2"


def test_visits_are_ordered_by_sequence_number_and_keep_their_depth() -> None:
    visits = [Visit(seq=1, block=3, depth=1), Visit(seq=0, block=0)]
    assert notation(collapse_visits(visits)) == "B0 B3@1"


def test_blocks_in_lists_blocks_in_order_of_first_run() -> None:
    assert blocks_in(collapse(steps(0, 2, 1, 2, 1, 3))) == [0, 2, 1, 3]


NESTED = {1: frozenset({1, 2, 3, 4}), 2: frozenset({2, 3})}
"""for (B1) over: while (B2) over B3, then B4; B5 after the outer loop."""


def with_loops(*blocks: int, loops: dict[int, frozenset[int]] = NESTED) -> str:
    return notation(collapse_visits([Visit(seq=i, block=b) for i, b in enumerate(blocks)], loops))


def test_with_the_cfg_rounds_start_at_the_loop_header() -> None:
    path = (0, 1, 2, 3, 2, 3, 2, 4, 1, 2, 3, 2, 4, 1, 2, 3, 2, 3, 2, 3, 2, 4, 1, 5)
    assert with_loops(*path) == "B0 (B1 (B2 B3)x1-3 B2 B4)x3 B1 B5"
    assert notation(collapse(steps(*path))) != "B0 (B1 (B2 B3)x1-3 B2 B4)x3 B1 B5"


def test_with_the_cfg_a_loop_that_ran_once_is_spelled_out() -> None:
    assert with_loops(0, 1, 2, 3, 2, 4, 1, 5) == "B0 B1 B2 B3 B2 B4 B1 B5"


def test_with_the_cfg_alternating_rounds_still_collapse() -> None:
    loops = {1: frozenset({1, 2, 3})}
    assert with_loops(0, 1, 2, 3, 1, 2, 1, 2, 3, 1, 2, 1, 4, loops=loops) == "B0 (B1 B2 B3 B1 B2)x2 B1 B4"


def test_a_deeper_call_inside_a_loop_ends_the_round_grouping_there() -> None:
    visits = [
        Visit(seq=0, block=1),
        Visit(seq=1, block=2),
        Visit(seq=2, block=0, depth=1),
        Visit(seq=3, block=1),
    ]
    assert notation(collapse_visits(visits, {1: frozenset({1, 2})})) == "B1 B2 B0@1 B1"
