"""Parse the model's per-block verdicts.

LDB asks for a JSON verdict per block but never parses it. We do, because the verdicts steer the fix and
are what the report shows. Replies from small models are rarely clean JSON: they come in code fences, with
trailing commas, Python literals (``True``, single quotes), cut off by the token limit, or as prose lines
such as ``Block 3: wrong - the loop starts at 1``. Each parser says how it got its result.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tracefix.records import Verdict

_OBJECT = re.compile(r"\{[^{}]*\}", re.DOTALL)
_BLOCK_ID = re.compile(r"(\d+)")
_TRUE = {"true", "yes", "correct", "right", "ok", "1"}
_FALSE = {"false", "no", "wrong", "incorrect", "buggy", "bug", "error", "0", "faulty"}
_LINE_VERDICT = re.compile(
    r"\[?\s*block[\s_-]*(\d+)\s*\]?\s*\**\s*(?:\(|:|-|—|–|is)?\s*\**\s*"
    r"(correct|incorrect|wrong|buggy|faulty|ok|right|true|false)\b\**\s*[)\].:;,—–-]*\s*(.*)",
    re.IGNORECASE,
)


_WRONG_BLOCK = re.compile(r"wrong[ _-]*block\W*(?:block[\s_-]*)?(\d+)", re.IGNORECASE)
_REASON = re.compile(r"^\s*\**reason\**\s*[:=]\s*(.+)$", re.IGNORECASE | re.MULTILINE)


@dataclass
class ParsedVerdicts:
    """Verdicts and how they were obtained: "strict" (valid JSON), "repaired" (lenient JSON), "prose"
    (lines like ``Block 2: wrong``), or "none"; ``missing`` lists asked-for blocks with no verdict."""

    verdicts: list[Verdict]
    how: str
    missing: list[int] = field(default_factory=list)

    @property
    def wrong(self) -> list[Verdict]:
        return [v for v in self.verdicts if not v.correct]


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().strip("\"'").lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def _as_block(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = _BLOCK_ID.search(str(value))
    return int(match.group(1)) if match else None


def _verdict_from(obj: dict[str, Any]) -> Verdict | None:
    lowered = {str(k).lower().strip(): v for k, v in obj.items()}
    block = _as_block(lowered.get("block", lowered.get("block_id", lowered.get("id"))))
    correct = _as_bool(lowered.get("correct", lowered.get("is_correct", lowered.get("verdict"))))
    if block is None or correct is None:
        return None
    explanation = str(lowered.get("explanation", lowered.get("reason", ""))).strip()
    return Verdict(block=block, correct=correct, explanation=explanation)


def _load_lenient(text: str) -> Any:
    """json.loads, then the usual repairs: trailing commas, Python literals, single quotes."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    repaired = re.sub(r",\s*([}\]])", r"\1", text)
    try:
        return json.loads(repaired)
    except ValueError:
        pass
    try:
        return ast.literal_eval(re.sub(r"\btrue\b", "True", re.sub(r"\bfalse\b", "False", repaired)))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None


def _field_scan(chunk: str) -> dict[str, Any]:
    """Last resort for one object: pick the fields out with regular expressions."""
    found: dict[str, Any] = {}
    for key in ("block", "correct", "explanation"):
        match = re.search(rf"[\"']?{key}[\"']?\s*:\s*(\"(?:[^\"\\]|\\.)*\"|'[^']*'|[^,}}\n]+)", chunk, re.I)
        if match:
            found[key] = match.group(1).strip().strip("\"'")
    return found


def _objects(text: str) -> Iterable[tuple[dict[str, Any], bool]]:
    """Candidate verdict objects in the text, each with whether it parsed as strict JSON."""
    for match in _OBJECT.finditer(text):
        chunk = match.group(0)
        try:
            value = json.loads(chunk)
            yield (value, True) if isinstance(value, dict) else ({}, False)
            continue
        except ValueError:
            pass
        value = _load_lenient(chunk)
        yield (value if isinstance(value, dict) else _field_scan(chunk)), False


def _strict_whole(text: str) -> bool:
    body = text.strip()
    fence = re.search(r"```(?:json)?\s*\n(.*?)```", body, re.DOTALL)
    if fence:
        body = fence.group(1).strip()
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


def _dedupe(verdicts: Iterable[Verdict]) -> list[Verdict]:
    by_block: dict[int, Verdict] = {}
    for verdict in verdicts:
        by_block.setdefault(verdict.block, verdict)
    return [by_block[k] for k in sorted(by_block)]


def parse_prose_verdicts(text: str) -> list[Verdict]:
    """Verdicts written as lines such as ``Block 3: wrong - total starts at 1``."""
    verdicts = []
    for line in text.splitlines():
        match = _LINE_VERDICT.search(line)
        if match:
            correct = _as_bool(match.group(2))
            if correct is not None:
                explanation = match.group(3).strip().strip("*").strip()
                verdicts.append(Verdict(block=int(match.group(1)), correct=correct, explanation=explanation))
    return _dedupe(verdicts)


def parse_wrong_block(text: str) -> Verdict | None:
    """The focused format's answer: ``WRONG BLOCK: 3`` and ``REASON: ...`` lines, as one wrong verdict."""
    match = _WRONG_BLOCK.search(text)
    if match is None:
        return None
    reason = _REASON.search(text)
    explanation = reason.group(1).strip().strip("*").strip() if reason else ""
    return Verdict(block=int(match.group(1)), correct=False, explanation=explanation)


def parse_verdicts(text: str, expected: Iterable[int] = ()) -> ParsedVerdicts:
    """Parse verdicts from JSON objects (strict or repaired) or, failing that, from prose lines."""
    found: list[Verdict] = []
    all_strict = True
    for obj, strict in _objects(text):
        verdict = _verdict_from(obj)
        if verdict is not None:
            found.append(verdict)
            all_strict = all_strict and strict
    verdicts = _dedupe(found)
    if verdicts:
        how = "strict" if all_strict and _strict_whole(text) else "repaired"
    else:
        verdicts = parse_prose_verdicts(text)
        how = "prose" if verdicts else "none"
    seen = {v.block for v in verdicts}
    missing = [b for b in expected if b not in seen]
    return ParsedVerdicts(verdicts, how, missing)
