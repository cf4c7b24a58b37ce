"""safe_repr: short, stable text for any value, and never an exception."""

from __future__ import annotations

import collections
import dataclasses
import time

import pytest

from tracefix.execution.values import ValueLimits, cut_middle, is_atom, safe_repr


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1, "1"),
        (-2.5, "-2.5"),
        (True, "True"),
        (None, "None"),
        ("hi", "'hi'"),
        (b"hi", "b'hi'"),
        ([1, "a", None], "[1, 'a', None]"),
        ((1,), "(1,)"),
        ({"a": [1, 2]}, "{'a': [1, 2]}"),
        ({3, 1, 2}, "{1, 2, 3}"),
        (set(), "set()"),
        (frozenset({2, 1}), "frozenset({1, 2})"),
        (collections.deque([1, 2]), "deque([1, 2])"),
        (collections.Counter("aab"), "Counter({'a': 2, 'b': 1})"),
    ],
)
def test_small_values_render_like_repr(value: object, text: str) -> None:
    assert safe_repr(value) == text


def test_long_list_shows_first_items_and_how_many_more() -> None:
    assert safe_repr(list(range(100_000))) == "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ...<99990 more>]"


def test_long_dict_shows_first_items_and_how_many_more() -> None:
    text = safe_repr({i: i for i in range(50)}, ValueLimits(max_items=2))
    assert text == "{0: 0, 1: 1, ...<48 more>}"


def test_long_string_is_cut_in_the_middle_keeping_head_and_tail() -> None:
    text = safe_repr("a" * 500 + "b" * 500, ValueLimits(max_string=20))
    assert text == "'aaaaaaaaaa'...<980 chars>...'bbbbbbbbbb'"


def test_deep_nesting_stops_at_max_depth() -> None:
    assert safe_repr([[[[[1]]]]], ValueLimits(max_depth=2)) == "[[[...]]]"


def test_self_referencing_list_and_dict() -> None:
    items: list[object] = [1]
    items.append(items)
    table: dict[str, object] = {}
    table["me"] = table
    assert safe_repr(items) == "[1, ...]"
    assert safe_repr(table) == "{'me': ...}"


def test_total_length_is_bounded() -> None:
    text = safe_repr([["x" * 100] * 10] * 10, ValueLimits(max_length=100))
    assert len(text) <= 100 + 30
    assert "chars>..." in text


def test_huge_int_is_described_by_size() -> None:
    assert safe_repr(10**5000) == f"<int with {(10**5000).bit_length()} bits>"
    assert not is_atom(10**5000)


class Point:
    def __init__(self, x: int, y: int) -> None:
        self.x, self.y = x, y


class Node:
    def __init__(self, value: int) -> None:
        self.value = value
        self.next: Node | None = None


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self) -> None:
        self.a = 1


@dataclasses.dataclass
class Pair:
    left: int
    right: list[int]
    hidden: int = dataclasses.field(default=0, repr=False)


def test_plain_objects_render_from_their_attributes() -> None:
    assert safe_repr(Point(1, 2)) == "Point(x=1, y=2)"
    assert safe_repr(Slotted()) == "Slotted(a=1)"
    assert safe_repr(object()) == "object()"


def test_cyclic_objects_render_with_a_cycle_marker() -> None:
    first, second = Node(1), Node(2)
    first.next, second.next = second, first
    assert safe_repr(first) == "Node(value=1, next=Node(value=2, next=...))"


def test_dataclasses_render_their_repr_fields() -> None:
    assert (
        safe_repr(Pair(1, list(range(20))), ValueLimits(max_items=3))
        == "Pair(left=1, right=[0, 1, 2, ...<17 more>])"
    )


def test_namedtuples_render_their_fields() -> None:
    Coord = collections.namedtuple("Coord", "x y")
    assert safe_repr(Coord(1, 2)) == "Coord(x=1, y=2)"


class RaisingRepr:
    def __init__(self) -> None:
        self.n = 3

    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")


class HugeRepr:
    def __repr__(self) -> str:
        return "H" * 1_000_000


class SlowRepr:
    calls = 0

    def __init__(self) -> None:
        self.v = 1

    def __repr__(self) -> str:
        SlowRepr.calls += 1
        time.sleep(0.02)
        return "slow"


class AddressRepr:
    def __repr__(self) -> str:
        return f"<thing at {hex(id(self))}>"


class HashlibStyleRepr:
    def __repr__(self) -> str:
        return f"<md5 HASH object @ {hex(id(self))}>"


def test_repr_that_raises_falls_back_to_attributes() -> None:
    assert safe_repr(RaisingRepr()) == "RaisingRepr(n=3)"


def test_huge_repr_is_cut() -> None:
    text = safe_repr(HugeRepr())
    assert len(text) < 400
    assert text.startswith("HHH") and "chars>" in text


def test_slow_repr_marks_the_type_slow_and_later_values_use_attributes() -> None:
    assert safe_repr(SlowRepr()) == "slow"
    assert safe_repr(SlowRepr()) == "SlowRepr(v=1)"
    assert SlowRepr.calls == 1


def test_memory_addresses_are_removed() -> None:
    assert safe_repr(AddressRepr()) == "<thing>"
    assert safe_repr(HashlibStyleRepr()) == "<md5 HASH object>"
    assert safe_repr(len) == "<function len>"
    assert safe_repr(Point) == "<class Point>"


def test_values_inside_containers_use_the_same_rules() -> None:
    assert safe_repr([Point(0, 1), RaisingRepr()]) == "[Point(x=0, y=1), RaisingRepr(n=3)]"


def test_atoms() -> None:
    assert is_atom(3) and is_atom(None) and is_atom(2.0) and is_atom("short")
    assert not is_atom("x" * 1000) and not is_atom([1]) and not is_atom(Point(1, 2))


def test_cut_middle_keeps_both_ends() -> None:
    text = cut_middle("0123456789" * 10, 40)
    assert text.startswith("0123") and text.endswith("789") and "<" in text
