"""Model backends behind one small interface (:class:`tracefix.models.base.Model`).

``load_model(spec)`` in :mod:`tracefix.models.resolve` picks the backend: the embedded llama.cpp model
(:mod:`.llama`), any OpenAI-compatible server (:mod:`.openai_compat`), wrapped in the SQLite response
cache (:mod:`.cache`). :mod:`.fake` holds a scripted model for tests of the code around models.
"""

from tracefix.models.base import (
    ContextOverflow,
    MalformedReply,
    Model,
    ModelError,
    ModelTimeout,
    ServerUnavailable,
)

__all__ = ["ContextOverflow", "MalformedReply", "Model", "ModelError", "ModelTimeout", "ServerUnavailable"]
