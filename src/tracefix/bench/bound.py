"""A benchmark's strategy, bound to a model, a sandbox and the run's settings (temperature 0)."""

from __future__ import annotations

import functools
from typing import Any

from tracefix.api import debug_task
from tracefix.bench.protocols import Strategy
from tracefix.models.base import Model


def bound_strategy(name: str, model: Model, executor: Any, max_iters: int) -> Strategy:
    """The strategy named by spec ``name`` as the harness calls it: ``(task, program) -> Session``."""
    return functools.partial(debug_task, model=model, strategy=name, max_iters=max_iters, executor=executor)
