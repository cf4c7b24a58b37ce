"""The records are complete when tracefix.records is imported: none waits for a forward reference.

A record whose field names a class defined further down the module is only built on first use. In a sandbox
job that first use can come when the program has used up the job's memory (a trace of a loop that fills it),
and the building then fails with MemoryError instead of the trace reporting it."""

from __future__ import annotations

import inspect

from pydantic import BaseModel

from tracefix import records


def test_every_record_is_complete_at_import() -> None:
    models = [
        value
        for value in vars(records).values()
        if inspect.isclass(value) and issubclass(value, BaseModel) and value.__module__ == records.__name__
    ]
    assert len(models) > 20
    assert [m.__name__ for m in models if not m.__pydantic_complete__] == []
