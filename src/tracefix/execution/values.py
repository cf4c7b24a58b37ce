"""Safe, bounded text for any Python value.

A traced program's locals can be anything: a list of a million items, a structure that contains itself, an
object whose ``__repr__`` raises, loops or prints a megabyte. :func:`safe_repr` always returns a short, stable
string and never raises. Containers show their first items and how many were left out; long strings are cut in the
middle; plain objects are shown from their attributes (``Point(x=1, y=2)``) rather than ``<Point object at 0x..>``;
memory addresses are removed so that two runs of the same program render the same text.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import BuiltinFunctionType, FunctionType, MethodType, ModuleType
from typing import Any

__all__ = ["ATOM_TYPES", "ValueLimits", "is_atom", "safe_repr"]

ATOM_TYPES: frozenset[type] = frozenset({int, float, bool, type(None), complex})
"""Types whose values are immutable and cheap to render: a recorder may keep them by reference."""

_ADDRESS = re.compile(r" (?:at|@) 0x[0-9a-fA-F]+")
_INT_DIGITS_CUT = 4000
"""Ints with more bits than this are rendered by size (str() of huge ints is slow and capped by Python)."""


@dataclass(frozen=True)
class ValueLimits:
    """How much of a value to show."""

    max_length: int = 300
    """Longest rendered text; longer text is cut in the middle."""
    max_string: int = 120
    """Longest string shown whole (longer strings keep their head and tail)."""
    max_items: int = 10
    """Items shown per container; the rest are counted."""
    max_depth: int = 4
    """Nesting shown; deeper containers render as ``[...]``."""
    slow_repr_s: float = 0.01
    """A ``__repr__`` slower than this marks its type as slow; later values of it are shown by attributes."""


DEFAULT_LIMITS = ValueLimits()

_SLOW_REPR_TYPES: set[type] = set()


def is_atom(value: object, limits: ValueLimits = DEFAULT_LIMITS) -> bool:
    """True for immutable values that render cheaply (numbers, None, short strings)."""
    kind = type(value)
    if kind in ATOM_TYPES:
        return kind is not int or value.bit_length() <= _INT_DIGITS_CUT  # type: ignore[attr-defined]
    return kind is str and len(value) <= limits.max_string  # type: ignore[arg-type]


def safe_repr(value: object, limits: ValueLimits = DEFAULT_LIMITS) -> str:
    """Render ``value`` as bounded, deterministic text; never raises."""
    if is_atom(value, limits):
        return repr(value)
    try:
        text = _Renderer(limits).render(value, 0)
    except Exception as exc:  # a hostile value must not break the trace
        text = f"<{_type_name(value)}; not shown: {type(exc).__name__}>"
    return cut_middle(text, limits.max_length)


def cut_middle(text: str, limit: int) -> str:
    """Keep the head and the tail of ``text`` with a marker saying how much was cut."""
    if len(text) <= limit:
        return text
    keep = max(limit - 20, 2)
    head, tail = keep * 2 // 3, keep - keep * 2 // 3
    return f"{text[:head]}...<{len(text) - head - tail} chars>...{text[len(text) - tail :]}"


def _type_name(value: object) -> str:
    try:
        return type(value).__qualname__
    except Exception:
        return "object"


class _Renderer:
    """One rendering pass: tracks the containers on the current path to show cycles as ``...``."""

    def __init__(self, limits: ValueLimits) -> None:
        self.limits = limits
        self.active: set[int] = set()

    def render(self, value: object, depth: int) -> str:
        kind = type(value)
        if kind in ATOM_TYPES:
            return _render_number(value)
        if kind is str or kind is bytes or kind is bytearray:
            return self._render_text(value)  # type: ignore[arg-type]
        if id(value) in self.active:
            return "..."
        self.active.add(id(value))
        try:
            return self._render_compound(value, depth)
        finally:
            self.active.discard(id(value))

    def _render_text(self, value: str | bytes | bytearray) -> str:
        limit = self.limits.max_string
        if len(value) <= limit:
            return repr(value)
        half = limit // 2
        head, tail = repr(value[:half]), repr(value[len(value) - half :])
        return f"{head}...<{len(value) - 2 * half} chars>...{tail}"

    def _render_compound(self, value: object, depth: int) -> str:
        renderer = _CONTAINERS.get(type(value))
        if renderer is not None:
            return renderer(self, value, depth)
        if isinstance(value, dict):
            return f"{_type_name(value)}({_render_dict(self, value, depth)})"
        if isinstance(value, tuple) and hasattr(value, "_fields"):
            fields = [(name, getattr(value, name)) for name in value._fields]
            return self._render_fields(_type_name(value), fields, depth)
        if isinstance(value, list | tuple | set | frozenset | deque):
            inner = _CONTAINERS[_base_container(value)](self, value, depth)
            return f"{_type_name(value)}({inner})"
        return self._render_object(value, depth)

    def items(self, values: Iterable[object], size: int, depth: int) -> str:
        if size and depth >= self.limits.max_depth:
            return "..."
        shown = []
        for index, item in enumerate(values):
            if index >= self.limits.max_items:
                break
            shown.append(self.render(item, depth + 1))
        if size > len(shown):
            shown.append(f"...<{size - len(shown)} more>")
        return ", ".join(shown)

    def _render_object(self, value: object, depth: int) -> str:
        kind = type(value)
        if isinstance(value, FunctionType | MethodType | BuiltinFunctionType):
            return f"<function {getattr(value, '__qualname__', '?')}>"
        if isinstance(value, type):
            return f"<class {value.__qualname__}>"
        if isinstance(value, ModuleType):
            return f"<module {value.__name__}>"
        if dataclasses.is_dataclass(value):
            fields = [(f.name, getattr(value, f.name, "?")) for f in dataclasses.fields(value) if f.repr]
            return self._render_fields(_type_name(value), fields, depth)
        if kind.__repr__ is not object.__repr__ and kind not in _SLOW_REPR_TYPES:
            shown = self._call_repr(value)
            if shown is not None:
                return shown
        return self._render_fields(_type_name(value), _attributes(value), depth)

    def _call_repr(self, value: object) -> str | None:
        """The object's own ``__repr__``, or None when it raises or returns a non-string."""
        started = time.perf_counter()
        try:
            text = repr(value)
        except Exception:
            return None
        finally:
            if time.perf_counter() - started > self.limits.slow_repr_s:
                _SLOW_REPR_TYPES.add(type(value))
        if not isinstance(text, str):
            return None
        return cut_middle(_ADDRESS.sub("", text), self.limits.max_length)

    def _render_fields(self, name: str, fields: list[tuple[str, object]], depth: int) -> str:
        if fields and depth >= self.limits.max_depth:
            return f"{name}(...)"
        shown = [f"{key}={self.render(val, depth + 1)}" for key, val in fields[: self.limits.max_items]]
        if len(fields) > len(shown):
            shown.append(f"...<{len(fields) - len(shown)} more>")
        return f"{name}({', '.join(shown)})"


def _render_number(value: object) -> str:
    if type(value) is int and value.bit_length() > _INT_DIGITS_CUT:
        return f"<int with {value.bit_length()} bits>"
    return repr(value)


def _attributes(value: object) -> list[tuple[str, object]]:
    """Instance attributes from ``__dict__`` and ``__slots__``, private names last."""
    found: dict[str, object] = {}
    with contextlib.suppress(TypeError):
        found.update(vars(value))
    for klass in type(value).__mro__:
        slots = klass.__dict__.get("__slots__", ())
        for slot in (slots,) if isinstance(slots, str) else slots:
            if slot not in ("__dict__", "__weakref__") and hasattr(value, slot):
                found[slot] = getattr(value, slot)
    return sorted(found.items(), key=lambda item: item[0].startswith("_"))


def _base_container(value: object) -> type:
    for base in (list, tuple, set, frozenset, deque):
        if isinstance(value, base):
            return base
    raise TypeError(type(value))


def _ordered(values: set[Any] | frozenset[Any]) -> list[Any]:
    """Sets in sorted order when their items allow it, so output does not depend on hash seeds."""
    if len(values) <= 1000:
        try:
            return sorted(values)
        except Exception:
            pass
    return list(values)


def _render_list(renderer: _Renderer, value: Any, depth: int) -> str:
    return f"[{renderer.items(value, len(value), depth)}]"


def _render_tuple(renderer: _Renderer, value: Any, depth: int) -> str:
    inner = renderer.items(value, len(value), depth)
    return f"({inner},)" if len(value) == 1 else f"({inner})"


def _render_set(renderer: _Renderer, value: Any, depth: int) -> str:
    if not value:
        return f"{type(value).__name__}()"
    inner = renderer.items(_ordered(value), len(value), depth)
    return f"{{{inner}}}" if type(value) is set else f"frozenset({{{inner}}})"


def _render_deque(renderer: _Renderer, value: Any, depth: int) -> str:
    return f"deque([{renderer.items(value, len(value), depth)}])"


def _render_dict(renderer: _Renderer, value: Any, depth: int) -> str:
    if value and depth >= renderer.limits.max_depth:
        return "{...}"
    shown = []
    for index, (key, item) in enumerate(value.items()):
        if index >= renderer.limits.max_items:
            shown.append(f"...<{len(value) - index} more>")
            break
        shown.append(f"{renderer.render(key, depth + 1)}: {renderer.render(item, depth + 1)}")
    return "{" + ", ".join(shown) + "}"


_CONTAINERS: dict[type, Callable[[_Renderer, Any, int], str]] = {
    list: _render_list,
    tuple: _render_tuple,
    set: _render_set,
    frozenset: _render_set,
    deque: _render_deque,
    dict: _render_dict,
}
