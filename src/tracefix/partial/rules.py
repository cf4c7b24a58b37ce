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
from dataclasses import dataclass, field

from tracefix.execution.partial import feeding, flows
from tracefix.partial import guesses
from tracefix.partial.fragment import Fragment
from tracefix.partial.reading import gates
from tracefix.partial.standins import StandIn
from tracefix.records import Missing, PartialRun

DUMMY = guesses.FIRST["dummy"]
EXPLORE_LIMIT = 30
"""Times the rules try another value after a run ended with lines not run."""


@dataclass
class Rules:
    name: str = "rules"
    explore_limit: int = EXPLORE_LIMIT
    tried_values: set[tuple[str, str]] = field(default_factory=set)
    """The (name, value) pairs :meth:`explore` gave."""

    def call(
        self, fragment: Fragment, run: PartialRun | None = None, tried: list[str] | None = None
    ) -> str | None:
        """The call of the function under test: each parameter without a default gets its guess, then the
        dummy (None: none left that was not tried)."""
        assert fragment.function is not None
        for call in (rule_call(fragment), rule_call(fragment, typed=False)):
            if call not in (tried or []):
                return call
        return None

    def explore(
        self, fragment: Fragment, missed: list[int], names: list[StandIn], call: str, executed: list[int]
    ) -> tuple[list[StandIn], str | None] | None:
        """Another value for one input (a supplied name or a parameter of the call), so that a line that never
        ran may run: first the inputs that feed the conditions keeping the ``missed`` lines from running,
        then the others; each input's other values in turn (:func:`guesses.others`). None: all were tried."""
        parameters = [p for p in fragment.parameters if p not in ("self", "cls")] if call else []
        packed = fragment.packed if call else {}
        valued = [s.name for s in names if s.code.startswith(f"{s.name} = ")]
        inputs = [
            n for n in [*valued, *parameters, *packed] if "called" not in guesses.uses(fragment.source, n)
        ]
        read = {
            n.id for test in gates(fragment.source, executed, missed) for n in ast.walk(test)
            if isinstance(n, ast.Name)
        }  # fmt: skip
        fed = [n for n in feeding(fragment.source, read) if n in inputs]
        for name in dict.fromkeys([*fed, *inputs]):
            if guesses.kind(fragment.source, name) == "type":
                continue
            for value in PACKED[packed[name]] if name in packed else guesses.others(fragment.source, name):
                if (name, value) in self.tried_values:
                    continue
                self.tried_values.add((name, value))
                if name in valued:
                    return [StandIn(kind="name", name=name, code=f"{name} = {value}", by="rules")], None
                changed = with_argument(fragment, call, name, value, packed.get(name))
                if changed is not None and changed != call:
                    return [], changed
        return None

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
        """A stand-in for ``missing`` (None: no rule gives one that was not tried). A value that did not fit
        on a line that reads only what the fragment computed from it (``sig`` of ``for sig in sigs``, with
        ``sigs = signatures[func]``) is blamed on the supplied names it came from, nearest first: the first
        of them not yet the dummy becomes the dummy."""
        if missing.kind == "stand-in" and missing.name:
            values = {t.name: t.code for t in tried if t.kind == "name" and t.code.startswith(f"{t.name} = ")}
            if missing.name not in values:
                roots = [n for n in feeding(fragment.source, {missing.name}) if n in values]
                root = next((n for n in roots if values[n] != f"{n} = {DUMMY}"), None)
                if root is not None:
                    return StandIn(kind="name", name=root, code=f"{root} = {DUMMY}", by="rules")
                assigned = {b for _, bound in flows(fragment.source) for b in bound}
                if missing.name in assigned | set(fragment.parameters):
                    return None  # the code binds it itself: a value of its own would not be read
        for made in rule_standins(fragment.source, missing):
            if not any(t.kind == made.kind and t.name == made.name and t.code == made.code for t in tried):
                return made
        return None


def with_argument(
    fragment: Fragment, call: str, parameter: str, value: str, packed: str | None = None
) -> str | None:
    """``call`` with ``parameter`` given ``value`` (positionally where the call passes it so, else by keyword;
    ``packed``: the ``*args`` or ``**kwargs`` parameter, given ``*value`` or ``**value``); None when the call is
    not a plain call of the function."""
    try:
        node = ast.parse(call, mode="eval").body
        new = ast.parse(value, mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(node, ast.Call):
        return None
    if packed == "*":
        node.args = [a for a in node.args if not isinstance(a, ast.Starred)] + [ast.Starred(new, ast.Load())]
        return ast.unparse(node)
    if packed == "**":
        node.keywords = [k for k in node.keywords if k.arg is not None] + [ast.keyword(None, new)]
        return ast.unparse(node)
    if parameter not in fragment.parameters:
        return None
    index = fragment.parameters.index(parameter)
    if index < len(node.args) and not any(isinstance(a, ast.Starred) for a in node.args[: index + 1]):
        node.args[index] = new
    else:
        node.keywords = [k for k in node.keywords if k.arg != parameter] + [ast.keyword(parameter, new)]
    return ast.unparse(node)


PACKED: dict[str, tuple[str, ...]] = {"*": ("[1]", "[3, 1, 2]"), "**": ('{"a": 1}', '{"a": None, "b": ""}')}
"""The values the rules pass for a function's ``*args`` and ``**kwargs`` (none, at first)."""


def rule_call(fragment: Fragment, *, typed: bool = True) -> str:
    assert fragment.function is not None
    node = ast.parse(fragment.source)
    found = _definition(node, fragment.function)
    required = 0
    if found is not None:
        args = found.args
        positional = [a.arg for a in (*args.posonlyargs, *args.args)]
        required = len(positional) - len(args.defaults)
        keywords = [a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None]
    else:
        positional, keywords = [], []

    def argument(parameter: str) -> str:
        return _argument(fragment.source, parameter) if typed else DUMMY

    parts = [argument(p) for p in positional[:required]] + [f"{k}={argument(k)}" for k in keywords]
    return f"{fragment.function}({', '.join(parts)})"


def _argument(source: str, parameter: str) -> str:
    """The value a parameter gets: ``self`` and ``cls`` the dummy, others their guess from use."""
    if parameter in ("self", "cls"):
        return DUMMY
    return guesses.first(source, parameter)


def rule_standins(source: str, missing: Missing) -> list[StandIn]:
    """The stand-ins the rules have for ``missing``, to try in order. A value that did not fit gets its
    guess from use (an import of a standard module named like a string the code splits is not it), then the
    dummy."""
    name = missing.name
    if missing.kind == "module":
        return [StandIn(kind="module", name=name, code="", by="rules")]
    if missing.kind == "attribute":
        code = f"{name} = _tracefix_class({name!r})"
        return [StandIn(kind="attribute", name=f"{missing.owner}.{name}", code=code, by="rules")]
    if missing.kind == "name":
        return [StandIn(kind="name", name=name, code=name_code(source, name), by="rules")]
    if missing.kind == "stand-in" and name.isidentifier():
        codes = dict.fromkeys([f"{name} = {guesses.first(source, name)}", f"{name} = {DUMMY}"])
        return [StandIn(kind="name", name=name, code=code, by="rules") for code in codes]
    return []


def standard_module(name: str) -> bool:
    """``name`` is a public module of the standard library (``re``, ``os``, ``operator``)."""
    return name in sys.stdlib_module_names and not name.startswith("_")


def name_code(source: str, name: str) -> str:
    """The code binding a missing ``name``: the standard module of that name, imported (``os``, ``re``,
    ``operator``: lifted code often uses one its module imported), else the value :func:`guess` gives."""
    if standard_module(name):
        return f"import {name}"
    home = guesses.standard_home(name)
    if home is not None and guesses.kind(source, name) in ("dummy", "type"):
        return home
    return f"{name} = {guesses.first(source, name)}"


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
