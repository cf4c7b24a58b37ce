"""HumanEvalFix: its problems and seeds from one file, the bug type as the problem's category, the
per-category breakdown of the summary, and ``tracefix bench --dataset humanevalfix`` end to end.

A tiny file in HumanEvalFix's format stands in for the real one (no model, no shared data): four buggy
seeds of the mini problems, whose canonical programs the oracle strategy of ``benchfakes`` returns.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from benchfakes import ChildExecutor, OracleStrategy, oracle
from click.testing import CliRunner

import tracefix.cli.bench as cli_bench
from tracefix.bench.datasets import DatasetError, default_data_dir, load_problems
from tracefix.bench.harness import Harness, Selection
from tracefix.bench.report import CSV_FIELDS, category_table, summarize, write_outputs
from tracefix.bench.scoring import HiddenScore
from tracefix.bench.seeds import default_seed_file, load_seed_file
from tracefix.bench.store import RunConfig, RunStore, SeedRow
from tracefix.cli import main

CANONICAL = "CANONICAL-SOLUTION-NEVER-SHOWN"


def _row(
    task_id: str, prompt: str, entry: str, body: str, check: str, given: list[str], bug: str
) -> dict[str, Any]:
    return {
        "task_id": task_id, "prompt": prompt, "entry_point": entry, "test": check,
        "canonical_solution": f"    # {CANONICAL}\n", "seed": "", "given_tests": given,
        "solution": prompt + body, "is_solved": False, "bug_type": bug, "failure_symptoms": "incorrect output",
    }  # fmt: skip


ROWS = [
    _row(
        "Mini/2", 'import math\n\n\ndef double(x: int) -> int:\n    """Twice x."""\n', "double",
        "    return 2 + x\n", "def check(candidate):\n    assert candidate(3) == 6\n    assert candidate(-3) == -6\n",
        ["assert double(3) == 6"], "operator misuse",
    ),
    _row(
        "Mini/3", 'def is_even(n: int) -> bool:\n    """n is even."""\n', "is_even",
        "    return n % 2 == 1\n", "def check(candidate):\n    assert candidate(4)\n    assert not candidate(7)\n",
        ["assert is_even(4) == True"], "value misuse",
    ),
    # Passes its only visible test: not debuggable.
    _row(
        "Mini/4", 'def negate(x: int) -> int:\n    """Minus x."""\n', "negate",
        "    return x\n", "def check(candidate):\n    assert candidate(5) == -5\n",
        ["assert negate(0) == 0"], "missing logic",
    ),
    _row(
        "Mini/10", 'def first(xs: list) -> object:\n    """The first item."""\n', "first",
        "    return xs[-1]\n", "def check(candidate):\n    assert candidate([1, 2]) == 1\n",
        ["assert first([1, 2]) == 1"], "value misuse",
    ),
]  # fmt: skip

BREAKDOWN = {  # ldb repairs Mini/2 and Mini/10, feedback Mini/2; value misuse has two seeds, so it comes first
    "value misuse": {
        "seeds": 2, "selected": 2, "failed_hidden": 2, "debuggable": 2,
        "strategies": {"ldb": {"debugged": 2, "repaired": 1}, "feedback": {"debugged": 2, "repaired": 0}},
    },
    "missing logic": {
        "seeds": 1, "selected": 1, "failed_hidden": 1, "debuggable": 0,
        "strategies": {"ldb": {"debugged": 0, "repaired": 0}, "feedback": {"debugged": 0, "repaired": 0}},
    },
    "operator misuse": {
        "seeds": 1, "selected": 1, "failed_hidden": 1, "debuggable": 1,
        "strategies": {"ldb": {"debugged": 1, "repaired": 1}, "feedback": {"debugged": 1, "repaired": 1}},
    },
}  # fmt: skip


@pytest.fixture
def fix_dir(tmp_path: Path) -> Path:
    data = tmp_path / "shared" / "data" / "humanevalfix"
    data.mkdir(parents=True)
    (data / "seeds.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    return data


def strategies() -> dict[str, OracleStrategy]:
    return {"ldb": oracle("ldb", ["Mini/2", "Mini/10"]), "feedback": oracle("feedback", ["Mini/2"])}


# --------------------------------------------------------------------------- loading


def test_problems_come_from_the_file_with_their_bug_type(fix_dir: Path) -> None:
    problems = load_problems("humanevalfix", fix_dir)
    assert [p.task_id for p in problems] == ["Mini/2", "Mini/3", "Mini/4", "Mini/10"]
    assert [p.category for p in problems] == [
        "operator misuse",
        "value misuse",
        "missing logic",
        "value misuse",
    ]
    double = problems[0]
    assert double.dataset == "humanevalfix"
    assert double.task.description == ROWS[0]["prompt"]  # the prompt, as for HumanEval
    assert double.task.prelude == "import math\n"
    assert double.task.visible_tests == ["assert double(3) == 6"]
    assert double.hidden.kind == "check" and len(double.hidden) == 1
    for problem in problems:  # neither the canonical solution nor a hidden test reaches the task
        text = problem.task.model_dump_json()
        assert CANONICAL not in text and "def check" not in text


def test_the_same_file_gives_the_buggy_seeds(fix_dir: Path) -> None:
    path = default_seed_file(fix_dir, "humanevalfix")
    assert path == fix_dir / "seeds.jsonl"
    seeds = load_seed_file(path)
    assert seeds["Mini/2"].program.endswith("    return 2 + x\n")
    assert {s.claimed_solved for s in seeds.values()} == {False}
    assert default_seed_file(fix_dir, "humaneval") is None  # LDB's layout is not there


def test_the_default_data_directory_is_per_dataset(fix_dir: Path) -> None:
    shared = fix_dir.parent
    cwd = shared.parent.parent / "main"
    cwd.mkdir()
    assert default_data_dir(cwd, "humanevalfix") == fix_dir.resolve()
    assert default_data_dir(cwd, "humaneval") is None  # no ../shared/data/ldb here
    (shared / "ldb").mkdir()
    assert default_data_dir(cwd, "mbpp") == (shared / "ldb").resolve()


def test_a_missing_file_or_field_is_a_dataset_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"seeds\.jsonl: give --data-dir"):
        load_problems("humanevalfix", None)
    with pytest.raises(DatasetError, match=r"missing dataset file .*seeds\.jsonl"):
        load_problems("humanevalfix", tmp_path)
    (tmp_path / "seeds.jsonl").write_text(json.dumps({"task_id": "X/1", "prompt": ""}) + "\n")
    with pytest.raises(DatasetError, match="X/1 lacks entry_point, test, given_tests"):
        load_problems("humanevalfix", tmp_path)


# --------------------------------------------------------------------------- store and summary


def run_config(names: list[str]) -> RunConfig:
    return RunConfig(
        dataset="humanevalfix", seeds="seeds.jsonl", strategies=names, model="fake", max_iters=2,
        tracefix_version="test",
    )  # fmt: skip


def test_the_category_reaches_the_store_and_the_summary(fix_dir: Path, tmp_path: Path) -> None:
    problems = load_problems("humanevalfix", fix_dir)
    seeds = load_seed_file(fix_dir / "seeds.jsonl")
    store = RunStore(tmp_path / "run")
    store.start(run_config(["ldb", "feedback"]), resume=False)
    harness = Harness(problems, lambda p: seeds[p.task_id], strategies(), ChildExecutor(), store)
    try:
        assert harness.run(Selection()) == "complete"
        assert {s.task_id: s.category for s in store.seeds()} == {p.task_id: p.category for p in problems}
        summary = write_outputs(store)
    finally:
        store.close()
    assert summary["seed"]["passed"] == 0 and summary["debuggable"] == 3
    assert summary["categories"] == BREAKDOWN
    assert list(summary["categories"]) == list(BREAKDOWN)  # most seeds first, then by name
    for name, figures in summary["strategies"].items():  # the categories add up to the strategy's figures
        per = [c["strategies"][name] for c in summary["categories"].values()]
        assert sum(p["repaired"] for p in per) == figures["repaired"]
        assert sum(p["debugged"] for p in per) == figures["runs"]
    with (tmp_path / "run" / "results.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == [*CSV_FIELDS, "category"]
    assert {(r["task_id"], r["category"]) for r in rows} >= {("Mini/4", "missing logic")}


def seed_row(task_id: str, category: str | None) -> SeedRow:
    return SeedRow(
        task_id=task_id, position=0, program="", source="file", category=category,
        hidden=HiddenScore(passed=False, tests=1, failed=1), visible_passed=0, visible_total=1,
    )  # fmt: skip


def test_without_categories_the_summary_has_no_breakdown_and_old_rows_still_load() -> None:
    plain = seed_row("T/1", None)
    old = json.loads(plain.model_dump_json())
    del old["category"]  # a row stored before the field existed
    assert SeedRow.model_validate(old) == plain
    summary = summarize(run_config(["ldb"]), [plain], [], ["T/1"])
    assert "categories" not in summary
    assert category_table(summary) is None
    mixed = summarize(run_config(["ldb"]), [plain, seed_row("T/2", "excess logic")], [], ["T/1", "T/2"])
    assert list(mixed["categories"]) == ["(none)", "excess logic"]


# --------------------------------------------------------------------------- the command


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    class NoModel:  # the seeds come from the file: the model is never asked
        name = identity = "fake-model"

        def close(self) -> None:
            pass

    made: dict[str, Any] = {}

    def make_strategies(names: list[str], *rest: object) -> dict[str, OracleStrategy]:
        made.update({n: s for n, s in strategies().items() if n in names})
        return {n: made[n] for n in names}

    monkeypatch.setattr(cli_bench, "_open_executor", ChildExecutor)
    monkeypatch.setattr(cli_bench, "open_model", lambda spec: NoModel())
    monkeypatch.setattr(cli_bench, "make_strategies", make_strategies)
    return made


def test_bench_humanevalfix_end_to_end(fix_dir: Path, tmp_path: Path, fakes: dict[str, Any]) -> None:
    run_dir = tmp_path / "run"
    args = ["bench", "--dataset", "humanevalfix", "--data-dir", str(fix_dir), "--strategies", "ldb,feedback"]
    result = CliRunner().invoke(main, [*args, "--run-dir", str(run_dir), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["config"]["dataset"] == "humanevalfix"
    assert summary["config"]["seeds"] == str((fix_dir / "seeds.jsonl").resolve())
    assert summary["seed"] == {
        "passed": 0, "pass_at_1": 0.0, "failed_hidden": 4, "failed_visible": 3, "claimed_passed": 0,
    }  # fmt: skip
    assert summary["strategies"]["ldb"]["repaired_ids"] == ["Mini/2", "Mini/10"]
    assert summary["categories"] == BREAKDOWN
    assert json.loads((run_dir / "summary.json").read_text())["categories"] == BREAKDOWN
    assert all("def check" not in t.description for s in fakes.values() for t in s.seen)

    printed = CliRunner().invoke(main, [*args, "--run-dir", str(tmp_path / "printed")])
    assert printed.exit_code == 0, printed.output
    table = printed.output.split("per bug type")[1]
    assert "value misuse" in table and "1 / 2" in table and "0 / 2" in table


def test_bench_humanevalfix_finds_its_default_data_directory(
    fix_dir: Path, tmp_path: Path, fakes: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    cwd = tmp_path / "main"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    args = ["bench", "--dataset", "humanevalfix", "--strategies", "feedback", "--run-dir", "r", "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["config"]["data_dir"] == str(fix_dir.resolve())
    monkeypatch.chdir(tmp_path)  # no ../shared/data/humanevalfix from here
    missing = CliRunner().invoke(main, args)
    assert missing.exit_code == 2 and "needs HumanEvalFix's seeds.jsonl: give --data-dir" in missing.output
