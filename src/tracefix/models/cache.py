"""A response cache in SQLite, around any model.

Keyed by the model's identity (a GGUF's sha256, or server URL + model), the messages and the generation
parameters, so a rerun gets the same replies and a killed benchmark resumes without paying for calls
again. Location: ``TRACEFIX_CACHE`` (a file path) or ``<user cache>/tracefix/responses.sqlite3``;
``TRACEFIX_CACHE=off`` disables it. One connection shared under a lock (safe with threads); WAL mode and a
busy timeout let several processes share the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from tracefix.models.base import Model
from tracefix.records import GenParams, Message, Reply

ENV_VAR = "TRACEFIX_CACHE"
_OFF = frozenset({"off", "0", "false", "no", "none"})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS replies (
    key TEXT PRIMARY KEY,
    identity TEXT NOT NULL,
    reply TEXT NOT NULL,
    created REAL NOT NULL
)
"""


def cache_enabled(flag: bool | None = None) -> bool:
    """Whether to cache: the explicit flag if given, else not disabled by ``TRACEFIX_CACHE=off``."""
    if flag is not None:
        return flag
    return os.environ.get(ENV_VAR, "").strip().lower() not in _OFF


def default_cache_path() -> Path:
    """``TRACEFIX_CACHE`` when it names a file, else ``<user cache>/tracefix/responses.sqlite3``."""
    value = os.environ.get(ENV_VAR, "").strip()
    if value and value.lower() not in _OFF:
        return Path(value).expanduser()
    return Path(platformdirs.user_cache_dir("tracefix")) / "responses.sqlite3"


def cache_key(identity: str, messages: list[Message], params: GenParams) -> str:
    """A stable digest of everything that determines a reply."""
    payload = {
        "identity": identity,
        "messages": [m.model_dump(mode="json") for m in messages],
        "params": params.model_dump(mode="json", exclude_none=True),  # keys from before `end_of` stay
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ResponseCache:
    """Replies stored by :func:`cache_key`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=30.0, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(_SCHEMA)

    @classmethod
    def default(cls) -> ResponseCache:
        """The cache at :func:`default_cache_path`."""
        return cls(default_cache_path())

    def get(self, key: str) -> Reply | None:
        """The stored reply for ``key``, or None."""
        with self._lock:
            row = self._db.execute("SELECT reply FROM replies WHERE key = ?", (key,)).fetchone()
        return None if row is None else Reply.model_validate_json(row[0])

    def put(self, key: str, identity: str, reply: Reply) -> None:
        """Store ``reply`` under ``key`` (the first stored reply wins a race)."""
        data = reply.model_dump_json()
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO replies (key, identity, reply, created) VALUES (?, ?, ?, ?)",
                (key, identity, data, time.time()),
            )

    def __len__(self) -> int:
        with self._lock:
            (count,) = self._db.execute("SELECT COUNT(*) FROM replies").fetchone()
        return int(count)

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()


@dataclass
class CacheStats:
    """Hits and misses of one :class:`CachedModel` since it was made."""

    hits: int = 0
    misses: int = 0


class CachedModel:
    """Any :class:`Model` behind a :class:`ResponseCache`; replies from the cache have ``cached=True``."""

    def __init__(self, model: Model, cache: ResponseCache) -> None:
        self.inner = model
        self.cache = cache
        self.stats = CacheStats()
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        """The wrapped model's name."""
        return self.inner.name

    @property
    def identity(self) -> str:
        """The wrapped model's identity."""
        return self.inner.identity

    @property
    def max_concurrency(self) -> int:
        """The wrapped model's concurrency."""
        return self.inner.max_concurrency

    @property
    def context_size(self) -> int | None:
        """The wrapped model's context window."""
        return self.inner.context_size

    def complete(self, messages: list[Message], params: GenParams) -> Reply:
        """The cached reply for this request, or a new one from the wrapped model (then stored)."""
        key = cache_key(self.inner.identity, messages, params)
        stored = self.cache.get(key)
        with self._lock:
            if stored is not None:
                self.stats.hits += 1
            else:
                self.stats.misses += 1
        if stored is not None:
            return stored.model_copy(update={"cached": True})
        reply = self.inner.complete(messages, params)
        self.cache.put(key, self.inner.identity, reply)
        return reply

    def close(self) -> None:
        """Close the wrapped model and the cache."""
        self.inner.close()
        self.cache.close()
