"""The rule-based predictor, without a model: LExecutor's idea of a permissive dummy for whatever is missing,
with a typed guess where the fragment's own code says how a name is used.

- a name that is a standard module's (``re``, ``os``, ``operator``) imports that module;
- a name used as a type (a base class, the second argument of ``isinstance``/``issubclass``, an ``except``
  clause) or spelled like a class (``Config``) becomes a stand-in class; a name the fragment compares with a
  number, does arithmetic on with a number, or passes to ``range`` becomes ``1``; a name whose string methods
  it calls (``name.split()``) becomes ``"a"``; any other name becomes the permissive dummy;
- a module that is not installed becomes a permissive stand-in module (any attribute is a stand-in class);
- an attribute a stand-in module lacks becomes a stand-in class of that name;
- a stand-in whose value made a line fail becomes the permissive dummy;
- the function under test is called with a dummy for each parameter without a default.
"""

from __future__ import annotations

import ast
import sys

from tracefix.partial.fragment import Fragment
from tracefix.partial.standins import StandIn
from tracefix.records import Missing, PartialRun

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
    ]
)
NUMBER_CALLS = frozenset({"range"})


class Rules:
    name = "rules"

    def call(
        self, fragment: Fragment, run: PartialRun | None = None, tried: list[str] | None = None
    ) -> str | None:
        """The call of the function under test: a dummy for each parameter without a default (None: none
        better than those already tried)."""
        assert fragment.function is not None
        call = rule_call(fragment)
        return None if tried and call in tried else call

    def standin(
        self,
        fragment: Fragment,
        missing: Missing,
        run: PartialRun,
        tried: list[StandIn],
        *,
        supplied: str = "",
        call: str = "",
    ) -> StandIn | None:
        """A stand-in for ``missing`` (None: no rule gives one that was not tried)."""
        made = rule_standin(fragment.source, missing)
        if made is None or any(
            t.kind == made.kind and t.name == made.name and t.code == made.code for t in tried
        ):
            return None
        return made


def rule_call(fragment: Fragment) -> str:
    assert fragment.function is not None
    node = ast.parse(fragment.source)
    found = _definition(node, fragment.function)
    required = 0
    if found is not None:
        args = found.args
        positional = [*args.posonlyargs, *args.args]
        required = len(positional) - len(args.defaults)
        keywords = [a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None]
    else:
        keywords = []
    parts = ["_TracefixStandIn()"] * required + [f"{k}=_TracefixStandIn()" for k in keywords]
    return f"{fragment.function}({', '.join(parts)})"


def rule_standin(source: str, missing: Missing) -> StandIn | None:
    if missing.kind == "module":
        return StandIn(kind="module", name=missing.name, code="", by="rules")
    if missing.kind == "attribute":
        code = f"{missing.name} = _tracefix_class({missing.name!r})"
        return StandIn(kind="attribute", name=f"{missing.owner}.{missing.name}", code=code, by="rules")
    if missing.kind == "name":
        return StandIn(kind="name", name=missing.name, code=name_code(source, missing.name), by="rules")
    if missing.kind == "stand-in" and missing.name.isidentifier():
        return StandIn(
            kind="name", name=missing.name, code=f"{missing.name} = _TracefixStandIn()", by="rules"
        )
    return None


def standard_module(name: str) -> bool:
    """``name`` is a public module of the standard library (``re``, ``os``, ``operator``)."""
    return name in sys.stdlib_module_names and not name.startswith("_")


def name_code(source: str, name: str) -> str:
    """The code binding a missing ``name``: the standard module of that name, imported (``os``, ``re``,
    ``operator``: lifted code often uses one its module imported), else the value :func:`guess` gives."""
    if standard_module(name):
        return f"import {name}"
    return f"{name} = {guess(source, name)}"


def guess(source: str, name: str) -> str:
    """The value a missing ``name`` gets, from how ``source`` uses it."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return "_TracefixStandIn()"
    uses = _uses(tree, name)
    if "type" in uses or (name[:1].isupper() and not name.isupper()):
        return f"_tracefix_class({name!r})"
    if "number" in uses:
        return "1"
    if "string" in uses:
        return '"a"'
    return "_TracefixStandIn()"


def _uses(tree: ast.AST, name: str) -> set[str]:
    def named(node: ast.AST | None) -> bool:
        return isinstance(node, ast.Name) and node.id == name

    uses: set[str] = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.ClassDef) and any(named(b) for b in node.bases)) or (
            isinstance(node, ast.ExceptHandler)
            and (
                named(node.type)
                or (isinstance(node.type, ast.Tuple) and any(named(e) for e in node.type.elts))
            )
        ):
            uses.add("type")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in ("isinstance", "issubclass") and len(node.args) == 2 and named(node.args[1]):
                uses.add("type")
            if node.func.id in NUMBER_CALLS and any(named(a) for a in node.args):
                uses.add("number")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and named(node.func.value):
            if node.func.attr in STRING_METHODS:
                uses.add("string")
        elif isinstance(node, ast.BinOp | ast.Compare | ast.AugAssign):
            operands = (
                [node.left, node.right]
                if isinstance(node, ast.BinOp)
                else [node.left, *node.comparators]
                if isinstance(node, ast.Compare)
                else [node.target, node.value]
            )
            if any(named(o) for o in operands) and any(
                isinstance(o, ast.Constant) and type(o.value) in (int, float) for o in operands
            ):
                uses.add("number")
    return uses


def _definition(tree: ast.Module, qualname: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    scope: list[ast.stmt] = tree.body
    *owners, last = qualname.split(".")
    for owner in owners:
        cls = next((n for n in scope if isinstance(n, ast.ClassDef) and n.name == owner), None)
        if cls is None:
            return None
        scope = cls.body
    return next(
        (n for n in scope if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == last), None
    )
