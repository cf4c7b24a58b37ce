"""Benchmark items as Ray tasks: ``tracefix bench --executor ray`` (the ``ray`` extra).

The driver (the ``tracefix bench`` process) scores the seeds itself, then hands each (problem, strategy)
item to a Ray task and stores each result as it comes back: it alone writes the run store, so ``--resume``,
the summary tables and the report work as for a local run. A Ray worker process opens the model and a
sandbox pool on its first item and keeps them for the next ones (each node runs its items in its own
sandbox pool).

At most ``jobs`` items are in flight. Each item makes its model calls one after another, so ``jobs`` is also
the most requests the model server sees at once. A task is not retried: an item whose worker dies (the
process killed, its node lost) comes back as an error row, which ``--resume`` runs again; a driver that is
killed loses the items in flight and nothing else.

The workers need tracefix installed (on one machine they run the driver's interpreter; on a cluster, the
same environment on every node) and the model reachable: an OpenAI-compatible server that every worker
shares (``openai-compatible:http://host:port/v1#model``). The embedded model also works, loaded once per
worker process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any

from tracefix.bench.bound import bound_strategy
from tracefix.bench.harness import RemoteItem, result_of
from tracefix.bench.store import ResultRow
from tracefix.execution.sandbox import Executor, default_executor
from tracefix.models.base import Model
from tracefix.models.resolve import load_model
from tracefix.records import Session

LOCAL_STORE_BYTES = 256 * 1024 * 1024
"""The object store of a local cluster started for one run (results are small; Ray's default takes 30 %
of the memory)."""
ITEM_CPUS = 0.25
"""The CPU share Ray reserves for one item: an item mostly waits for the model server (its tests and traces
run in short sandbox jobs), so a node runs four per core; ``--jobs`` bounds the items in flight."""
POLL_S = 0.5
"""How long the driver waits for a result before it looks at ``stop`` again."""


class RayMissing(RuntimeError):
    """Ray is not installed (``pip install 'tracefix[ray]'``)."""


@dataclass(frozen=True)
class ItemJob:
    """What a worker needs to run items: the model every worker opens, and the run's settings."""

    model: str
    """The model's spec (``openai-compatible:http://host:port/v1#name``, ``local:...``)."""
    cache: bool
    """The response cache on (each node's own cache file)."""
    max_iters: int


@dataclass
class RayItems:
    """Runs a benchmark's items on a Ray cluster (:class:`tracefix.bench.harness.Remote`)."""

    job: ItemJob
    jobs: int = 1
    """Items in flight at most."""
    address: str | None = None
    """The cluster to join (``ray start --head`` prints it; ``auto``: the one on this machine); None starts
    a local one for this run."""

    def results(
        self, items: Sequence[RemoteItem], stop: threading.Event
    ) -> Generator[tuple[RemoteItem, ResultRow, Session | None], None, None]:
        ray = ray_module()
        if not ray.is_initialized():
            local = (
                {} if self.address else {"include_dashboard": False, "object_store_memory": LOCAL_STORE_BYTES}
            )
            ray.init(
                address=self.address, runtime_env={"env_vars": _tracefix_env()}, log_to_driver=False, **local
            )
        task = ray.remote(max_retries=0, num_cpus=ITEM_CPUS)(run_item)
        pending = list(items)
        flying: dict[Any, RemoteItem] = {}
        try:
            while pending or flying:
                while pending and len(flying) < self.jobs and not stop.is_set():
                    item = pending.pop(0)
                    flying[task.remote(self.job, item)] = item
                if not flying:
                    return  # stopped: nothing new starts
                ready, _ = ray.wait(list(flying), num_returns=1, timeout=POLL_S)
                for ref in ready:
                    item = flying.pop(ref)
                    yield (item, *_result(ray, ref, item))
        finally:
            for ref in flying:  # dropped (Ctrl-C twice, or the driver's error): they rerun on --resume
                ray.cancel(ref, force=True)


def run_item(job: ItemJob, item: RemoteItem) -> tuple[ResultRow, Session | None]:
    """One item on a worker: its strategy, bound to the worker's model and sandbox, debugs the seed."""
    problem, seed, name = item
    model, executor = _opened(job)
    strategy = bound_strategy(name, model, executor, job.max_iters)
    return result_of(problem, seed, name, strategy, executor)


_OPENED: dict[ItemJob, tuple[Model, Executor]] = {}
_OPENING = threading.Lock()


def _opened(job: ItemJob) -> tuple[Model, Executor]:
    """This worker process's model and sandbox pool, opened on its first item."""
    with _OPENING:
        if job not in _OPENED:
            _OPENED[job] = (load_model(job.model, cache=job.cache), default_executor())
        return _OPENED[job]


def _result(ray: Any, ref: Any, item: RemoteItem) -> tuple[ResultRow, Session | None]:
    """The item's row and session, or an error row when its task was lost (``--resume`` reruns it)."""
    try:
        row, session = ray.get(ref)
    except ray.exceptions.RayError as exc:
        problem, seed, name = item
        text = f"ray: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        lost = ResultRow(task_id=problem.task_id, strategy=name, status="error", hidden=seed.hidden,
                         final_program=seed.program, error=text)  # fmt: skip
        return lost, None
    return row, session


def _tracefix_env() -> dict[str, str]:
    """The driver's ``TRACEFIX_*`` settings, for the workers (threads, sandbox, cache path)."""
    return {k: v for k, v in os.environ.items() if k.startswith("TRACEFIX_")}


def ray_module() -> Any:
    """The ``ray`` module (an optional dependency)."""
    try:
        import ray
    except ImportError as exc:
        raise RayMissing("--executor ray needs Ray: pip install 'tracefix[ray]'") from exc
    return ray
