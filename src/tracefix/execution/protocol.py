"""Length-prefixed JSON messages between the executor and its workers (over pipes, one message at a time)."""

from __future__ import annotations

import json
import os
import select
import struct
import time
from typing import Any

_HEADER = struct.Struct(">Q")


class ChannelClosed(Exception):
    """The other end closed the pipe (or the deadline for a message passed)."""


class DeadlinePassed(ChannelClosed):
    """No complete message came before the deadline."""


def encode(message: dict[str, Any]) -> bytes:
    """One framed message."""
    # ASCII escapes keep any str encodable, lone surrogates from a program's output included.
    body = json.dumps(message, separators=(",", ":")).encode("ascii")
    return _HEADER.pack(len(body)) + body


def write_message(fd: int, message: dict[str, Any]) -> None:
    """Write one message to ``fd`` completely."""
    write_all(fd, encode(message))


def write_all(fd: int, data: bytes) -> None:
    """``os.write`` until every byte is out."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def read_message(fd: int, deadline: float | None = None) -> dict[str, Any] | None:
    """Read one message; None on a clean end of stream before its first byte.

    With a ``deadline`` (a ``time.monotonic()`` value), raise ChannelClosed if the message is not complete by then.
    """
    header = _read_exact(fd, _HEADER.size, deadline, allow_eof=True)
    if header is None:
        return None
    (size,) = _HEADER.unpack(header)
    body = _read_exact(fd, size, deadline, allow_eof=False)
    assert body is not None
    message = json.loads(body)
    if not isinstance(message, dict):
        raise ChannelClosed(f"expected a JSON object, got {type(message).__name__}")
    return message


def _read_exact(fd: int, size: int, deadline: float | None, *, allow_eof: bool) -> bytes | None:
    chunks: list[bytes] = []
    missing = size
    while missing:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise DeadlinePassed("no message before the deadline")
        chunk = os.read(fd, min(missing, 1 << 20))
        if not chunk:
            if allow_eof and missing == size:
                return None
            raise ChannelClosed("the pipe closed in the middle of a message")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)
