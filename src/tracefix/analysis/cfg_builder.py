"""Walk a function's AST and produce proto-blocks: one node per simple statement or compound header.

The walk keeps a stack of the enclosing constructs that redirect control (loops, ``try`` handlers, ``finally``
clauses and ``with`` statements). ``return``, ``break``, ``continue`` and exceptions are *jumps*: each one walks
that stack from the inside out until a construct takes it. A ``finally`` (or a ``with``, whose ``__exit__``
runs on its header line) takes every jump, runs, and then passes the same jump on outwards. Nodes are merged
into basic blocks afterwards (see ``cfg.py``); here each statement stands alone.

The line events CPython (3.11 to 3.13) reports decide a few shapes: the ``try:`` line has an event and joins
the first block of its body; ``else:``/``finally:`` have none; a ``with`` line is reported again when its
``__exit__`` runs (normal exit, return, break, continue or exception); each ``except`` clause is reported while
an exception is being matched; each ``except*`` clause runs after the previous one's body.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

EXIT = -1
"""Target of edges that leave the function (return, an uncaught exception, falling off the end)."""

Pending = tuple[int, str]
"""An edge whose source is known (node id, label) and whose target is the next thing built."""

# Labels of edges taken when something raises: they do not end a basic block.
EXCEPTIONAL = frozenset({"exception", "raise"})


@dataclass
class Node:
    """A proto-block: a statement or a header, with the lines it owns and its outgoing edges."""

    kind: str
    lines: set[int]
    scope: object
    """The innermost construct that catches exceptions here, or None (blocks merge only within one)."""
    out: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class _Loop:
    header: int
    breaks: list[Pending] = field(default_factory=list)


@dataclass
class _Handlers:
    """The body of a ``try`` with ``except`` clauses: exceptions go to the first clause."""

    raisers: list[Pending] = field(default_factory=list)


@dataclass
class _Finally:
    """A ``finally`` clause or a ``with`` exit: every jump passes through it first."""

    routed: list[tuple[list[Pending], str]] = field(default_factory=list)


_Context = _Loop | _Handlers | _Finally


class Builder:
    """Build the proto-blocks of one function; ``nodes[0]`` is where the function starts."""

    def __init__(self, source_lines: list[str]) -> None:
        self.nodes: list[Node] = []
        self._source_lines = source_lines
        self._stack: list[_Context] = []
        self._claimed: set[int] = set()
        self._carry_lines: set[int] = set()
        self._carry_kind: str | None = None

    # ----------------------------------------------------------------- public entry

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """Build the whole body; falling off its end leaves the function."""
        body = node.body[1:] if _is_docstring(node.body[0]) else node.body
        if not any(_has_code(stmt) for stmt in body):
            # CPython reports the implicit ``return None`` of a body without code on the def line
            lines = {node.lineno}.union(*(_stmt_lines(stmt) for stmt in node.body))
            self._connect([(self._new("body", lines, []), "exit")], EXIT)
            return
        exits = self._stmts(body, [])
        self._connect(exits, EXIT, relabel={"next": "exit"})

    # ----------------------------------------------------------------- plumbing

    def _new(self, kind: str, lines: range | set[int], incoming: list[Pending]) -> int:
        """Create a node owning ``lines`` (minus lines already owned), entered from ``incoming``."""
        own = (set(lines) | self._carry_lines) - self._claimed
        if kind == "body" and self._carry_kind:
            kind = self._carry_kind
        self._carry_lines, self._carry_kind = set(), None
        self._claimed |= own
        node_id = len(self.nodes)
        scope = self._catching()
        self.nodes.append(Node(kind, own, scope))
        self._connect(incoming, node_id)
        if isinstance(scope, _Handlers):
            scope.raisers.append((node_id, "exception"))
        elif isinstance(scope, _Finally):
            scope.routed.append(([(node_id, "exception")], "raise"))
        return node_id

    def _connect(self, pending: list[Pending], target: int, relabel: dict[str, str] | None = None) -> None:
        for source, label in pending:
            label = (relabel or {}).get(label, label)
            if (target, label) not in self.nodes[source].out:
                self.nodes[source].out.append((target, label))

    def _catching(self) -> _Handlers | _Finally | None:
        for ctx in reversed(self._stack):
            if isinstance(ctx, _Handlers | _Finally):
                return ctx
        return None

    def _jump(self, pending: list[Pending], kind: str) -> None:
        """Send a return/break/continue/raise to the innermost construct that takes it."""
        if not pending:
            return
        for ctx in reversed(self._stack):
            if isinstance(ctx, _Finally):
                ctx.routed.append((pending, kind))
                return
            if isinstance(ctx, _Handlers) and kind == "raise":
                ctx.raisers.extend(pending)
                return
            if isinstance(ctx, _Loop) and kind == "break":
                ctx.breaks.extend(pending)
                return
            if isinstance(ctx, _Loop) and kind == "continue":
                self._connect(pending, ctx.header)
                return
        self._connect(pending, EXIT)

    # ----------------------------------------------------------------- statements

    def _stmts(self, body: list[ast.stmt], incoming: list[Pending]) -> list[Pending]:
        for stmt in body:
            incoming = self._stmt(stmt, incoming)
        return incoming

    def _stmt(self, stmt: ast.stmt, incoming: list[Pending]) -> list[Pending]:
        handler = getattr(self, "_stmt_" + type(stmt).__name__, None)
        if handler is not None:
            result: list[Pending] = handler(stmt, incoming)
            return result
        node = self._new("body", _stmt_lines(stmt), incoming)
        if isinstance(stmt, ast.Assert):
            self._jump([(node, "raise")], "raise")
        return [(node, "next")]

    def _stmt_Global(self, stmt: ast.Global | ast.Nonlocal, incoming: list[Pending]) -> list[Pending]:
        return incoming  # a declaration: no code, no line event, no block

    _stmt_Nonlocal = _stmt_Global

    def _stmt_Return(self, stmt: ast.Return, incoming: list[Pending]) -> list[Pending]:
        self._jump([(self._new("body", _stmt_lines(stmt), incoming), "return")], "return")
        return []

    def _stmt_Raise(self, stmt: ast.Raise, incoming: list[Pending]) -> list[Pending]:
        self._jump([(self._new("body", _stmt_lines(stmt), incoming), "raise")], "raise")
        return []

    def _stmt_Break(self, stmt: ast.Break, incoming: list[Pending]) -> list[Pending]:
        self._jump([(self._new("body", _stmt_lines(stmt), incoming), "break")], "break")
        return []

    def _stmt_Continue(self, stmt: ast.Continue, incoming: list[Pending]) -> list[Pending]:
        self._jump([(self._new("body", _stmt_lines(stmt), incoming), "continue")], "continue")
        return []

    def _stmt_If(self, stmt: ast.If, incoming: list[Pending]) -> list[Pending]:
        kind = "elif" if self._source_at(stmt).startswith("elif") else "if"
        header = self._new(kind, _span(stmt.lineno, stmt.test), incoming)
        exits = self._stmts(stmt.body, [(header, "true")])
        return exits + self._stmts(stmt.orelse, [(header, "false")])

    def _stmt_While(self, stmt: ast.While, incoming: list[Pending]) -> list[Pending]:
        header = self._new("while", _span(stmt.lineno, stmt.test), incoming)
        always = isinstance(stmt.test, ast.Constant) and bool(stmt.test.value)
        return self._loop(stmt, header, [] if always else [(header, "false")])

    def _stmt_For(self, stmt: ast.For | ast.AsyncFor, incoming: list[Pending]) -> list[Pending]:
        header = self._new("for", _span(stmt.lineno, stmt.iter, stmt.target), incoming)
        return self._loop(stmt, header, [(header, "false")])

    _stmt_AsyncFor = _stmt_For

    def _loop(
        self, stmt: ast.For | ast.AsyncFor | ast.While, header: int, done: list[Pending]
    ) -> list[Pending]:
        loop = _Loop(header)
        self._stack.append(loop)
        body_exits = self._stmts(stmt.body, [(header, "true")])
        self._stack.pop()
        self._connect(body_exits, header, relabel={"next": "loop"})
        return self._stmts(stmt.orelse, done) + loop.breaks

    def _stmt_With(self, stmt: ast.With | ast.AsyncWith, incoming: list[Pending]) -> list[Pending]:
        parts = [part for item in stmt.items for part in (item.context_expr, item.optional_vars) if part]
        header = self._new("with", _span(stmt.lineno, *parts), incoming)
        exit_ctx = _Finally()
        self._stack.append(exit_ctx)
        body_exits = self._stmts(stmt.body, [(header, "next")])
        self._stack.pop()
        # __exit__ runs on the header line, whatever way the body is left
        self._connect(body_exits, header, relabel={"next": "finally"})
        self._pass_on(exit_ctx, header)
        return [(header, "next")] if body_exits else []

    _stmt_AsyncWith = _stmt_With

    def _pass_on(self, ctx: _Finally, through: int) -> None:
        """The jumps that went into a ``with`` exit (its header, ``through``) continue from there."""
        for pending, _kind in ctx.routed:
            self._connect(pending, through)
        for kind in dict.fromkeys(kind for _, kind in ctx.routed):
            self._jump([(through, "exception" if kind == "raise" else kind)], kind)

    def _stmt_Try(self, stmt: ast.Try | ast.TryStar, incoming: list[Pending]) -> list[Pending]:
        fin = _Finally() if stmt.finalbody else None
        if fin:
            self._stack.append(fin)
        handlers = _Handlers() if stmt.handlers else None
        if handlers:
            self._stack.append(handlers)
        self._carry_lines.add(stmt.lineno)
        self._carry_kind = "try"
        body_exits = self._stmts(stmt.body, incoming)
        if handlers:
            self._stack.pop()
        normal = self._stmts(stmt.orelse, body_exits)
        if handlers:
            normal += self._handlers(stmt, handlers)
        if fin is None:
            return normal
        self._stack.pop()
        return self._finally(stmt.finalbody, fin, normal)

    _stmt_TryStar = _stmt_Try

    def _handlers(self, stmt: ast.Try | ast.TryStar, handlers: _Handlers) -> list[Pending]:
        star = isinstance(stmt, ast.TryStar)
        unmatched = handlers.raisers
        exits: list[Pending] = []
        for handler in stmt.handlers:
            end = handler.type.end_lineno if handler.type else handler.lineno
            header = self._new("except", range(handler.lineno, (end or handler.lineno) + 1), unmatched)
            body_exits = self._stmts(handler.body, [(header, "true")])
            # except* clauses run one after the other: a body's end leads to the next clause
            unmatched = [(header, "exception"), *(body_exits if star else [])]
            exits = body_exits if star else exits + body_exits
        catch_all = stmt.handlers[-1].type is None
        if star:
            # what no clause handled is raised again after the last one; if all was handled, go on
            self._jump([(source, "exception") for source, _ in exits], "raise")
            exits = [*exits, (unmatched[0][0], "false")]
        if not catch_all:
            self._jump([(unmatched[0][0], "exception")], "raise")
        return exits

    def _finally(self, body: list[ast.stmt], fin: _Finally, normal: list[Pending]) -> list[Pending]:
        entry: list[Pending] = list(normal)
        for pending, _kind in fin.routed:
            entry.extend(pending)
        self._carry_kind = "finally"
        exits = self._stmts(body, entry)
        exit_sources = list(dict.fromkeys(source for source, _ in exits))
        if any(kind == "raise" for _, kind in fin.routed):
            self._reraise_line_quirk(body, exit_sources)
        for kind in dict.fromkeys(kind for _, kind in fin.routed):
            label = "exception" if kind == "raise" else kind
            self._jump([(source, label) for source in exit_sources], kind)
        return exits if normal else []

    def _reraise_line_quirk(self, body: list[ast.stmt], exit_sources: list[int]) -> None:
        """Python 3.11 reports the re-raise at the end of a finally clause on the line of the clause's last
        statement, even when the path skipped it (``finally: if f: f.close()`` with no ``f``): allow that move."""
        last = _last_simple(body)
        if isinstance(last, ast.Return | ast.Raise | ast.Break | ast.Continue):
            return
        owner = next(
            (i for i in reversed(range(len(self.nodes))) if last.lineno in self.nodes[i].lines), None
        )
        if owner is not None:
            self._connect([(source, "exception") for source in exit_sources if source != owner], owner)

    def _stmt_Match(self, stmt: ast.Match, incoming: list[Pending]) -> list[Pending]:
        subject = self._new("match", _span(stmt.lineno, stmt.subject), incoming)
        unmatched: list[Pending] = [(subject, "next")]
        exits: list[Pending] = []
        for case in stmt.cases:
            test_end = case.guard or case.pattern
            header = self._new("case", range(case.pattern.lineno, (test_end.end_lineno or 0) + 1), unmatched)
            exits += self._stmts(case.body, [(header, "case")])
            unmatched = [] if _irrefutable(case) else [(header, "nomatch")]
        return exits + unmatched

    def _source_at(self, node: ast.stmt) -> str:
        line = self._source_lines[node.lineno - 1] if node.lineno <= len(self._source_lines) else ""
        return line[node.col_offset :] if node.col_offset < len(line) else ""


def _last_simple(body: list[ast.stmt]) -> ast.stmt:
    """The statement whose code comes last when ``body`` is compiled."""
    last = body[-1]
    clauses: list[list[ast.stmt]] = []
    if isinstance(last, ast.If | ast.For | ast.AsyncFor | ast.While):
        clauses = [last.orelse, last.body]
    elif isinstance(last, ast.With | ast.AsyncWith):
        clauses = [last.body]
    elif isinstance(last, ast.Try | ast.TryStar):
        clauses = [last.finalbody, last.orelse, last.handlers[-1].body if last.handlers else [], last.body]
    elif isinstance(last, ast.Match):
        clauses = [last.cases[-1].body]
    inner = next((clause for clause in clauses if clause), None)
    return _last_simple(inner) if inner else last


def _stmt_lines(stmt: ast.stmt) -> range:
    first = stmt.lineno
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        first = min([first, *(d.lineno for d in stmt.decorator_list)])
    return range(first, (stmt.end_lineno or stmt.lineno) + 1)


def _span(first: int, *parts: ast.AST) -> range:
    return range(first, max(getattr(p, "end_lineno", None) or first for p in parts) + 1)


def _has_code(stmt: ast.stmt) -> bool:
    return not isinstance(stmt, ast.Global | ast.Nonlocal)


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _irrefutable(case: ast.match_case) -> bool:
    """A case that cannot fail: ``case _:`` or a bare capture, without a guard (also inside an or-pattern)."""
    return case.guard is None and _irrefutable_pattern(case.pattern)


def _irrefutable_pattern(pattern: ast.pattern) -> bool:
    if isinstance(pattern, ast.MatchAs):
        return pattern.pattern is None or _irrefutable_pattern(pattern.pattern)
    if isinstance(pattern, ast.MatchOr):
        return any(_irrefutable_pattern(p) for p in pattern.patterns)
    return False
