"""Hidden tests never reach a strategy: by construction, by imports, and in every prompt of a real run."""

from __future__ import annotations

import ast
import functools
import re
import subprocess
import sys
from pathlib import Path

import pytest
from benchfakes import MINI_LDB, MINI_SEEDS, sandbox

import tracefix.strategies
from tracefix.api import debug_task
from tracefix.bench.datasets import BenchProblem, load_problems
from tracefix.bench.harness import Harness, Selection
from tracefix.bench.seeds import load_seed_file
from tracefix.bench.store import RunConfig, RunStore
from tracefix.records import GenParams, Message, Reply, Task, Usage

STRATEGIES_DIR = Path(tracefix.strategies.__file__).parent
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "ldb"


def test_no_strategy_module_imports_the_bench_stage() -> None:
    offenders = []
    for path in sorted(STRATEGIES_DIR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            offenders += [f"{path.name}: {n}" for n in names if n.startswith("tracefix.bench")]
    assert offenders == []


def test_importing_every_strategy_module_does_not_load_the_scorer() -> None:
    modules = sorted(p.stem for p in STRATEGIES_DIR.glob("*.py") if p.stem != "__init__")
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module('tracefix.strategies.' + m)\n"
        "print(sorted(m for m in sys.modules if m.startswith('tracefix.bench')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_task_record_has_no_place_for_hidden_tests() -> None:
    assert set(Task.model_fields) == {
        "task_id",
        "description",
        "entry_point",
        "visible_tests",
        "prelude",
        "shown",
        "suspicions",  # the repository mode's line counts from the user's own test file; benchmarks set none
    }
    with pytest.raises(ValueError, match="hidden"):
        Task.model_validate({"entry_point": "f", "visible_tests": [], "hidden": "def check(c): ..."})


class RecordingModel:
    """Answers every request with the same reply and keeps every message it was sent."""

    name = identity = "recording"
    max_concurrency = 1
    context_size = None

    def __init__(self) -> None:
        self.messages: list[Message] = []

    def complete(self, messages: list[Message], params: GenParams) -> Reply:
        self.messages += messages
        return Reply(text="```python\ndef unrelated():\n    return 0\n```", usage=Usage(prompt_tokens=1))

    def close(self) -> None:
        pass


def hidden_lines(check_code: str, entry_point: str) -> list[str]:
    """The hidden asserts, with ``candidate`` spelled as the entry point (as a leak would show them)."""
    lines = [line.strip() for line in check_code.splitlines() if line.strip().startswith("assert")]
    return [re.sub(r"\bcandidate\b", entry_point, line) for line in lines]


def assert_no_leak(problems: list[BenchProblem], rows: dict[str, str], model: RecordingModel) -> None:
    text = "\n".join(m.content for m in model.messages)
    assert "def check(candidate)" not in text
    for problem in problems:
        visible = {t.replace(" ", "") for t in problem.task.visible_tests}
        for line in hidden_lines(rows[problem.task_id], problem.task.entry_point):
            if line.replace(" ", "") not in visible:  # a hidden assert that is also shown is not a leak
                assert line not in text, f"{problem.task_id}: hidden test in a prompt: {line}"


def run_instrumented(
    problems: list[BenchProblem], seeds_path: Path, tmp_path: Path, runner: object
) -> RecordingModel:
    model = RecordingModel()
    seeds = load_seed_file(seeds_path)
    names = ["feedback", "explain"] + (["ldb"] if hasattr(runner, "trace") else [])
    store = RunStore(tmp_path)
    store.start(
        RunConfig(dataset="humaneval", seeds=str(seeds_path), strategies=names, model="recording", max_iters=2,
                  tracefix_version="test"),
        resume=False,
    )  # fmt: skip
    strategies = {
        n: functools.partial(debug_task, model=model, strategy=n, max_iters=2, executor=runner) for n in names
    }
    h = Harness(problems, lambda p: seeds[p.task_id], strategies, runner, store)  # type: ignore[arg-type]
    assert h.run(Selection()) == "complete"
    debugged = [r for r in store.results() if r.status == "done"]
    assert debugged, "the instrumented run must debug something, or it proves nothing"
    return model


def test_no_hidden_test_appears_in_any_prompt_of_a_run(tmp_path: Path) -> None:
    import json

    rows = {
        json.loads(line)["task_id"]: json.loads(line)["test"] for line in MINI_SEEDS.read_text().splitlines()
    }
    problems = load_problems("humaneval", MINI_LDB)
    model = run_instrumented(problems, MINI_SEEDS, tmp_path, sandbox())
    assert model.messages
    assert_no_leak(problems, rows, model)


@pytest.mark.skipif(not SHARED.is_dir(), reason="LDB data files not present")
def test_no_hidden_test_in_prompts_on_real_failing_humaneval_seeds(tmp_path: Path) -> None:
    import json

    seeds_path = SHARED / "humaneval" / "seed" / "gpt-3.5-turbo-0613" / "seed.jsonl"
    rows = [json.loads(line) for line in seeds_path.read_text().splitlines()]
    failing = {r["task_id"] for r in rows if not r["is_solved"]}
    problems = [p for p in load_problems("humaneval", SHARED) if p.task_id in failing][:4]
    model = run_instrumented(problems, seeds_path, tmp_path, sandbox())
    assert_no_leak(problems, {r["task_id"]: r["test"] for r in rows}, model)


def test_the_leak_check_catches_a_leak() -> None:
    problem = load_problems("humaneval", MINI_LDB)[1]  # double: hidden asserts candidate(-3) == -6
    model = RecordingModel()
    model.messages.append(Message(role="user", content="hint: assert double(-3) == -6"))
    with pytest.raises(AssertionError, match="hidden test in a prompt"):
        assert_no_leak(
            [problem], {problem.task_id: "def check(candidate):\n    assert candidate(-3) == -6\n"}, model
        )
