"""The package's imports show its pipeline: no import cycle, and every import of a tracefix module at the top
of its module, except the few whose start-up cost was measured (each says so in a comment there)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

LAZY = {
    "tracefix.pytest_plugin",  # loads in every pytest run of the environment
    "tracefix.repo.child",  # tracing modules, only when a trace is asked for
    "tracefix.models.resolve",  # the openai client, only for a server spec
    "tracefix.models.llama",  # kvreuse imports llama_cpp (0.9 s), only when an embedded model loads
}


def _modules() -> dict[str, ast.Module]:
    found = {}
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = ast.parse(path.read_text(encoding="utf-8"))
    return found


MODULES = _modules()


def _target(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(tree: ast.AST) -> list[tuple[ast.stmt, list[str]]]:
    out: list[tuple[ast.stmt, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tracefix"):
            names = [_target(f"{node.module}.{alias.name}") or _target(node.module) for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [_target(alias.name) for alias in node.names if alias.name.startswith("tracefix")]
        else:
            continue
        out.append((node, [n for n in names if n]))
    return out


def _function_local(tree: ast.Module) -> list[int]:
    lines = []
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            lines += [node.lineno for node, names in _imports(function) if names]
    return lines


def test_tracefix_modules_are_imported_at_the_top_but_where_measured() -> None:
    local = {name: _function_local(tree) for name, tree in MODULES.items()}
    assert {name for name, lines in local.items() if lines} == LAZY


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    cycles: list[list[str]] = []
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            cycles.append(path[path.index(name) :])
            return
        if name in done:
            return
        for target in sorted(graph[name]):
            visit(target, [*path, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    return cycles


def test_there_is_no_import_cycle() -> None:
    graph = {
        name: {t for _, names in _imports(tree) for t in names if t != name} for name, tree in MODULES.items()
    }
    assert _cycles(graph) == []


def test_the_checks_see_an_import_and_a_cycle() -> None:
    tree = ast.parse("def f():\n    from tracefix.api import debug\n")
    assert _imports(tree)[0][1] == ["tracefix.api"] and _function_local(tree) == [2]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
