"""The SQLite response cache around any model."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tracefix.models.cache import CachedModel, ResponseCache, cache_enabled, cache_key, default_cache_path
from tracefix.models.fake import ScriptedModel
from tracefix.records import GenParams, Message

ASK = [Message(role="user", content="what is wrong with f?")]


@pytest.fixture
def cache(tmp_path: Path) -> ResponseCache:
    return ResponseCache(tmp_path / "replies.sqlite3")


def test_second_identical_request_is_served_from_the_cache(cache: ResponseCache) -> None:
    inner = ScriptedModel(["the loop is off by one"])
    model = CachedModel(inner, cache)
    first = model.complete(ASK, GenParams())
    second = model.complete(ASK, GenParams())
    assert (first.cached, second.cached) == (False, True)
    assert second.text == first.text and second.usage == first.usage
    assert (model.stats.hits, model.stats.misses) == (1, 1)
    assert len(inner.requests) == 1


def test_messages_params_and_identity_are_all_part_of_the_key() -> None:
    base = cache_key("m", ASK, GenParams())
    assert cache_key("m", ASK, GenParams(seed=1)) != base
    assert cache_key("m", ASK, GenParams(stop=["```"])) != base
    assert cache_key("other", ASK, GenParams()) != base
    assert cache_key("m", [Message(role="system", content=ASK[0].content)], GenParams()) != base
    assert cache_key("m", list(ASK), GenParams()) == base


def test_replies_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "replies.sqlite3"
    CachedModel(ScriptedModel(["kept"]), ResponseCache(path)).complete(ASK, GenParams())
    resumed = CachedModel(ScriptedModel([]), ResponseCache(path))
    assert resumed.complete(ASK, GenParams()).text == "kept"
    assert resumed.stats.hits == 1


def test_errors_are_not_cached(cache: ResponseCache) -> None:
    model = CachedModel(ScriptedModel([]), cache)
    for _ in range(2):
        with pytest.raises(Exception, match="has 0 replies"):
            model.complete(ASK, GenParams())
    assert len(cache) == 0 and model.stats.misses == 2


def test_many_threads_share_one_cache(cache: ResponseCache) -> None:
    prompts = [[Message(role="user", content=f"question {i}")] for i in range(16)]
    model = CachedModel(ScriptedModel([f"answer {i}" for i in range(16)]), cache)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda m: model.complete(m, GenParams()), prompts))
        again = list(pool.map(lambda m: model.complete(m, GenParams()), prompts))
    assert all(reply.cached for reply in again)
    assert (model.stats.hits, model.stats.misses, len(cache)) == (16, 16, 16)


def test_location_and_switch_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("TRACEFIX_CACHE", raising=False)
    assert cache_enabled() and default_cache_path().name == "responses.sqlite3"
    assert not cache_enabled(False)
    monkeypatch.setenv("TRACEFIX_CACHE", str(tmp_path / "mine.db"))
    assert cache_enabled() and default_cache_path() == tmp_path / "mine.db"
    monkeypatch.setenv("TRACEFIX_CACHE", "off")
    assert not cache_enabled()
    assert cache_enabled(True)
