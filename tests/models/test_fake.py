"""The scripted model used by orchestration tests."""

from __future__ import annotations

import pytest

from tracefix.models.base import Model, ModelError
from tracefix.models.fake import ScriptedModel
from tracefix.records import GenParams, Message

ASK = [Message(role="user", content="fix this program please")]


def test_replies_in_order_and_records_requests() -> None:
    model = ScriptedModel(["first answer", "second"])
    assert isinstance(model, Model)
    assert model.complete(ASK, GenParams()).text == "first answer"
    assert model.complete(ASK, GenParams(max_tokens=5)).text == "second"
    assert [params.max_tokens for _, params in model.requests] == [768, 5]
    assert model.remaining == 0


def test_usage_is_synthetic_word_counts() -> None:
    reply = ScriptedModel(["two words"]).complete(ASK, GenParams())
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (4, 2)


def test_running_out_of_script_is_an_error() -> None:
    model = ScriptedModel(["only"])
    model.complete(ASK, GenParams())
    with pytest.raises(ModelError, match="has 1 replies; asked for reply 2"):
        model.complete(ASK, GenParams())
