"""bench/realbugs: the mutator, the driver's scoring on a tiny library with a fake tracefix, and resuming."""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

_PACKAGE = Path(__file__).resolve().parents[2] / "bench" / "realbugs"
_SPEC = importlib.util.spec_from_file_location(
    "realbugs", _PACKAGE / "__init__.py", submodule_search_locations=[str(_PACKAGE)]
)
assert _SPEC is not None and _SPEC.loader is not None
sys.modules.setdefault("realbugs", importlib.util.module_from_spec(_SPEC))
_SPEC.loader.exec_module(sys.modules["realbugs"])
mutate = importlib.import_module("realbugs.mutate")
generate = importlib.import_module("realbugs.generate")
driver = importlib.import_module("realbugs.driver")
report = importlib.import_module("realbugs.report")
pytests = importlib.import_module("realbugs.pytests")

SOURCE = textwrap.dedent(
    '''\
    def clamp(values, low, high):
        """Doc string."""
        out = []
        for value in values:
            if value < low and low != 0:
                out.append(low)
            elif value in (1, 2):
                out.append(max(value, high))
            out.append(value)
        return out


    class Box:
        def size(self, items):
            count = len(items)
            return count + len(self.extra)
    '''
)


def _by(mutations: list[Any], kind: str, operator: str, line: int) -> Any:
    found = [m for m in mutations if (m.kind, m.operator, m.line) == (kind, operator, line)]
    assert len(found) == 1, f"{kind} {operator} on line {line}: {found}"
    return found[0]


@pytest.mark.parametrize(
    ("kind", "operator", "line", "after"),
    [
        ("operator misuse", "Lt -> LtE", 5, "        if value <= low and low != 0:"),
        ("operator misuse", "and -> or", 5, "        if value < low or low != 0:"),
        ("value misuse", "2 -> 3", 7, "        elif value in (1, 3):"),
        ("variable misuse", "value -> high", 9, "        out.append(high)"),
        ("function misuse", "max -> min", 8, "            out.append(min(value, high))"),
        ("function misuse", ".append -> .extend", 9, "        out.extend(value)"),
        ("missing logic", "drop operand 2 of And", 5, "        if value < low:"),
        ("missing logic", "delete Expr", 9, None),
        ("excess logic", "extra condition and high", 7, "        elif value in (1, 2) and high:"),
        ("excess logic", "extra term + 1", 16, "        return count + len(self.extra) + 1"),
    ],
)
def test_each_kind_makes_its_single_line_change(
    kind: str, operator: str, line: int, after: str | None
) -> None:
    mutation = _by(mutate.mutations(SOURCE), kind, operator, line)
    assert mutation.mutated == after
    mutated = mutation.apply(SOURCE).splitlines()
    original = SOURCE.splitlines()
    if after is None:
        assert mutated == original[: line - 1] + original[line:]
    else:
        assert [i for i, (a, b) in enumerate(zip(original, mutated, strict=True)) if a != b] == [line - 1]
    assert mutation.function == ("Box.size" if line > 12 else "clamp")


def test_the_mutator_leaves_docstrings_self_and_uncovered_lines_alone() -> None:
    mutations = mutate.mutations(SOURCE)
    assert {m.kind for m in mutations} == set(mutate.KINDS)
    assert all(m.line != 2 for m in mutations)  # the docstring
    assert not any("self" in m.operator.split(" -> ") for m in mutations)
    only = mutate.mutations(SOURCE, lines={5})
    assert only and {m.line for m in only} == {5}


def test_candidates_are_ordered_by_the_seed_alone() -> None:
    found = [generate.Candidate("m.py", m, ["tests/test_m.py"]) for m in mutate.mutations(SOURCE)]
    first = generate.queues_for(found, 28, "lib")
    again = generate.queues_for(list(reversed(found)), 28, "lib")
    other = generate.queues_for(found, 29, "lib")

    def order(queues: dict[str, list[Any]]) -> dict[str, list[tuple[int, str]]]:
        return {k: [(c.mutation.line, c.mutation.operator) for c in v] for k, v in queues.items()}

    assert order(first) == order(generate.queues_for(found, 28, "lib"))
    assert order(first) != order(other)
    # the same candidates in another order come out as the same sets (the shuffle starts from their order)
    assert {k: sorted(v) for k, v in order(first).items()} == {k: sorted(v) for k, v in order(again).items()}


# --------------------------------------------------------------------------- the driver, on a tiny library

LIB = "def add(a, b):\n    return a + b\n"
TEST = "from calc.ops import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n\n\ndef test_zero():\n    assert add(0, 0) == 0\n"

FAKE = textwrap.dedent(
    """\
    import json, sys, time
    from pathlib import Path
    args = sys.argv[1:]
    root = Path(args[args.index("--root") + 1])
    mode = {mode!r}
    target = root / "calc" / "ops.py"
    if mode == "hang":
        time.sleep(60)
    if mode == "crash":
        sys.exit(3)
    text = {{"restore": "def add(a, b):\\n    return a + b\\n",
             "reorder": "def add(a, b):\\n    return b + a\\n",
             "wrong": "def add(a, b):\\n    return a * b\\n"}}.get(mode)
    if text is not None:
        target.write_text(text)
    session = {{"outcome": "fixed" if text else "failed", "calls": 2, "usage": {{"prompt_tokens": 10, "completion_tokens": 5}}, "attempts": [{{}}]}}
    print(json.dumps({{"outcome": "failed", "target": {{"file": "calc/ops.py", "function": "add"}}, "session": session, "applied": bool(text)}}))
    sys.exit(0 if text else 1)
    """
)


def _library(tmp_path: Path) -> Path:
    tree = tmp_path / "pristine"
    (tree / "calc").mkdir(parents=True)
    (tree / "calc" / "__init__.py").write_text("")
    (tree / "calc" / "ops.py").write_text(LIB)
    (tree / "tests").mkdir()
    (tree / "tests" / "test_ops.py").write_text(TEST)
    return tree


def _mutant(id: str = "calc-001") -> dict[str, Any]:
    return {
        "id": id,
        "library": "calc",
        "version": "0",
        "file": "calc/ops.py",
        "line": 2,
        "function": "add",
        "kind": "operator misuse",
        "original": "    return a + b",
        "mutated": "    return a - b",
        "test_file": "tests/test_ops.py",
        "failing": ["tests/test_ops.py::test_add"],
        "hangs": False,
    }


def _options(tmp_path: Path, mode: str, **kw: Any) -> Any:
    script = tmp_path / f"fake_{mode}.py"
    script.write_text(FAKE.format(mode=mode))
    return driver.Options(strategies=["ldb"], tracefix=[sys.executable, str(script)], **kw)


@pytest.mark.parametrize(
    ("mode", "plausible", "exact", "exact_ast"),
    [("restore", True, True, True), ("reorder", True, False, False), ("wrong", False, False, False)],
)
def test_a_written_patch_is_scored_by_the_tests_and_by_the_original_text(
    tmp_path: Path, mode: str, plausible: bool, exact: bool, exact_ast: bool
) -> None:
    tree = _library(tmp_path)
    result = driver.run_one(_mutant(), "ldb", tree, _options(tmp_path, mode))
    assert result["applied"] and result["files_written"] == ["calc/ops.py"]
    assert (result["plausible"], result["exact"], result["exact_ast"]) == (plausible, exact, exact_ast)
    assert result["wrote_while_failing"] is (not plausible)
    assert result["localized"] and not result["crashed"] and not result["hung"]
    assert (result["calls"], result["prompt_tokens"], result["completion_tokens"]) == (2, 10, 5)
    assert (tree / "calc" / "ops.py").read_text() == LIB  # the pristine tree is never touched


@pytest.mark.parametrize(("mode", "flag"), [("none", None), ("crash", "crashed"), ("hang", "hung")])
def test_no_patch_a_crash_and_a_hang(tmp_path: Path, mode: str, flag: str | None) -> None:
    result = driver.run_one(_mutant(), "ldb", _library(tmp_path), _options(tmp_path, mode, budget_s=3))
    assert not result["applied"] and not result["plausible"] and not result["exact"]
    assert not result["wrote_while_failing"]
    for name in ("crashed", "hung"):
        assert result[name] is (name == flag)


def test_exact_needs_the_whole_file_and_line_restored_only_the_line() -> None:
    mutant = _mutant()
    original = "def add(a, b):\n    return a + b\n"
    assert driver.mutant_text(mutant, original) == "def add(a, b):\n    return a - b\n"
    assert driver.score_text(mutant, original, original) == {
        "exact": True,
        "exact_ast": True,
        "line_restored": True,
    }
    reformatted = "def add(a, b):\n    return (a + b)\n"
    assert driver.score_text(mutant, original, reformatted) == {
        "exact": False,
        "exact_ast": True,
        "line_restored": False,
    }
    commented = "def add(a, b):  # sum\n    return a + b\n"
    assert driver.score_text(mutant, original, commented) == {
        "exact": False,
        "exact_ast": True,
        "line_restored": True,
    }
    deleted = dict(mutant, mutated=None)
    assert driver.mutant_text(deleted, original) == "def add(a, b):\n"


def test_resume_skips_the_pairs_done_and_a_line_cut_short(tmp_path: Path) -> None:
    tree = _library(tmp_path)
    out = tmp_path / "run"
    out.mkdir()
    done = {"id": "calc-001", "strategy": "ldb", "plausible": True}
    (out / "results.jsonl").write_text(json.dumps(done) + "\n" + '{"id": "calc-002", "strat')
    mutants = [_mutant("calc-001"), _mutant("calc-002")]
    assert driver.load_results(out / "results.jsonl") == [done]
    pairs = driver.pending(mutants, ["ldb", "feedback"], [done])
    assert [(m["id"], s) for m, s in pairs] == [
        ("calc-001", "feedback"),
        ("calc-002", "ldb"),
        ("calc-002", "feedback"),
    ]

    options = _options(tmp_path, "none")
    options.strategies = ["ldb", "feedback"]
    with pytest.raises(SystemExit, match="--resume"):
        driver.run(mutants, {"calc": tree}, out, options, say=lambda _: None)
    new = driver.run(mutants, {"calc": tree}, out, options, resume=True, command="bench", say=lambda _: None)
    assert [(r["id"], r["strategy"]) for r in new] == [(m["id"], s) for m, s in pairs]
    assert driver.run(mutants, {"calc": tree}, out, options, resume=True, say=lambda _: None) == []
    results = driver.load_results(out / "results.jsonl")
    assert len(results) == 4

    (out / "mutants.jsonl").write_text("".join(json.dumps(m) + "\n" for m in mutants))
    text = report.render(out, mutants, "test")
    assert "| ldb | 2 | 1 (50 %)" in text and "| feedback | 2 | 0 (0 %)" in text
    assert "| operator misuse | 2 |" in text and "| calc | 2 |" in text


def test_the_plugin_counts_a_failing_subtest_and_a_hang(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text(
        textwrap.dedent(
            """\
            import unittest

            class T(unittest.TestCase):
                def test_sub(self):
                    for i in range(2):
                        with self.subTest(i=i):
                            self.assertEqual(i, 0)

            def test_loop():
                while True:
                    pass

            def test_ok():
                pass
            """
        )
    )
    run = pytests.run_tests(tmp_path, ["tests/test_x.py"], per_test_s=1, wall_s=60)
    assert run.outcomes == {
        "tests/test_x.py::T::test_sub": "failed",
        "tests/test_x.py::test_loop": "timeout",
        "tests/test_x.py::test_ok": "passed",
    }
    assert run.subtest == {"tests/test_x.py::T::test_sub"} and run.hangs == ["tests/test_x.py::test_loop"]
    assert not run.passed


def test_generating_some_libraries_keeps_the_others_mutants(tmp_path: Path, monkeypatch: Any) -> None:
    libs = importlib.import_module("realbugs.libs")
    manifest = libs.Manifest(
        seed=1,
        libraries=[libs.Library(name, "1", f"{name}.tar.gz", "0", [name], []) for name in ("a", "b", "c")],
    )
    out, stats = tmp_path / "mutants.jsonl", tmp_path / "libraries.json"
    out.write_text(
        "".join(json.dumps({"id": f"{n}-001", "library": n, "kind": "value misuse"}) + "\n" for n in "abc")
    )
    stats.write_text(json.dumps({"libraries": [{"name": n, "old": True} for n in "abc"]}))

    def fake(library: Any, cache: Path, **kw: Any) -> Any:
        result = generate.LibraryResult(library, generate.Baseline(1, 0.0, {}, {}, {}))
        result.kept = [
            {"id": f"{library.name}-new", "library": library.name, "kind": "value misuse", "hangs": False}
        ]
        result.kept[0]["subtests_only"] = False
        return result

    monkeypatch.setattr(generate, "generate_library", fake)
    generate.generate(manifest, tmp_path, names=["b"], out=out, stats_out=stats, command="again", jobs=1)
    assert [m["id"] for m in generate.load_mutants(out)] == ["a-001", "b-new", "c-001"]
    entries = json.loads(stats.read_text())["libraries"]
    assert [(e["name"], e.get("old", False), e.get("command")) for e in entries] == [
        ("a", True, None),
        ("b", False, "again"),
        ("c", True, None),
    ]


def test_the_libraries_take_turns() -> None:
    mutants = [
        {**_mutant("a-001"), "library": "a"},
        {**_mutant("a-002"), "library": "a"},
        {**_mutant("b-001"), "library": "b"},
        {**_mutant("b-002"), "library": "b"},
    ]
    pairs = driver.pending(mutants, ["ldb"], [])
    assert [m["id"] for m, _ in pairs] == ["a-001", "b-001", "a-002", "b-002"]


def test_per_library_takes_each_librarys_first_mutants_in_turns() -> None:
    mutants = [
        {"id": f"{lib}-{n}", "library": lib}
        for lib, count in (("a", 3), ("b", 1), ("c", 2))
        for n in range(count)
    ]
    assert [m["id"] for m in generate.in_turns(mutants, 2)] == ["a-0", "b-0", "c-0", "a-1", "c-1"]
