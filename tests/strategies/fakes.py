"""Scripted stand-ins for the model and the sandbox, for orchestration tests only."""

from __future__ import annotations

from dataclasses import dataclass, field

from tracefix.models.base import ServerUnavailable
from tracefix.records import CFG, GenParams, Message, Reply, TestResult, Trace, Usage
from tracefix.strategies.extract import normalized


@dataclass
class Scripted:
    """Replies in order; records every request. A reply of None raises ServerUnavailable."""

    replies: list[str | None]
    requests: list[tuple[list[Message], GenParams]] = field(default_factory=list)
    name: str = "scripted"

    def complete(self, messages: list[Message], params: GenParams) -> Reply:
        self.requests.append((messages, params))
        if not self.replies:
            raise AssertionError("the script ran out of replies")
        text = self.replies.pop(0)
        if text is None:
            raise ServerUnavailable("server down")
        return Reply(text=text, usage=Usage(prompt_tokens=100, completion_tokens=10))


@dataclass
class TableRunner:
    """Test outcomes looked up by program (normalised); unknown programs fail every test."""

    passing: dict[str, set[str]]
    trace_result: Trace | None = None
    traced: list[tuple[str, str]] = field(default_factory=list)

    def run_tests(self, program: str, tests: list[str], *, prelude: str = "") -> list[TestResult]:
        ok = self.passing.get(normalized(program), set())
        return [
            TestResult(
                test=t,
                passed=t in ok,
                actual=None if t in ok else "0",
                error=None if t in ok else "AssertionError",
            )
            for t in tests
        ]

    def trace(
        self, program: str, entry: str, test: str, *, prelude: str = "", cfg: CFG | None = None
    ) -> Trace:
        self.traced.append((program, test))
        return self.trace_result or Trace(function=entry, test=test, passed=False)
