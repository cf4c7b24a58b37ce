"""Seed programs: the first attempt at each problem, which the strategies then debug.

Seeds come from a seed file in LDB's format (JSON lines with ``task_id`` and ``solution``, as in
``<data-dir>/<dataset>/seed/gpt-3.5-turbo-0613/seed.jsonl``; an ``is_solved`` flag, when present, is kept as
the file's own claim for comparison; HumanEvalFix's ``seeds.jsonl`` is such a file, its buggy programs the
seeds) or are written by the chosen model from the task description
(``--seeds generate``), at temperature 0 and through the model's response cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tracefix.bench.datasets import HUMANEVALFIX_FILE, DatasetError, read_jsonl
from tracefix.models.base import Model
from tracefix.records import GenParams, Message, Task
from tracefix.strategies.extract import extract_program

GENERATE = "generate"
SEED_SYSTEM = "You are an expert Python programmer. Reply with the complete function in one ```python block."
SEED_PARAMS = GenParams(temperature=0.0, max_tokens=768)


@dataclass(frozen=True)
class Seed:
    """The program a run starts from for one task."""

    task_id: str
    program: str
    source: str
    """"file" or "generated"."""
    claimed_solved: bool | None = None
    """The seed file's own ``is_solved`` flag, when it has one (our scoring is what counts)."""


def load_seed_file(path: Path) -> dict[str, Seed]:
    """Seeds by task id from a JSON-lines seed file (``task_id`` and ``solution`` per row)."""
    seeds: dict[str, Seed] = {}
    for row in read_jsonl(path):
        if "task_id" not in row or not isinstance(row.get("solution"), str):
            raise DatasetError(f"{path}: every row needs a task_id and a solution string")
        claimed = row.get("is_solved")
        seeds[row["task_id"]] = Seed(
            task_id=row["task_id"],
            program=row["solution"],
            source="file",
            claimed_solved=claimed if isinstance(claimed, bool) else _flag(claimed),
        )
    return seeds


def _flag(value: object) -> bool | None:
    return {"True": True, "False": False, "true": True, "false": False}.get(str(value))


def file_sha256(path: Path) -> str:
    """The seed file's content hash, recorded with the run so a resume cannot mix seed sets."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def default_seed_file(data_dir: Path | None, dataset: str) -> Path | None:
    """The default seeds for ``dataset`` in the data directory, when they are there: LDB's GPT-3.5 seeds, or
    for HumanEvalFix its ``seeds.jsonl`` (the buggy programs; the same file holds the problems)."""
    if data_dir is None:
        return None
    if dataset == "humanevalfix":
        path = data_dir / HUMANEVALFIX_FILE
    else:
        path = data_dir / dataset / "seed" / "gpt-3.5-turbo-0613" / "seed.jsonl"
    return path if path.is_file() else None


def seed_prompt(task: Task) -> list[Message]:
    """The one-shot request for a seed: the task description and the function to write, nothing else."""
    user = (
        f"{task.description.rstrip()}\n\n"
        f"Write the complete Python function `{task.entry_point}` for the task above, with any imports it "
        "needs. Reply with the code in one ```python block."
    )
    return [Message(role="system", content=SEED_SYSTEM), Message(role="user", content=user)]


def generate_seed(task: Task, model: Model) -> Seed:
    """Ask ``model`` for a first program; a reply without usable code gives an empty seed (it fails)."""
    reply = model.complete(seed_prompt(task), SEED_PARAMS)
    extraction = extract_program(reply.text, task.entry_point)
    return Seed(task_id=task.task_id, program=extraction.program or "", source=GENERATE)


def missing_seeds(task_ids: Iterable[str], seeds: dict[str, Seed]) -> list[str]:
    """Task ids the seed file has no seed for (the run reports them rather than guessing)."""
    return [t for t in task_ids if t not in seeds]
