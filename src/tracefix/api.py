"""The Python API: what the CLI, the pytest plugin and users call.

>>> from tracefix import api
>>> session = api.debug(source, "sum_evens", ["assert sum_evens([2, 4]) == 6"])  # doctest: +SKIP
>>> session.outcome, session.final_program  # doctest: +SKIP
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from tracefix.records import Attempt, Session, Task

if TYPE_CHECKING:
    from tracefix.models.base import Model
    from tracefix.strategies.engine import Runner, Settings


def docstring_of(source: str, entry_point: str) -> str | None:
    """The docstring of ``entry_point`` (a name or ``Class.method``) in ``source``, if it has one."""
    parts = entry_point.split(".")
    body: list[ast.stmt] = ast.parse(source).body
    found: ast.AST | None = None
    for part in parts:
        found = next(
            (
                n
                for n in body
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and n.name == part
            ),
            None,
        )
        if found is None:
            return None
        body = found.body
    if isinstance(found, ast.FunctionDef | ast.AsyncFunctionDef):
        return ast.get_docstring(found)
    return None


def make_task(source: str, entry_point: str, tests: Sequence[str], task: str | None = None) -> Task:
    """A Task from a program: the description is ``task`` or else the function's docstring."""
    description = task if task is not None else docstring_of(source, entry_point) or ""
    return Task(description=description, entry_point=entry_point, visible_tests=list(tests))


def debug(
    source: str,
    entry_point: str,
    tests: Sequence[str],
    task: str | None = None,
    model: Model | str | None = None,
    strategy: str = "ldb",
    *,
    level: str = "block",
    format: str = "hole",
    max_iters: int = 10,
    executor: Runner | None = None,
    settings: Settings | None = None,
    on_attempt: Callable[[Attempt], None] | None = None,
) -> Session:
    """Debug ``entry_point`` in ``source`` until ``tests`` pass; returns the full session record.

    ``model`` is a Model or a model spec such as ``local:qwen2.5-coder-1.5b`` (default: the configured or
    embedded model). The tests are visible tests: the model sees them and the loop stops when they pass.
    """
    from tracefix.strategies.engine import debug as run_debug

    if model is None or isinstance(model, str):
        from tracefix.models.resolve import load_model

        model = load_model(model)
    return run_debug(
        make_task(source, entry_point, tests, task),
        source,
        model,
        strategy=strategy,
        level=level,
        format=format,
        max_iters=max_iters,
        executor=executor,
        settings=settings,
        on_attempt=on_attempt,
    )
