"""Model specs: parse them, find where they come from, and load the model they name.

Spec syntax (the same in the ``--model`` flag, the ``model`` key of a config file and ``TRACEFIX_MODEL``):

- ``local:qwen2.5-coder-1.5b`` (the default) or ``local:qwen2.5-coder-0.5b``: a named embedded model;
- ``local:/path/to/model.gguf``: any GGUF file;
- ``openai:gpt-4o-mini``: the OpenAI API, key from ``OPENAI_API_KEY``;
- ``openai-compatible:http://host:port/v1#model``: any server speaking the chat-completions API
  (vLLM, SGLang, Ollama, llama.cpp server); ``#model`` may be left out when the server serves one model.

Where a named model's GGUF comes from is in :mod:`tracefix.models.weights`.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import platformdirs

from tracefix.models.base import Model, ModelError
from tracefix.models.cache import CachedModel, ResponseCache, cache_enabled
from tracefix.models.llama import LlamaModel
from tracefix.models.weights import NAMED_MODELS, ensure_gguf, file_identity

DEFAULT_SPEC = "local:qwen2.5-coder-1.5b"
ENV_VAR = "TRACEFIX_MODEL"
CONFIG_NAME = "tracefix.toml"

Kind = Literal["local", "openai", "openai-compatible"]


class SpecError(ModelError, ValueError):
    """A model spec that cannot be parsed or names nothing known."""


@dataclass(frozen=True)
class ModelSpec:
    """A parsed model spec."""

    kind: Kind
    target: str
    """Named model or GGUF path (local), model name (openai), base URL (openai-compatible)."""
    model: str = ""
    """The served model name for ``openai-compatible`` (empty: ask the server)."""

    @property
    def is_named(self) -> bool:
        """True for ``local:NAME`` where NAME is one of :data:`NAMED_MODELS`."""
        return self.kind == "local" and self.target in NAMED_MODELS

    def __str__(self) -> str:
        if self.kind == "openai-compatible" and self.model:
            return f"{self.kind}:{self.target}#{self.model}"
        return f"{self.kind}:{self.target}"


def parse_spec(spec: str) -> ModelSpec:
    """Parse a model spec string; raises :class:`SpecError` naming the accepted forms."""
    kind, sep, rest = spec.strip().partition(":")
    if not sep or not rest:
        raise SpecError(f"model spec {spec!r} has no backend prefix; {_forms()}")
    if kind == "local":
        return _parse_local(rest)
    if kind == "openai":
        return ModelSpec("openai", rest)
    if kind == "openai-compatible":
        url, _, model = rest.partition("#")
        if not url.startswith(("http://", "https://")):
            raise SpecError(f"model spec {spec!r}: the server address must start with http:// or https://")
        return ModelSpec("openai-compatible", url.rstrip("/"), model)
    raise SpecError(f"model spec {spec!r}: unknown backend {kind!r}; {_forms()}")


def _parse_local(rest: str) -> ModelSpec:
    if rest in NAMED_MODELS:
        return ModelSpec("local", rest)
    if rest.endswith(".gguf") or os.sep in rest:
        return ModelSpec("local", str(Path(rest).expanduser()))
    known = ", ".join(sorted(NAMED_MODELS))
    raise SpecError(f"local model {rest!r} is neither a named model ({known}) nor a path to a .gguf file")


def _forms() -> str:
    return (
        "use local:qwen2.5-coder-1.5b, local:/path/model.gguf, openai:gpt-4o-mini "
        "or openai-compatible:http://host:port/v1#model"
    )


# --------------------------------------------------------------------------- configuration


def config_paths(cwd: Path | None = None) -> list[Path]:
    """Config files in the order they are consulted: ``./tracefix.toml``, then the user's config."""
    here = (cwd or Path.cwd()) / CONFIG_NAME
    user = Path(platformdirs.user_config_dir("tracefix")) / "config.toml"
    return [here, user]


def configured_spec(flag: str | None = None, *, cwd: Path | None = None) -> tuple[str, str]:
    """The model spec to use and where it came from: the flag, ``TRACEFIX_MODEL``, a config file
    (key ``model``), or the default."""
    if flag:
        return flag, "--model"
    env = os.environ.get(ENV_VAR)
    if env:
        return env, ENV_VAR
    for path in config_paths(cwd):
        value = _config_value(path, "model")
        if value:
            return value, str(path)
    return DEFAULT_SPEC, "default"


def _config_value(path: Path, key: str) -> str | None:
    if not path.is_file():
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SpecError(f"cannot read config file {path}: {exc}") from exc
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise SpecError(f"config file {path}: {key!r} must be a string such as {DEFAULT_SPEC!r}")
    return value


# --------------------------------------------------------------------------- loading


def prefix_reuse_default() -> bool:
    """Whether an embedded model reuses the previous prompt's KV cache: ``TRACEFIX_PREFIX_REUSE``, on unless
    ``0``/``off`` (the replies are the same either way; see tracefix.models.kvreuse)."""
    return os.environ.get("TRACEFIX_PREFIX_REUSE", "").strip().lower() not in ("0", "false", "no", "off")


def load_model(
    spec: str | None = None,
    *,
    cache: bool | None = None,
    n_ctx: int | None = None,
    timeout_s: float = 600.0,
    prefix_reuse: bool | None = None,
) -> Model:
    """Load the model a spec names (None: the configured spec), wrapped in the response cache.

    ``cache=None`` follows ``TRACEFIX_CACHE`` (a path, or ``off`` to disable); ``n_ctx`` sets the context
    window of an embedded model; ``timeout_s`` bounds one request to a server; ``prefix_reuse=None``
    follows ``TRACEFIX_PREFIX_REUSE`` (embedded model only; on unless ``0``: the same replies, faster; llama.py).
    """
    text = spec if spec is not None else configured_spec()[0]
    parsed = parse_spec(text)
    if prefix_reuse is None:
        prefix_reuse = prefix_reuse_default()
    model = _open_backend(parsed, n_ctx=n_ctx, timeout_s=timeout_s, prefix_reuse=prefix_reuse)

    if not cache_enabled(cache):
        return model
    return CachedModel(model, ResponseCache.default())


def _open_backend(spec: ModelSpec, *, n_ctx: int | None, timeout_s: float, prefix_reuse: bool) -> Model:
    if spec.kind == "local":
        path, identity = local_gguf(spec)
        name = f"local:{spec.target}" if spec.is_named else f"local:{path.name}"
        return LlamaModel(path, name=name, identity=identity, n_ctx=n_ctx, prefix_reuse=prefix_reuse)
    # Lazy: the openai client costs 0.45 s to import (0.20 s -> 0.65 s for this module, measured), and only
    # a server spec needs it.
    from tracefix.models.openai_compat import OpenAICompatModel

    if spec.kind == "openai":
        return OpenAICompatModel.for_openai(spec.target, timeout_s=timeout_s)
    return OpenAICompatModel(spec.target, spec.model or None, timeout_s=timeout_s)


def local_gguf(spec: ModelSpec) -> tuple[Path, str]:
    """The GGUF file of a local spec and its identity (content sha256), fetching a named model if needed."""
    if spec.is_named:
        named = NAMED_MODELS[spec.target]
        return ensure_gguf(named), f"gguf-sha256:{named.sha256}"
    path = Path(spec.target)
    if not path.is_file():
        raise SpecError(f"GGUF file {path} does not exist; fix the path in the model spec")
    return path, f"gguf-sha256:{file_identity(path)}"
