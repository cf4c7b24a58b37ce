"""The model-guided predictor (SelfPiCo's loop): the model writes each stand-in from the code, the error of the
last run and the stand-ins that failed before; a reply that gives no usable code falls back to the rules.

A usable reply is one ```python block that compiles and, for a missing name, binds that name. For a module the
model writes the module's code (the prompt lists what the fragment uses from it); for a call, the call
expression. Each stand-in the model wrote that did not get the run further is shown to it as tried, with the
error it gave.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from tracefix.execution.partial import prelude_names
from tracefix.models.base import Model
from tracefix.partial.fragment import Fragment
from tracefix.partial.reading import free_names, uses, why_not_run
from tracefix.partial.rules import Rules, standard_module
from tracefix.partial.standins import StandIn
from tracefix.records import GenParams, Missing, PartialRun, Usage
from tracefix.strategies.extract import code_blocks
from tracefix.strategies.templates import chat_as

EXPLORE_LIMIT = 2
"""Times the model is asked for other values after a run ended with lines not run."""
CALL_LIMIT = 10
"""Model calls per execution at most; past them, the rules answer."""
RETRY_TEMPERATURE = 0.8
"""A reply to the explore prompt that changes nothing is asked for once more, sampled at this temperature."""


@dataclass
class ModelPredictor:
    model: Model
    params: GenParams = field(default_factory=lambda: GenParams(max_tokens=384))
    rules: Rules = field(default_factory=Rules)
    name: str = "model"
    explore_limit: int = EXPLORE_LIMIT
    call_limit: int = CALL_LIMIT
    calls: int = 0
    usage: Usage = field(default_factory=Usage)
    fallbacks: int = 0
    """Stand-ins the rules gave because the model's reply had no usable code."""
    failures: dict[tuple[str, str], list[tuple[str, str]]] = field(default_factory=dict)
    """What the model wrote for each thing and the error it then gave (shown to it as tried)."""

    def call(
        self, fragment: Fragment, run: PartialRun | None = None, tried: list[str] | None = None
    ) -> str | None:
        assert fragment.function is not None
        if self.calls >= self.call_limit:
            return self.rules.call(fragment, run, tried)
        owner = fragment.function.rpartition(".")[0]
        past = self.failures.setdefault(("call", fragment.function), [])
        if run is not None and tried:
            past.append((tried[-1], _said(run)))
        text = self._ask(
            "partial_call",
            source=fragment.source,
            function=fragment.function,
            owner=owner,
            supplied="",
            tried=past,
        )
        code = _first_block(text)
        call = code.strip() if code is not None else ""
        if call and _is_expression(call) and call not in (tried or []):
            return call
        self.fallbacks += 1
        return self.rules.call(fragment, run, tried)

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
        if (missing.kind == "stand-in" and not missing.name) or self.calls >= self.call_limit:
            return self.rules.standin(fragment, missing, run, tried)  # nothing to ask about, or no calls left
        kind, name = _target(missing)
        past = self.failures.setdefault((kind, name), [])
        previous = next(
            (t for t in reversed(tried) if t.kind == kind and t.name == name and t.by == "model"), None
        )
        if previous is not None:
            past.append((previous.code.strip().replace("\n", "; ")[:200], _said(run)))
        if len(past) >= 3:  # three stand-ins of the model failed for this thing: the rules' turn
            self.fallbacks += 1
            return self.rules.standin(fragment, missing, run, tried)
        text = self._ask(
            "partial_standin",
            source=fragment.source,
            call=call,
            supplied=supplied,
            line=run.error.line if run.error else "?",
            line_code=_line(fragment.source, run.error.line if run.error else None),
            error=_said(run),
            ask=f"{_ask(fragment.source, missing, kind, name)} {RUNS_BEFORE}",
            tried=past,
        )
        code = _first_block(text)
        if code is not None and _fits(code, kind, name):
            return StandIn(kind=kind, name=name, code=code, by="model")
        self.fallbacks += 1
        return self.rules.standin(fragment, missing, run, tried)

    def prefix(self, fragment: Fragment) -> tuple[list[StandIn], str | None] | None:
        """Before the first run (Treefix's prefix): every name the code reads and does not define, and the
        call, written at once so that they fit together; None when there is nothing to write or no usable
        reply."""
        names = free_names(fragment.source)
        modules = [n for n in names if standard_module(n)]
        imported = [StandIn(kind="name", name=n, code=f"import {n}\n", by="rules") for n in modules]
        asked = [n for n in names if n not in modules]
        if not asked and fragment.function is None:
            return (imported, None) if imported else None
        used = [(name, uses(fragment.source, name)) for name in asked]
        text = self._ask(
            "partial_prefix", source=fragment.source, used=used, function=fragment.function or ""
        )
        own = prelude_names(fragment.source)
        found = _definitions(text, asked, with_call=fragment.function is not None, own=own)
        if found is None:
            return (imported, None) if imported else None
        return [*imported, *found[0]], found[1]

    def explore(
        self, fragment: Fragment, missed: list[int], names: list[StandIn], call: str, executed: list[int]
    ) -> tuple[list[StandIn], str | None] | None:
        """Other values for the supplied names (and another call), so that the first of the ``missed`` lines
        runs (the branch that kept it from running, said); None when the reply revises nothing."""
        if (not names and not call) or self.calls >= self.call_limit:
            return None
        target = missed[0]
        reasons = why_not_run(fragment.source, executed, [target])
        values = {
            "source": fragment.source,
            "supplied": "\n".join(s.code.rstrip() for s in names) or "# nothing",
            "call": call,
            "function": fragment.function or "",
            "line": target,
            "line_code": _line(fragment.source, target),
            "why": reasons[0] if reasons else "",
        }
        wanted = [s.name for s in names] + [
            n for n in free_names(fragment.source) if n not in {s.name for s in names}
        ]
        known = {s.name: s.code for s in names}
        for params in (self.params, self.params.model_copy(update={"temperature": RETRY_TEMPERATURE})):
            found = _definitions(
                self._ask("partial_explore", params=params, **values),
                wanted,
                with_call=bool(call),
                own=prelude_names(fragment.source),
            )
            if found is None:
                continue
            revised = [s for s in found[0] if s.code != known.get(s.name)]
            new_call = found[1] if found[1] != call else None
            if revised or new_call:
                return revised, new_call
        return None

    def _ask(self, template: str, params: GenParams | None = None, **values: object) -> str:
        reply = self.model.complete(chat_as("partial_system", template, **values), params or self.params)
        self.calls += 1
        self.usage = self.usage + reply.usage
        return reply.text


def _definitions(
    text: str, names: list[str], *, with_call: bool, own: set[str] | None = None
) -> tuple[list[StandIn], str | None] | None:
    """From a reply: a stand-in for each of ``names`` it defines (its statement, after the reply's imports),
    and with ``with_call`` the call on its last line, with the names the call reads that the reply defines;
    ``own`` are the names the code defines itself (a copy of them in the reply is not a stand-in). None when
    the reply has no code that parses."""
    code = _first_block(text)
    if code is None:
        return None
    try:
        body = ast.parse(code).body
    except SyntaxError:
        return None
    call = None
    if with_call and body and isinstance(body[-1], ast.Expr) and isinstance(body[-1].value, ast.Call):
        call = ast.get_source_segment(code, body[-1]) or None
        body = body[:-1]
    imports = [
        ast.get_source_segment(code, n) or "" for n in body if isinstance(n, ast.Import | ast.ImportFrom)
    ]
    wanted = set(names)
    if call is not None:  # the values the call passes, defined in the reply before it
        wanted |= {n.id for n in ast.walk(ast.parse(call)) if isinstance(n, ast.Name)} - (own or set())
    made: dict[str, StandIn] = {}
    for node in body:
        segment = ast.get_source_segment(code, node) or ""
        for name in sorted(prelude_names(segment) & wanted):
            text_of = "\n".join(dict.fromkeys([*imports, segment])).strip() + "\n"
            made[name] = StandIn(kind="name", name=name, code=text_of, by="model")
    return list(made.values()), call


def _target(missing: Missing) -> tuple[str, str]:
    """The stand-in's kind and name for ``missing``: a value that did not fit is written anew as a name."""
    if missing.kind == "attribute":
        return "attribute", f"{missing.owner}.{missing.name}"
    if missing.kind == "stand-in":
        return "name", missing.name
    return missing.kind, missing.name


def _ask(source: str, missing: Missing, kind: str, name: str) -> str:
    if missing.kind == "module":
        used = ", ".join(f"`{u}`" for u in module_uses(source, name)) or "whatever it uses"
        return (
            f"The module `{name}` is not installed. Write the code of a small stand-in module for it, in plain "
            f"Python, that provides what this code uses from it: {used}."
        )
    if missing.kind == "attribute":
        return (
            f"The stand-in module `{missing.owner}` has no `{missing.name}`. Write code, to run inside that "
            f"module, that defines `{missing.name}` as this code uses it."
        )
    if missing.kind == "stand-in":
        return (
            f"The value supplied for `{name}` does not fit how the code uses it. Write new code that defines "
            f"`{name}` so that this line and the rest of the code can run."
        )
    return (
        f"`{name}` is not defined. Write code that defines `{name}` with a realistic value or a small "
        f"definition, as this code uses it. Define nothing else."
    )


RUNS_BEFORE = (
    "Your code runs at module level before this code, so it cannot use this code's local variables or "
    "parameters."
)


def module_uses(source: str, module: str) -> list[str]:
    """What ``source`` takes from ``module``: the names it imports from it and the attributes it reads."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    aliases = {module}
    used: dict[str, None] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == module:
            used.update((a.name, None) for a in node.names)
        elif isinstance(node, ast.Import):
            aliases.update(a.asname for a in node.names if a.name == module and a.asname)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            used.setdefault(node.attr, None)
    return list(used)


def _said(run: PartialRun) -> str:
    if run.error is None:
        return run.stopped or "it ran"
    return f"{run.error.type}: {run.error.message}" if run.error.message else run.error.type


def _line(source: str, line: int | None) -> str:
    lines = source.splitlines()
    return lines[line - 1].strip() if line and 0 < line <= len(lines) else ""


def _first_block(text: str) -> str | None:
    """The reply's first python block, or the whole reply when it has no fence and compiles."""
    blocks = code_blocks(text)
    if blocks and blocks[0].strip():
        return blocks[0].strip() + "\n"
    try:
        compile(text, "<reply>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return None
    return text.strip() + "\n" if text.strip() else None


def _is_expression(code: str) -> bool:
    try:
        ast.parse(code.strip(), mode="eval")
    except SyntaxError:
        return False
    return True


def _fits(code: str, kind: str, name: str) -> bool:
    """The reply compiles and, for a name, binds it."""
    try:
        compile(code, "<stand-in>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    if kind == "name":
        return name in prelude_names(code)
    return True
