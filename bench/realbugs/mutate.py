"""Single-line mutants of the six bug kinds of HumanEvalFix, made by a small AST mutator.

Why not mutmut or cosmic-ray (both were looked at, mutmut 3.8.1 and cosmic-ray 8.7.0): they are built to
mutate a whole project and run its suite themselves. mutmut rewrites every function of a file into a
trampoline plus one copy per mutation (the mutated tree is not the library's source with one line changed),
and its operators (``"foo"`` -> ``"XXfooXX"``, ``x`` -> ``None``, ...) carry no bug kind. cosmic-ray needs a
config, a session database and its own runner (thirteen dependencies: aiohttp, sqlalchemy, gitpython, ...);
its operators do map to some kinds (binary/comparison operator replacement, number replacer, boolean
replacer) but it has nothing for function misuse or excess logic, and its variable replacer needs the
variable named in advance. Neither says which line changed in a form a benchmark can compare against.

This mutator works on one module's text: it parses it, walks the bodies of its top-level functions and of
the methods of its top-level classes (the functions the repository mode can fix), and makes each mutation as
a text edit of one line (columns from the AST), so the rest of the file stays byte for byte. Each
:class:`Mutation` says its kind, the line before and after (``None`` after: the line was deleted) and the
function it is in. The kinds, as HumanEvalFix names them:

- operator misuse: ``+``/``-``, ``*``/``/``/``//``, ``<``/``<=``, ``==``/``!=``, ``in``/``not in``,
  ``is``/``is not``, ``and``/``or``, ``+=``/``-=`` ...
- value misuse: an integer literal off by one, ``True``/``False``, a short string literal changed
  (``""``/``" "``, ``"-"``/``"_"`` ...)
- variable misuse: a local variable read replaced by another local variable of the function
- function misuse: a call of a sibling function (``min``/``max``, ``any``/``all``, ``startswith``/``endswith``,
  ``bisect_left``/``bisect_right``, ``keys``/``values`` ...)
- missing logic: an operand of ``and``/``or`` dropped, a keyword argument dropped, a statement deleted
- excess logic: an extra condition (``if x:`` -> ``if x and y:``), an extra ``+ 1``/``- 1`` term

Mutations are listed in a fixed order; a seeded :class:`random.Random` picks among them (see generate.py).
"""

from __future__ import annotations

import ast
import builtins
import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass

KINDS = (
    "operator misuse",
    "value misuse",
    "variable misuse",
    "function misuse",
    "missing logic",
    "excess logic",
)

BINOP_SWAPS: dict[type[ast.operator], list[type[ast.operator]]] = {
    ast.Add: [ast.Sub],
    ast.Sub: [ast.Add],
    ast.Mult: [ast.FloorDiv, ast.Add],
    ast.Div: [ast.Mult, ast.FloorDiv],
    ast.FloorDiv: [ast.Div, ast.Mult],
    ast.Mod: [ast.FloorDiv],
    ast.Pow: [ast.Mult],
    ast.BitAnd: [ast.BitOr],
    ast.BitOr: [ast.BitAnd],
    ast.LShift: [ast.RShift],
    ast.RShift: [ast.LShift],
}
BINOP_TEXT: dict[type[ast.operator], str] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%",
    ast.Pow: "**", ast.BitAnd: "&", ast.BitOr: "|", ast.LShift: "<<", ast.RShift: ">>",
}  # fmt: skip
CMP_SWAPS: dict[type[ast.cmpop], list[type[ast.cmpop]]] = {
    ast.Lt: [ast.LtE, ast.Gt],
    ast.LtE: [ast.Lt],
    ast.Gt: [ast.GtE, ast.Lt],
    ast.GtE: [ast.Gt],
    ast.Eq: [ast.NotEq],
    ast.NotEq: [ast.Eq],
    ast.Is: [ast.IsNot],
    ast.IsNot: [ast.Is],
    ast.In: [ast.NotIn],
    ast.NotIn: [ast.In],
}
CMP_TEXT: dict[type[ast.cmpop], str] = {
    ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
    ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in",
}  # fmt: skip
STRING_SWAPS = {"": " ", " ": "", "-": "_", "_": "-", ",": ";", ", ": ",", ".": ",", ":": ";"}
FUNCTION_SWAPS = {
    "min": "max", "max": "min", "any": "all", "all": "any", "sorted": "reversed", "reversed": "sorted",
    "floor": "ceil", "ceil": "floor", "map": "filter", "filter": "map", "takewhile": "dropwhile",
    "dropwhile": "takewhile", "round": "int", "str": "repr", "repr": "str", "bisect_left": "bisect_right",
    "bisect_right": "bisect_left", "bisect": "bisect_left", "permutations": "combinations",
    "combinations": "permutations", "zip_longest": "zip", "list": "set", "tuple": "list",
}  # fmt: skip
METHOD_SWAPS = {
    "startswith": "endswith", "endswith": "startswith", "lower": "upper", "upper": "lower",
    "lstrip": "rstrip", "rstrip": "lstrip", "strip": "rstrip", "find": "rfind", "rfind": "find",
    "split": "rsplit", "rsplit": "split", "partition": "rpartition", "rpartition": "partition",
    "append": "extend", "extend": "append", "appendleft": "append", "popleft": "pop", "keys": "values",
    "values": "keys", "isdigit": "isalpha", "isalpha": "isdigit", "isupper": "islower", "islower": "isupper",
    "title": "capitalize", "capitalize": "title", "ljust": "rjust", "rjust": "ljust",
    "issubset": "issuperset", "issuperset": "issubset", "union": "intersection", "intersection": "union",
    "floor": "ceil", "ceil": "floor", "bisect_left": "bisect_right", "bisect_right": "bisect_left",
    "takewhile": "dropwhile", "dropwhile": "takewhile", "permutations": "combinations",
    "combinations": "permutations", "add": "discard", "remove": "discard",
}  # fmt: skip
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Mutation:
    """One single-line change of a module."""

    kind: str
    line: int
    """1-based line number."""
    original: str
    """The line as it was (no newline)."""
    mutated: str | None
    """The line as it becomes, or None when the line is deleted."""
    function: str
    """The top-level function or ``Class.method`` the line is in."""
    operator: str
    """What changed, briefly (``Lt -> LtE``, ``drop operand 2 of And``, ``delete Expr`` ...)."""
    in_while: bool = False
    """The line is in a ``while`` loop (its test or body): a mutant that may never end."""

    def apply(self, source: str) -> str:
        lines = source.splitlines(keepends=True)
        old = lines[self.line - 1]
        if old.rstrip("\r\n") != self.original:
            raise ValueError(f"line {self.line} is not {self.original!r}")
        if self.mutated is None:
            del lines[self.line - 1]
        else:
            lines[self.line - 1] = self.mutated + old[len(old.rstrip("\r\n")) :]
        return "".join(lines)


def functions(tree: ast.Module) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Top-level functions and methods of top-level classes, with their names as the repository mode says them."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node.name, node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    yield f"{node.name}.{item.name}", item


def module_names(tree: ast.Module) -> set[str]:
    """Names a module's functions can call: builtins, imports and top-level definitions."""
    names = set(dir(builtins))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


class _Module:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tree = ast.parse(source)
        self.lines = source.splitlines()
        self.raw = [line.encode("utf-8") for line in self.lines]
        self.names = module_names(self.tree)
        self.docstrings: set[int] = set()
        """ids of docstring statements and of their constants."""
        for node in ast.walk(self.tree):
            if (
                isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                and node.body
            ):
                first = node.body[0]
                value = first.value if isinstance(first, ast.Expr) else None
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    self.docstrings.update((id(first), id(value)))

    def segment(self, node: ast.AST) -> str | None:
        """The node's text when it is on one line, else None."""
        if getattr(node, "lineno", None) is None or node.lineno != node.end_lineno:  # type: ignore[attr-defined]
            return None
        raw = self.raw[node.lineno - 1]  # type: ignore[attr-defined]
        return raw[node.col_offset : node.end_col_offset].decode("utf-8")  # type: ignore[attr-defined]

    def edit(self, line: int, start: int, end: int, text: str) -> str:
        """Line ``line`` with bytes ``start:end`` replaced by ``text``."""
        raw = self.raw[line - 1]
        return (raw[:start] + text.encode("utf-8") + raw[end:]).decode("utf-8")

    def gap(self, left: ast.AST, right: ast.AST) -> tuple[int, int, int] | None:
        """(line, start, end) of the text between two nodes on one line."""
        if left.end_lineno != right.lineno:  # type: ignore[attr-defined]
            return None
        return right.lineno, left.end_col_offset, right.col_offset  # type: ignore[attr-defined]

    def replace_in_gap(self, left: ast.AST, right: ast.AST, old: str, new: str) -> tuple[int, str] | None:
        """Replace the operator ``old`` between ``left`` and ``right`` (only parentheses and spaces besides)."""
        where = self.gap(left, right)
        if where is None:
            return None
        line, start, end = where
        text = self.raw[line - 1][start:end].decode("utf-8")
        match = re.search(r"\s+".join(re.escape(word) for word in old.split(" ")), text)
        if match is None or (text[: match.start()] + text[match.end() :]).strip("() \t"):
            return None
        return line, self.edit(line, start, end, text[: match.start()] + new + text[match.end() :])


class _Function:
    """The variables of one function: parameters and names it assigns, with the first line each is bound."""

    def __init__(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.node = node
        self.bound: dict[str, int] = {}
        args = node.args
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None:
                self.bound.setdefault(arg.arg, node.lineno)
        in_comprehension = set()
        for sub in ast.walk(node):
            if isinstance(sub, ast.comprehension):
                in_comprehension.update(id(n) for n in ast.walk(sub.target))
        for sub in ast.walk(node):
            if (
                isinstance(sub, ast.Name)
                and isinstance(sub.ctx, ast.Store)
                and id(sub) not in in_comprehension
            ):
                self.bound[sub.id] = min(self.bound.get(sub.id, sub.lineno), sub.lineno)

    def before(self, line: int, *, exclude: set[str]) -> list[str]:
        """Variables bound before ``line`` (parameters included), ``self`` and ``cls`` left out."""
        return sorted(
            name
            for name, first in self.bound.items()
            if first < line
            and name not in exclude
            and name not in ("self", "cls")
            and not name.startswith("__")
        )


def mutations(source: str, *, lines: set[int] | None = None) -> list[Mutation]:
    """Every single-line mutation of the functions of ``source`` (on ``lines`` only, when given), in order."""
    module = _Module(source)
    found: dict[tuple[int, str | None], Mutation] = {}
    for qualname, node in functions(module.tree):
        if lines is not None and not any(node.lineno <= line <= (node.end_lineno or 0) for line in lines):
            continue
        function = _Function(node)
        span = _Span(module, node)
        loops = {
            line
            for sub in ast.walk(node)
            if isinstance(sub, ast.While)
            for line in range(sub.lineno, (sub.end_lineno or sub.lineno) + 1)
        }
        body = [node, *(sub for stmt in node.body for sub in ast.walk(stmt))]
        for sub in body:
            for kind, operator, line, mutated in _mutate(module, function, sub):
                if lines is not None and line not in lines:
                    continue
                original = module.lines[line - 1]
                if mutated == original or (line, mutated) in found or not span.changes(line, mutated):
                    continue
                found[line, mutated] = Mutation(
                    kind, line, original, mutated, qualname, operator, line in loops
                )
    return sorted(found.values(), key=lambda m: (m.line, KINDS.index(m.kind), m.operator, m.mutated or ""))


class _Span:
    """The text of one function (its decorators and nested code included), to check a mutation on it alone:
    the mutated function must parse and its AST must differ (parsing the whole module per mutation is too
    slow for a 5000-line module)."""

    def __init__(self, module: _Module, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        self.first, self.last = first, node.end_lineno or node.lineno
        self.lines = module.lines[first - 1 : self.last]
        self.dump = self._dump(self.lines)

    @staticmethod
    def _dump(lines: list[str]) -> str | None:
        try:
            return ast.dump(ast.parse(textwrap.dedent("\n".join(lines))))
        except SyntaxError:
            return None

    def changes(self, line: int, mutated: str | None) -> bool:
        lines = list(self.lines)
        if mutated is None:
            del lines[line - self.first]
        else:
            lines[line - self.first] = mutated
        dump = self._dump(lines)
        return dump is not None and dump != self.dump


Found = tuple[str, str, int, str | None]


def _mutate(module: _Module, function: _Function, node: ast.AST) -> Iterator[Found]:
    yield from _operator_misuse(module, node)
    yield from _value_misuse(module, node)
    yield from _variable_misuse(module, function, node)
    yield from _function_misuse(module, function, node)
    yield from _missing_logic(module, function, node)
    yield from _excess_logic(module, function, node)


def _operator_misuse(module: _Module, node: ast.AST) -> Iterator[Found]:
    kind = "operator misuse"
    if isinstance(node, ast.BinOp) and type(node.op) in BINOP_SWAPS:
        for new in BINOP_SWAPS[type(node.op)]:
            done = module.replace_in_gap(node.left, node.right, BINOP_TEXT[type(node.op)], BINOP_TEXT[new])
            if done:
                yield kind, f"{type(node.op).__name__} -> {new.__name__}", *done
    elif isinstance(node, ast.Compare):
        lefts = [node.left, *node.comparators[:-1]]
        for op, left, right in zip(node.ops, lefts, node.comparators, strict=True):
            for new in CMP_SWAPS.get(type(op), []):
                done = module.replace_in_gap(left, right, CMP_TEXT[type(op)], CMP_TEXT[new])
                if done:
                    yield kind, f"{type(op).__name__} -> {new.__name__}", *done
    elif isinstance(node, ast.BoolOp) and len(node.values) == 2:
        old, new = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")
        done = module.replace_in_gap(node.values[0], node.values[1], old, new)
        if done:
            yield kind, f"{old} -> {new}", *done
    elif isinstance(node, ast.AugAssign) and type(node.op) in BINOP_SWAPS:
        for new in BINOP_SWAPS[type(node.op)][:1]:
            old_text, new_text = BINOP_TEXT[type(node.op)] + "=", BINOP_TEXT[new] + "="
            done = module.replace_in_gap(node.target, node.value, old_text, new_text)
            if done:
                yield kind, f"{type(node.op).__name__}= -> {new.__name__}=", *done


def _value_misuse(module: _Module, node: ast.AST) -> Iterator[Found]:
    kind = "value misuse"
    if not isinstance(node, ast.Constant) or id(node) in module.docstrings:
        return
    text = module.segment(node)
    if text is None:
        return
    line, start, end = node.lineno, node.col_offset, node.end_col_offset or 0
    value = node.value
    if isinstance(value, bool):
        yield kind, f"{value} -> {not value}", line, module.edit(line, start, end, str(not value))
    elif isinstance(value, int) and text.isdigit():
        news = [1] if value == 0 else [0, 2] if value == 1 else [value - 1, value + 1]
        for new in news:
            yield kind, f"{value} -> {new}", line, module.edit(line, start, end, str(new))
    elif isinstance(value, str) and value in STRING_SWAPS and text[:1] in "'\"" and text[-1:] == text[:1]:
        quote = text[0]
        if len(text) >= 6 and text[:3] == quote * 3:
            return
        new = STRING_SWAPS[value]
        yield kind, f"{value!r} -> {new!r}", line, module.edit(line, start, end, f"{quote}{new}{quote}")


def _variable_misuse(module: _Module, function: _Function, node: ast.AST) -> Iterator[Found]:
    if not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)) or node.id not in function.bound:
        return
    if node.id in ("self", "cls"):
        return
    for other in function.before(node.lineno, exclude={node.id}):
        mutated = module.edit(node.lineno, node.col_offset, node.end_col_offset or 0, other)
        yield "variable misuse", f"{node.id} -> {other}", node.lineno, mutated


def _function_misuse(module: _Module, function: _Function, node: ast.AST) -> Iterator[Found]:
    if not isinstance(node, ast.Call):
        return
    func = node.func
    if isinstance(func, ast.Name) and func.id in FUNCTION_SWAPS and func.id not in function.bound:
        new = FUNCTION_SWAPS[func.id]
        if new in module.names:
            mutated = module.edit(func.lineno, func.col_offset, func.end_col_offset or 0, new)
            yield "function misuse", f"{func.id} -> {new}", func.lineno, mutated
    elif isinstance(func, ast.Attribute) and func.attr in METHOD_SWAPS and func.lineno == func.end_lineno:
        raw = module.raw[func.lineno - 1]
        end = func.end_col_offset or 0
        start = end - len(func.attr.encode("utf-8"))
        if raw[start:end].decode("utf-8") == func.attr:
            new = METHOD_SWAPS[func.attr]
            yield (
                "function misuse",
                f".{func.attr} -> .{new}",
                func.lineno,
                module.edit(func.lineno, start, end, new),
            )


def _missing_logic(module: _Module, function: _Function, node: ast.AST) -> Iterator[Found]:
    kind = "missing logic"
    if isinstance(node, ast.BoolOp) and module.segment(node) is not None:
        joiner = " and " if isinstance(node.op, ast.And) else " or "
        for index in range(len(node.values)):
            rest = [module.segment(v) for i, v in enumerate(node.values) if i != index]
            if any(part is None for part in rest):
                continue
            text = joiner.join(part for part in rest if part is not None)
            if len(rest) == 1 and isinstance(node.values[1 - index], ast.NamedExpr):
                text = f"({text})"
            mutated = module.edit(node.lineno, node.col_offset, node.end_col_offset or 0, text)
            yield kind, f"drop operand {index + 1} of {type(node.op).__name__}", node.lineno, mutated
    if isinstance(node, ast.Call) and node.keywords and module.segment(node) is not None:
        func = module.segment(node.func)
        parts = [module.segment(arg) for arg in node.args]
        if func is None or any(part is None for part in parts):
            return
        for index, keyword in enumerate(node.keywords):
            if keyword.arg is None:
                continue
            rest = [module.segment(k) for i, k in enumerate(node.keywords) if i != index]
            if any(part is None for part in rest):
                continue
            args = ", ".join(part for part in [*parts, *rest] if part is not None)
            mutated = module.edit(node.lineno, node.col_offset, node.end_col_offset or 0, f"{func}({args})")
            yield kind, f"drop keyword {keyword.arg}", node.lineno, mutated
    for field in ("body", "orelse", "finalbody"):
        block = getattr(node, field, None)
        if not isinstance(block, list) or len(block) < 2 or isinstance(node, ast.Module):
            continue
        for stmt in block:
            if id(stmt) in module.docstrings or not _deletable(stmt, function):
                continue
            if stmt.lineno != stmt.end_lineno:
                continue
            text = module.lines[stmt.lineno - 1]
            if text.strip() != module.segment(stmt):
                continue
            yield kind, f"delete {type(stmt).__name__}", stmt.lineno, None


def _deletable(stmt: ast.stmt, function: _Function) -> bool:
    if isinstance(stmt, ast.Expr):
        return isinstance(stmt.value, ast.Call | ast.Await)
    if isinstance(stmt, ast.AugAssign | ast.Break | ast.Continue):
        return True
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0]
        if isinstance(target, ast.Attribute | ast.Subscript):
            return True
        # a variable assigned again elsewhere: deleting one assignment leaves it bound
        if isinstance(target, ast.Name):
            stores = [
                n
                for n in ast.walk(function.node)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id == target.id
            ]
            return len(stores) >= 2 and function.bound.get(target.id, stmt.lineno) < stmt.lineno
    return False


def _excess_logic(module: _Module, function: _Function, node: ast.AST) -> Iterator[Found]:
    kind = "excess logic"
    tests: list[ast.expr] = []
    if isinstance(node, ast.If | ast.While | ast.IfExp):
        tests.append(node.test)
    elif isinstance(node, ast.comprehension):
        tests.extend(node.ifs)
    for test in tests:
        text = module.segment(test)
        if text is None or isinstance(test, ast.Constant):
            continue
        used = {n.id for n in ast.walk(test) if isinstance(n, ast.Name)}
        if isinstance(test, ast.BoolOp | ast.IfExp | ast.Lambda | ast.NamedExpr) and not (
            isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And)
        ):
            text = f"({text})"
        for name in function.before(test.lineno, exclude=used):
            for extra in (f" and {name}", f" and not {name}"):
                mutated = module.edit(test.lineno, test.col_offset, test.end_col_offset or 0, text + extra)
                yield kind, f"extra condition{extra}", test.lineno, mutated
    for value in _numeric_sums(node):
        text = module.segment(value)
        if text is not None:
            for extra in (" + 1", " - 1"):
                mutated = module.edit(value.lineno, value.col_offset, value.end_col_offset or 0, text + extra)
                yield kind, f"extra term{extra}", value.lineno, mutated


def _numeric_sums(node: ast.AST) -> Iterator[ast.BinOp]:
    """Sums and differences that are surely numbers: an index or slice bound, a ``range`` argument, or a
    value (returned or assigned) that adds a ``len``."""

    def is_sum(value: ast.AST | None) -> bool:
        return (
            isinstance(value, ast.BinOp)
            and isinstance(value.op, ast.Add | ast.Sub)
            and not any(isinstance(side, ast.Constant) for side in (value.left, value.right))
        )

    candidates: list[ast.AST | None] = []
    if isinstance(node, ast.Subscript):
        index = node.slice
        candidates += [index.lower, index.upper] if isinstance(index, ast.Slice) else [index]
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
        candidates += node.args
    elif isinstance(node, ast.Return | ast.Assign | ast.AugAssign) and is_sum(node.value):
        calls = [n for n in ast.walk(node.value) if isinstance(n, ast.Call)]  # type: ignore[arg-type]
        if any(isinstance(c.func, ast.Name) and c.func.id == "len" for c in calls):
            candidates.append(node.value)
    for value in candidates:
        if is_sum(value):
            yield value  # type: ignore[misc]
