"""What kind of value a missing name is, read off how the fragment uses it, and the values to try for it.

This is LExecutor's idea done by rules instead of a trained model: the code says what a name must be. A
name used as a type is a class; one compared with ``None`` may be ``None``; ``len(x)``, ``for a in x`` and
``x.append`` say a list; ``x.items()`` or ``x["key"]`` a dict; ``x.split()`` a string; ``x + 1`` or
``range(x)`` a number. A name nothing types stays the permissive dummy.

Besides the first guess (:func:`first`), each kind has other values (:func:`others`) that the rules try when
a branch never ran: an empty and a longer list, zero and a negative number, ``None`` for a name the code
checks against ``None``.

A free name that a commonly used standard module defines as a function or class (``perm``, ``chain``,
``reduce``, ``deque``) is imported from it (:func:`standard_home`): lifted code usually imported it so.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
from collections.abc import Callable
from functools import cache, lru_cache
from typing import Literal

Kind = Literal["type", "function", "string", "mapping", "strings", "sequence", "iterator", "number", "dummy"]

STRING_METHODS = frozenset(
    [
        "split",
        "strip",
        "lstrip",
        "rstrip",
        "lower",
        "upper",
        "startswith",
        "endswith",
        "replace",
        "join",
        "format",
        "encode",
        "find",
        "splitlines",
        "isdigit",
        "isalpha",
        "isspace",
        "title",
        "capitalize",
        "partition",
        "rpartition",
    ]
)
LIST_METHODS = frozenset(
    ["append", "extend", "pop", "insert", "remove", "index", "count", "sort", "reverse", "copy", "clear"]
)
MAPPING_METHODS = frozenset(["items", "keys", "values", "get", "setdefault", "update", "popitem"])
SEQUENCE_CALLS = frozenset(
    [
        "len",
        "list",
        "tuple",
        "set",
        "frozenset",
        "sorted",
        "enumerate",
        "reversed",
        "iter",
        "sum",
        "min",
        "max",
        "any",
        "all",
        "zip",
    ]
)
NUMBER_CALLS = frozenset({"range"})
FUNCTION_ATTRIBUTES = frozenset(
    [
        "__code__",
        "__globals__",
        "__defaults__",
        "__kwdefaults__",
        "__closure__",
        "__wrapped__",
        "__qualname__",
    ]
)
TYPE_ATTRIBUTES = frozenset(["__subclasses__", "__mro__", "__bases__", "mro"])
TYPE_KINDS: dict[str, Kind] = {
    "str": "string",
    "int": "number",
    "float": "number",
    "list": "sequence",
    "tuple": "sequence",
    "set": "sequence",
    "dict": "mapping",
    "type": "type",
}
"""The kind a name checked with ``isinstance(name, T)`` is, by ``T``."""

PRECEDENCE: tuple[Kind, ...] = ("function", "string", "mapping", "strings", "sequence", "iterator", "number")
"""Which kind wins when the code uses a name as several (``len(s)`` and ``s.split()``: a string)."""

FIRST: dict[Kind, str] = {
    "type": "",  # written by the caller: a stand-in class of the name
    "function": "lambda *args, **kwargs: _TracefixStandIn()",
    "string": '"a"',
    "mapping": '{"a": 1, "b": 2}',
    "strings": '["b", "a"]',
    "sequence": "[3, 1, 2]",
    "iterator": "iter([3, 1, 2])",
    "number": "1",
    "dummy": "_TracefixStandIn()",
}
"""The first value of each kind."""

OTHERS: dict[Kind, tuple[str, ...]] = {
    "type": (),
    "function": (),
    "string": ('""', '"A b,c 1"'),
    "mapping": ("{}", '{"a": None, "b": ""}'),
    "strings": ("[]", '["a"]'),
    "sequence": ("[]", "[1]", "[5, 0, -2, 5, 9]"),
    "iterator": ("iter([])",),
    "number": ("0", "2", "-1", "10"),
    "dummy": ("0", "2", "-1", "[3, 1, 2]", '"abc"', "True", "False", "{}"),
}
"""Other values of each kind, tried in this order when a branch never ran."""

COMMON_MODULES = [
    "math",
    "itertools",
    "functools",
    "operator",
    "collections",
    "collections.abc",
    "typing",
    "re",
    "os",
    "os.path",
    "string",
    "random",
    "heapq",
    "bisect",
    "copy",
    "datetime",
    "json",
    "warnings",
    "inspect",
    "numbers",
    "decimal",
    "fractions",
    "enum",
    "dataclasses",
    "contextlib",
    "abc",
    "types",
    "weakref",
    "textwrap",
    "statistics",
    "struct",
    "io",
    "pathlib",
    "unicodedata",
    "fnmatch",
]
"""The standard modules a free name is looked up in, in this order (the first that defines it wins)."""


def kind(source: str, name: str) -> Kind:
    """The kind of value ``name`` is, from how ``source`` uses it (``dummy`` when nothing says)."""
    found = uses(source, name)
    if "type" in found or (name[:1].isupper() and not name.isupper()):
        return "type"
    return next((k for k in PRECEDENCE if k in found), "dummy")


def first(source: str, name: str, *, depth: int = 0) -> str:
    """The value a missing ``name`` gets first. A name the code unpacks (``a, b = name``) is a tuple of that
    many values, each guessed from how the code uses its target."""
    chosen = kind(source, name)
    if chosen == "type":
        return f"_tracefix_class({name!r})"
    targets = unpacked(source, name)
    if targets is not None and chosen in ("sequence", "dummy") and depth < 2:
        values = [first(source, t, depth=depth + 1) if t else FIRST["dummy"] for t in targets]
        return f"({', '.join(values)}{',' if len(values) == 1 else ''})"
    return FIRST[chosen]


def unpacked(source: str, name: str) -> list[str] | None:
    """The targets of the first statement that unpacks ``name`` (``a, b = name``; "" for a target that is not
    a plain name), or None."""
    tree = _parsed(source)
    if tree is None:
        return None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Name)
            and node.value.id == name
            and isinstance(node.targets[0], ast.Tuple | ast.List)
            and not any(isinstance(e, ast.Starred) for e in node.targets[0].elts)
        ):
            return [e.id if isinstance(e, ast.Name) else "" for e in node.targets[0].elts]
    return None


def others(source: str, name: str) -> list[str]:
    """The other values to try for ``name``: first those the code compares it with (``x == 3``: 3, 4 and 2;
    ``"%" in x``: a string holding ``%``), then the other values of its kind, values of the other kinds for a
    name the code checks with ``isinstance``, the dummy, and ``None`` (first, when the code checks it against
    ``None``)."""
    found = uses(source, name)
    chosen = kind(source, name)
    values = [*compared(source, name), *OTHERS[chosen]]
    if "checked" in found:
        values += [FIRST[k] for k in PRECEDENCE if k != chosen]
    if chosen != "dummy":
        values.append(FIRST["dummy"])
    values = list(dict.fromkeys(v for v in values if v != "None"))
    return ["None", *values] if "optional" in found else [*values, "None"]


def compared(source: str, name: str) -> list[str]:
    """Values that decide the comparisons the code makes of ``name`` with a constant: the constant itself,
    and for a number the numbers either side; a string holding the constant the code looks for in it."""
    tree = _parsed(source)
    if tree is None:
        return []
    found: dict[str, None] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare) or len(node.ops) != 1:
            continue
        left, right, op = node.left, node.comparators[0], node.ops[0]
        if isinstance(op, ast.In | ast.NotIn) and _named(right, name) and isinstance(left, ast.Constant):
            if isinstance(left.value, str):
                found[repr(f"a{left.value}b")] = None
            continue
        if (
            isinstance(op, ast.In | ast.NotIn)
            and _named(left, name)
            and isinstance(right, ast.Tuple | ast.List)
        ):
            found.update((repr(e.value), None) for e in right.elts if isinstance(e, ast.Constant))
            continue
        constant = right if _named(left, name) else left if _named(right, name) else None
        if not isinstance(constant, ast.Constant) or constant.value is None:
            continue
        value = constant.value
        found[repr(value)] = None
        if type(value) is int:
            found.update({repr(value + 1): None, repr(value - 1): None})
    return list(found)


@lru_cache(maxsize=32)
def _parsed(source: str) -> ast.Module | None:
    """``source`` parsed once for the many questions the rules ask of one fragment (None: it does not
    parse). The trees are only read."""
    try:
        return ast.parse(source)
    except SyntaxError:
        return None


def _named(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def uses(source: str, name: str) -> set[str]:
    """How ``source`` uses ``name``: the kinds it says (``type``, ``function``, ``string``, ``mapping``,
    ``strings`` (a sequence of strings), ``sequence``, ``iterator``, ``number``), and ``optional`` (compared
    with ``None``), ``checked`` (with ``isinstance``), ``called``."""
    tree = _parsed(source)
    if tree is None:
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        found |= _use(node, name)
    return found


def _use(node: ast.AST, name: str) -> set[str]:
    def named(item: ast.AST | None) -> bool:
        return item is not None and _named(item, name)

    if isinstance(node, ast.ClassDef) and any(named(b) for b in node.bases):
        return {"type"}
    if isinstance(node, ast.ExceptHandler) and (
        named(node.type) or (isinstance(node.type, ast.Tuple) and any(named(e) for e in node.type.elts))
    ):
        return {"type"}
    if isinstance(node, ast.Call) and named(node.func):
        return {"called"}
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return _called_with(node.func.id, node.args, named)
    if isinstance(node, ast.Attribute) and named(node.value):
        return _attribute(node.attr)
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Subscript)
        and named(node.value.value)
        and node.attr in STRING_METHODS
    ):
        return {"string"}  # name[0].upper(): a string (its items are strings)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "join"
        and isinstance(node.func.value, ast.Constant)
        and node.args
        and named(node.args[0])
    ):
        return {"strings"}
    if isinstance(node, ast.For | ast.comprehension) and named(node.iter):
        return {"sequence"}
    if isinstance(node, ast.Subscript) and named(node.value):
        key = node.slice
        return {"mapping"} if isinstance(key, ast.Constant) and isinstance(key.value, str) else {"sequence"}
    if isinstance(node, ast.Compare):
        return _compared(node, name)
    if isinstance(node, ast.BinOp):
        return _numeric([node.left, node.right], name)
    if isinstance(node, ast.AugAssign):
        return _numeric([node.target, node.value], name)
    return set()


def _called_with(func: str, args: list[ast.expr], named: Callable[[ast.AST | None], bool]) -> set[str]:
    """What a call of builtin ``func`` says of the name among ``args``."""
    if func in ("isinstance", "issubclass") and len(args) == 2:
        if named(args[1]):
            return {"type"}
        if named(args[0]):
            types = args[1].elts if isinstance(args[1], ast.Tuple) else [args[1]]
            kinds = [TYPE_KINDS[t.id] for t in types if isinstance(t, ast.Name) and t.id in TYPE_KINDS]
            return {"checked", kinds[0]} if kinds else {"checked"}
        return set()
    if func in NUMBER_CALLS and any(named(a) for a in args):
        return {"number"}
    if func in SEQUENCE_CALLS and args and named(args[0]):
        return {"sequence"}
    if func in ("map", "filter") and len(args) > 1 and any(named(a) for a in args[1:]):
        return {"sequence"}
    if func == "next" and args and named(args[0]):
        return {"iterator"}
    return set()


def _attribute(attr: str) -> set[str]:
    """What reading attribute ``attr`` of the name says of it."""
    if attr in TYPE_ATTRIBUTES:
        return {"type"}
    if attr in FUNCTION_ATTRIBUTES:
        return {"function"}
    if attr in STRING_METHODS:
        return {"string"}
    if attr in MAPPING_METHODS:
        return {"mapping"}
    if attr in LIST_METHODS:
        return {"sequence"}
    return set()


def _compared(node: ast.Compare, name: str) -> set[str]:
    operands = [node.left, *node.comparators]
    if any(_named(o, name) for o in operands) and any(
        isinstance(o, ast.Constant) and o.value is None for o in operands
    ):
        return {"optional"}
    if any(isinstance(op, ast.In | ast.NotIn) for op in node.ops) and any(
        _named(c, name) for c in node.comparators
    ):
        is_text = isinstance(node.left, ast.Constant) and isinstance(node.left.value, str)
        return {"string"} if is_text else {"sequence"}
    return _numeric(operands, name)


def _numeric(operands: list[ast.expr], name: str) -> set[str]:
    """A number, when ``name`` meets a number literal in an arithmetic or a comparison."""
    if any(isinstance(o, ast.Name) and o.id == name for o in operands) and any(
        isinstance(o, ast.Constant) and type(o.value) in (int, float) for o in operands
    ):
        return {"number"}
    return set()


def standard_home(name: str) -> str | None:
    """The import of ``name`` from the first of :data:`COMMON_MODULES` that defines it as a public function or
    class (``from math import perm``), or None."""
    return _homes().get(name)


@cache
def _homes() -> dict[str, str]:
    homes: dict[str, str] = {}
    for module_name in COMMON_MODULES:
        module = importlib.import_module(module_name)
        public = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
        for attr in public:
            value = getattr(module, attr, None)
            if (
                attr in homes
                or attr in vars(builtins)
                or len(attr) < 3
                or not (inspect.isclass(value) or inspect.isroutine(value))
            ):
                continue
            homes[attr] = f"from {module_name} import {attr}"
    return homes
