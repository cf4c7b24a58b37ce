"""Framing of the executor <-> worker messages."""

from __future__ import annotations

import os
import time

import pytest

from tracefix.execution import protocol


def test_a_message_survives_the_pipe_whatever_its_text() -> None:
    read_end, write_end = os.pipe()
    message = {"program": "print('é', chr(0xD800))", "n": [1, 2.5, None]}
    protocol.write_message(write_end, message)
    os.close(write_end)
    assert protocol.read_message(read_end) == message
    assert protocol.read_message(read_end) is None  # clean end of stream
    os.close(read_end)


def test_a_message_cut_in_the_middle_is_an_error() -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, protocol.encode({"a": 1})[:-2])
    os.close(write_end)
    with pytest.raises(protocol.ChannelClosed, match="middle"):
        protocol.read_message(read_end)
    os.close(read_end)


def test_waiting_past_the_deadline_is_an_error() -> None:
    read_end, write_end = os.pipe()
    started = time.monotonic()
    with pytest.raises(protocol.ChannelClosed, match="deadline"):
        protocol.read_message(read_end, time.monotonic() + 0.1)
    assert time.monotonic() - started < 1.0
    os.close(read_end)
    os.close(write_end)
