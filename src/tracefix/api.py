"""The Python API: what the CLI, the pytest plugin and users call.

>>> from tracefix import api
>>> session = api.debug(source, "sum_evens", ["assert sum_evens([2, 4]) == 6"])  # doctest: +SKIP
>>> session.outcome, session.final_program  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from tracefix.analysis.source import docstring_of
from tracefix.execution.sandbox import default_executor
from tracefix.models.base import Model
from tracefix.models.resolve import load_model
from tracefix.partial import context
from tracefix.partial.context import StandInsMode
from tracefix.records import Attempt, Session, Task
from tracefix.strategies.build import run
from tracefix.strategies.engine import Runner, Settings


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
    max_iters: int = 10,
    executor: Runner | None = None,
    settings: Settings | None = None,
    on_attempt: Callable[[Attempt], None] | None = None,
    stand_ins: StandInsMode = "auto",
) -> Session:
    """Debug ``entry_point`` in ``source`` until ``tests`` pass; returns the full session record.

    ``model`` is a Model or a model spec such as ``local:qwen2.5-coder-1.5b`` (default: the configured or
    embedded model); ``strategy`` a spec such as ``ldb``, ``ldb[format=focused]`` or ``feedback`` (``tracefix
    strategies`` lists them). The tests are visible tests: the model sees them and the loop stops when they
    pass. ``stand_ins`` (``tracefix.partial``): what a program that cannot run as it is lacks gets invented
    stand-ins (``auto``: by the rules, only when the module does not import; ``rules``; ``model``; ``off``).
    """
    if model is None or isinstance(model, str):
        model = load_model(model)
    executor = executor or default_executor()
    made = make_task(source, entry_point, tests, task)
    return debug_task(
        context.with_stand_ins(made, context.stand_ins_for(source, made, executor, stand_ins, model)),
        source,
        model,
        strategy,
        max_iters=max_iters,
        executor=executor,
        settings=settings,
        on_attempt=on_attempt,
    )


def debug_task(
    task: Task,
    program: str,
    model: Model | str | None = None,
    strategy: str = "ldb",
    *,
    max_iters: int = 10,
    executor: Runner | None = None,
    settings: Settings | None = None,
    on_attempt: Callable[[Attempt], None] | None = None,
) -> Session:
    """Debug ``program`` for a :class:`~tracefix.records.Task` (its visible tests, description and
    prelude), as ``debug`` does; ``max_iters`` overrides ``settings``' budget."""
    if model is None or isinstance(model, str):
        model = load_model(model)
    settings = replace(settings or Settings(), max_iters=max_iters)
    return run(
        task,
        program,
        model,
        executor or default_executor(),
        strategy,
        settings=settings,
        on_attempt=on_attempt,
    )
