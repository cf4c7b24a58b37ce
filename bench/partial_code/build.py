"""Build the fragments of the partial-code benchmark from the pinned libraries' sources.

Half the fragments are *functions* lifted from a library module without its context (no imports, no module
globals, no sibling functions): each top-level function whose body has 5 to 40 executable lines and is not a
generator. The other half are *snippets*: the body of another such function, with no function around it,
as top-level statements (``return X`` becomes ``result = X``, a bare ``return`` becomes ``pass``; its
parameters and helpers are names defined elsewhere), written out by ``ast.unparse``, as code pasted from an
issue or a forum reads. A function is used for one fragment at most. The choice is ``random.Random(seed)``
over each library's candidates in (file, line) order, the libraries taking turns.
"""

from __future__ import annotations

import ast
import json
import random
import textwrap
from pathlib import Path
from typing import Any

from realbugs import libs
from tracefix.partial.fragment import FragmentError, fragment

HERE = Path(__file__).resolve().parent

FRAGMENTS = HERE / "fragments.jsonl"
MIN_LINES, MAX_LINES = 5, 40


def candidates(library: libs.Library, tree: Path) -> list[dict[str, Any]]:
    """Every top-level function of the library's modules fit to be lifted, in file and line order."""
    found = []
    for rel in library.source_files(tree):
        source = (tree / rel).read_text(encoding="utf-8")
        try:
            module = ast.parse(source)
        except SyntaxError:
            continue
        lines = source.splitlines(keepends=True)
        for node in module.body:
            if not isinstance(node, ast.FunctionDef) or _generator(node):
                continue
            start = node.decorator_list[0].lineno if node.decorator_list else node.lineno
            text = textwrap.dedent("".join(lines[start - 1 : node.end_lineno]))
            try:
                lifted = fragment(text, node.name)
            except FragmentError:
                continue
            if MIN_LINES <= len(lifted.lines) <= MAX_LINES:
                found.append(
                    {"library": library.key, "file": rel, "line": start, "name": node.name, "text": text}
                )
    return found


def snippet_of(function_text: str, name: str) -> str | None:
    """The function's body as top-level statements, or None when it cannot stand at top level."""
    node = ast.parse(function_text).body[0]
    assert isinstance(node, ast.FunctionDef)
    body = list(node.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    if not body or any(isinstance(n, ast.Nonlocal) for n in ast.walk(node)):
        return None
    module = ast.Module(body=[_ReturnToResult().visit(statement) for statement in body], type_ignores=[])
    text = ast.unparse(ast.fix_missing_locations(module)) + "\n"
    try:
        lines = fragment(text).lines
    except FragmentError:
        return None
    return text if MIN_LINES <= len(lines) <= MAX_LINES else None


class _ReturnToResult(ast.NodeTransformer):
    """``return X`` -> ``result = X`` in the function's own body (nested definitions keep theirs)."""

    def visit_Return(self, node: ast.Return) -> ast.stmt:
        if node.value is None:
            return ast.copy_location(ast.Pass(), node)
        target = ast.Name(id="result", ctx=ast.Store())
        return ast.copy_location(ast.Assign(targets=[target], value=node.value), node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        return node

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AsyncFunctionDef:
        return node

    def visit_Lambda(self, node: ast.Lambda) -> ast.Lambda:
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.ClassDef:
        return node


def _generator(node: ast.FunctionDef) -> bool:
    """The function itself yields (not a function nested in it)."""
    stack: list[ast.AST] = list(node.body)
    while stack:
        item = stack.pop()
        if isinstance(item, ast.Yield | ast.YieldFrom):
            return True
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        stack.extend(ast.iter_child_nodes(item))
    return False


def build(manifest: libs.Manifest, cache: Path, *, per_half: int, seed: int) -> list[dict[str, Any]]:
    """``per_half`` functions and ``per_half`` snippets. The libraries take turns; in its turn a library gives
    one function and one snippet, each from a function of its own not used yet."""
    rng = random.Random(seed)
    pools = []
    for library in manifest.libraries:
        pool = candidates(library, libs.fetch(library, cache))
        rng.shuffle(pool)
        pools.append(pool)
    chosen: list[dict[str, Any]] = []
    counts = {"function": 0, "snippet": 0}
    while any(pools) and min(counts.values()) < per_half:
        for pool in pools:
            for kind in ("function", "snippet"):
                if counts[kind] < per_half and (item := _take(pool, kind)) is not None:
                    counts[kind] += 1
                    chosen.append({"id": f"{kind}-{counts[kind]:03d}", "kind": kind, **item})
    return chosen


def _take(pool: list[dict[str, Any]], kind: str) -> dict[str, Any] | None:
    """The next function of ``pool`` that makes a fragment of ``kind``, as a fragment record (less its id)."""
    while pool:
        item = pool.pop()
        text = item["text"] if kind == "function" else snippet_of(item["text"], item["name"])
        if text is not None:
            return {
                "library": item["library"],
                "file": item["file"],
                "line": item["line"],
                "function": item["name"] if kind == "function" else None,
                "from_function": item["name"],
                "source": text,
            }
    return None


def write(fragments: list[dict[str, Any]], path: Path = FRAGMENTS) -> None:
    path.write_text("".join(json.dumps(f) + "\n" for f in fragments), encoding="utf-8")


def load(path: Path = FRAGMENTS) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
