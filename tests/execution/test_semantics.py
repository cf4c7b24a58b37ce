"""Programs run as ``python FILE`` runs them (docs/sandbox.md, "How programs run"), in every path: the runner,
the tracer, the sandbox's test, check and trace jobs, and the hidden-test scorer. Each deliberate difference
has a test that shows it, next to ``python``'s own outcome (``bench/differential.py``'s plain-python side)."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

import tracefix
from tracefix.bench.scoring import hidden_asserts, hidden_check, score
from tracefix.execution import semantics
from tracefix.execution.limits import MIB, Limits
from tracefix.execution.runner import run_check, run_test
from tracefix.execution.sandbox import Executor
from tracefix.execution.tracer import trace_test
from tracefix.execution.worker import trace_limits

ROOT = Path(__file__).resolve().parents[2]
SRC = Path(tracefix.__file__).resolve().parent


def _load_differential() -> ModuleType:
    spec = importlib.util.spec_from_file_location("differential", ROOT / "bench" / "differential.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["differential"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


differential = _load_differential()

LIST_PROGRAM = "def first(xs: List[int]) -> int:\n    return xs[0]\n"
LIST_TEST = "assert first([3, 4]) == 3"
LIST_CHECK = "def check(candidate):\n    assert candidate([3, 4]) == 3\n"
RECURSION = (
    "import sys\n"
    "def down(n):\n"
    "    try:\n"
    "        return down(n + 1)\n"
    "    except RecursionError:\n"
    "        return n\n"
)


@pytest.fixture(scope="module")
def executor() -> Iterator[Executor]:
    with Executor(Limits(wall_s=5.0, memory_bytes=512 * MIB), workers=2) as ex:
        yield ex


def python(prelude: str, program: str, test: str, **options: str) -> str:
    """The outcome of ``python FILE`` on prelude + program + test (the differential check's plain side)."""
    return str(
        differential.PlainPython(10.0, **options)
        .run(differential.plain_source(prelude, program, test))
        .outcome
    )


def python_prints(program: str, test: str = "") -> str:
    """What ``python FILE`` prints for program + test."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "program.py"
        path.write_text(program + test + "\n", encoding="utf-8")
        proc = subprocess.run(
            [sys.executable, str(path)], capture_output=True, text=True, timeout=20, check=True
        )
    return proc.stdout


def outcome(result: object) -> str:
    return str(differential.result_outcome(result))


# --------------------------------------------------------------------------- compiling: no inherited flags


def test_an_annotation_naming_an_unimported_name_fails_as_under_python(executor: Executor) -> None:
    # tracefix's own modules use ``from __future__ import annotations``; compile() used to pass it on.
    assert python("", LIST_PROGRAM, LIST_TEST) == "NameError"
    assert outcome(run_test(LIST_PROGRAM, LIST_TEST)) == "NameError"
    assert outcome(executor.run_test(LIST_PROGRAM, LIST_TEST)) == "NameError"
    trace = executor.trace(LIST_PROGRAM, "first", LIST_TEST)
    assert outcome(trace) == "NameError"
    assert trace.error == "NameError: name 'List' is not defined (program line 1)"
    assert outcome(trace_test(LIST_PROGRAM, "first", LIST_TEST)) == "NameError"
    assert outcome(run_check(LIST_PROGRAM, LIST_CHECK, "first")) == "NameError"


def test_the_hidden_test_scorer_fails_such_a_program_too(executor: Executor) -> None:
    checked = score(executor, LIST_PROGRAM, hidden_check(LIST_CHECK), entry_point="first")
    asserted = score(executor, LIST_PROGRAM, hidden_asserts([LIST_TEST]), entry_point="first")
    assert (checked.passed, checked.error) == (False, "NameError")
    assert (asserted.passed, asserted.error) == (False, "NameError")
    fixed = score(
        executor, "from typing import List\n" + LIST_PROGRAM, hidden_check(LIST_CHECK), entry_point="first"
    )
    assert fixed.passed


def test_the_prelude_can_provide_the_name(executor: Executor) -> None:
    prelude = "from typing import List\n"
    assert python(prelude, LIST_PROGRAM, LIST_TEST) == "pass"
    assert executor.run_test(LIST_PROGRAM, LIST_TEST, prelude=prelude).passed
    assert executor.trace(LIST_PROGRAM, "first", LIST_TEST, prelude=prelude).passed


def test_a_program_with_its_own_future_import_keeps_it(executor: Executor) -> None:
    program = "from __future__ import annotations\n" + LIST_PROGRAM + "NOTE = first.__annotations__['xs']\n"
    test = "assert first([3]) == 3 and NOTE == 'List[int]'"
    assert python("", program, test) == "pass"
    assert executor.run_test(program, test).passed
    assert executor.trace(program, "first", test).passed
    assert run_check(program, LIST_CHECK, "first").passed


def test_prelude_program_and_test_are_compiled_apart() -> None:
    # Documented: a future import of the prelude does not reach the program (in one file it would).
    prelude = "from __future__ import annotations\n"
    assert outcome(run_test(LIST_PROGRAM, LIST_TEST, prelude=prelude)) == "NameError"
    assert python(prelude, LIST_PROGRAM, LIST_TEST) == "pass"


def test_the_test_is_compiled_without_inherited_flags() -> None:
    test = "def g(x: Undefined) -> None:\n    pass\n"
    assert python("", "", test) == "NameError"
    assert outcome(run_test("", test)) == "NameError"
    assert outcome(run_test("", "x = 1\n" + test)) == "NameError"  # not the rewritten single-assert form


def test_every_compile_of_tracefix_gives_dont_inherit() -> None:
    """User code is compiled only through ``semantics.compile_source``; any other compile() in src/tracefix passes
    ``dont_inherit=True`` too."""
    found = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "compile":
                flags = {k.arg: k.value for k in node.keywords}
                inherit = flags.get("dont_inherit")
                if not (isinstance(inherit, ast.Constant) and inherit.value is True):
                    found.add(path.relative_to(SRC).as_posix())
    assert found == set()


# --------------------------------------------------------------------------- the module and the process


MODULE_FACTS = (
    "import builtins, sys, __main__\n"
    "FACTS = (__name__, __main__ is sys.modules[__name__], type(__builtins__).__name__, __builtins__ is builtins,\n"
    "         len is builtins.len, __annotations__, __cached__, __doc__, len(sys.argv))\n"
)


def test_the_program_module_is_like_main_but_for_its_name(executor: Executor) -> None:
    test = "assert FACTS == ('solution', True, 'module', True, True, {}, None, None, 1), FACTS"
    assert executor.run_test(MODULE_FACTS, test).passed
    assert executor.trace(MODULE_FACTS + "def f():\n    return 1\n", "f", test).passed
    assert run_test(MODULE_FACTS, test).passed
    assert run_test("import sys\nARGV = sys.argv\n", "assert ARGV == ['<program>']").passed
    # python itself: the same but for the name
    expected = "('__main__', True, 'module', True, True, {}, None, None, 1)\n"
    assert python_prints(MODULE_FACTS, "print(FACTS)") == expected


def test_a_main_guard_does_not_run_under_a_test(executor: Executor) -> None:
    program = "def f():\n    return 1\nif __name__ == '__main__':\n    raise SystemExit('a driver')\n"
    test = "assert f() == 1"
    assert python("", program, test) == "SystemExit"  # the driver ran, the test never did
    assert python("", program, test, run_name="solution") == "pass"  # the explanation the differential gives
    assert executor.run_test(program, test).passed
    assert executor.trace(program, "f", test).passed


def test_the_process_state_is_restored_after_an_in_process_run() -> None:
    saved = sys.argv, sys.modules.get("__main__"), sys.setrecursionlimit, sys.getrecursionlimit()
    assert run_test("import sys\nsys.setrecursionlimit(50000)\nsys.argv.append('x')\n", "pass").passed
    assert (sys.argv, sys.modules.get("__main__"), sys.setrecursionlimit, sys.getrecursionlimit()) == saved


def test_builtins_are_pythons_own(executor: Executor) -> None:
    program = "import builtins\nNAMES = sorted(dir(builtins))\n"
    expected = python_prints(program, "print(NAMES)").strip()
    result = executor.run_test(program, f"assert repr(NAMES) == {expected!r}, NAMES")
    assert result.passed, result.error
    assert (
        "exit" in expected and "quit" in expected
    )  # site's builtins are there: the worker is not run with -S


def test_stdin_is_empty_and_the_streams_take_bytes(executor: Executor) -> None:
    program = (
        "import sys\n"
        "READ = sys.stdin.buffer.read(), sys.stdin.read()\n"
        "sys.stdout.buffer.write('é'.encode())\n"
        "ENCODING = sys.stdout.encoding\n"
    )
    result = executor.run_test(program, "assert READ == (b'', '') and ENCODING == 'utf-8'\ninput()")
    assert result.error == "EOFError: EOF when reading a line (test line 2)"
    assert result.stdout == "é"
    assert python("", program, "assert READ == (b'', '') and ENCODING == 'utf-8'\ninput()") == "EOFError"


def test_exit_before_the_test_is_a_failure_where_python_never_ran_the_test(executor: Executor) -> None:
    for program in ("exit()\n", "import sys\nsys.exit(0)\n", "raise SystemExit(3)\n"):
        assert python("", program, "assert False") == "SystemExit"
        assert outcome(executor.run_test(program, "assert False")) == "SystemExit"


# --------------------------------------------------------------------------- the recursion limit


def test_the_recursion_depth_is_pythons(executor: Executor) -> None:
    test = "print(sys.getrecursionlimit(), down(0))"
    expected = python_prints(RECURSION, test)
    assert expected.startswith("1000 ")
    assert executor.run_test(RECURSION, test).stdout == expected
    assert run_test(RECURSION, test).stdout == expected  # in this process, under pytest's frames
    for _ in range(
        10
    ):  # and once the interpreter has specialized the runner's code (see ProgramProcess.rebase)
        assert run_test(RECURSION, test).stdout == expected
    check = f"def check(candidate):\n    {test}\n"
    from_check = python_prints(RECURSION, check + "check(down)")
    assert from_check.startswith("1000 ")
    assert executor.run_check(RECURSION, check, "down").stdout == from_check
    assert run_check(RECURSION, check, "down").stdout == from_check


def test_a_limit_the_program_sets_is_pythons_too(executor: Executor) -> None:
    program = RECURSION + "sys.setrecursionlimit(3000)\n"
    test = "print(sys.getrecursionlimit(), down(0))"
    expected = python_prints(program, test)
    assert expected.startswith("3000 ")
    assert executor.run_test(program, test).stdout == expected
    bad = "import sys\nsys.setrecursionlimit(0)\n"
    assert python("", bad, "pass") == outcome(executor.run_test(bad, "pass")) == "ValueError"


def test_under_tracing_the_recursion_stops_a_few_levels_short(executor: Executor) -> None:
    """Documented: the tracer's hooks run on top of the program's frames (docs/sandbox.md)."""
    deepest = int(python_prints(RECURSION, "print(down(0))"))
    program = "def dive(n):\n    return 0 if n == 0 else 1 + dive(n - 1)\n"
    test = f"assert dive({deepest}) == {deepest}"
    assert python("", program, test) == "pass"
    assert executor.run_test(program, test).passed
    assert outcome(executor.trace(program, "dive", test)) == "RecursionError"
    assert executor.trace(program, "dive", f"assert dive({deepest - 10}) == {deepest - 10}").passed


# --------------------------------------------------------------------------- the hash seed


SET_ORDER = "def first_of(words):\n    return next(iter(set(words)))\n"


def test_the_hash_seed_is_fixed_in_every_worker() -> None:
    expected = subprocess.run(
        [sys.executable, "-c", "print(hash('tracefix'))"],
        env={"PYTHONHASHSEED": semantics.HASH_SEED},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    seen = set()
    for mode in ("auto", "rlimits"):
        with Executor(workers=2, sandbox=mode) as ex:  # type: ignore[arg-type]
            results = ex.run_tests(
                "import sys\nprint(hash('tracefix'), sys.flags.hash_randomization)\n", ["pass"] * 4
            )
        seen |= {r.stdout for r in results}
    assert seen == {f"{expected.strip()} 0\n"}


def test_a_set_order_dependent_program_gives_what_python_gives_with_that_seed(executor: Executor) -> None:
    words = [f"w{i}" for i in range(20)]
    first = executor.run_test(SET_ORDER, f"print(first_of({words}))").stdout.strip()
    test = f"assert first_of({words}) == {first!r}"
    assert all(r.passed for r in executor.run_tests(SET_ORDER, [test] * 4))
    assert python("", SET_ORDER, test, hash_seed=semantics.HASH_SEED) == "pass"
    # plain python draws a seed per run: across a few runs the order changes (twenty names: almost surely)
    assert "AssertionError" in {python("", SET_ORDER, test) for _ in range(6)}


# --------------------------------------------------------------------------- the other explained differences


def test_a_trace_needs_the_entry_function(executor: Executor) -> None:
    program = "def other(x):\n    return x\n"
    test = "assert entry(1) == 1"
    assert python("", program, test) == outcome(executor.run_test(program, test)) == "NameError"
    assert outcome(executor.trace(program, "entry", test)) == "FunctionNotFound"


def test_a_job_out_of_memory_says_so_even_with_no_memory_left_for_its_result(executor: Executor) -> None:
    """An endless loop that fills memory: the trace reports MemoryError (it once reported "exited (status 0)":
    the job had no memory left to build its result)."""
    program = "def grow():\n    cells = []\n    n = 3\n    while True:\n        n = n * 2 + 1\n        cells.append(n)\n"
    trace = executor.trace(program, "grow", "grow()")
    run = executor.run_test(program, "grow()")
    assert outcome(trace) == "MemoryError", trace.error
    assert outcome(run) == "MemoryError", run.error


def test_the_memory_limit_is_the_jobs(executor: Executor) -> None:
    program = "def big():\n    return len(bytearray(600 * 1024 * 1024))\n"
    test = "assert big() > 0"
    assert python("", program, test) == "pass"
    assert outcome(executor.run_test(program, test)) == "MemoryError"


# --------------------------------------------------------------------------- the differential check


def test_the_differential_check_finds_no_difference_on_the_shipped_examples(executor: Executor) -> None:
    programs = differential.example_programs()
    assert {p.task_id for p in programs} >= {"sum_evens", "count_positives", "product_of_odds", "longest_run"}
    pairs = differential.pairs_of(programs)
    differential.run_python(pairs, differential.PlainPython(10.0), 2)
    differential.run_executor(pairs, executor, 2, trace=True)
    assert len(pairs) == sum(len(p.tests) for p in programs) >= 12
    assert {p.python for p in pairs} >= {"pass", "AssertionError"}  # the examples are buggy: both outcomes
    assert [p.key for p in pairs if p.differs("run") or p.differs("trace")] == []


SHARED = ROOT.parent / "shared" / "data" / "ldb"


@pytest.mark.skipif(not SHARED.is_dir(), reason="LDB data files not present")
def test_the_differential_check_on_a_sample_of_the_seeds(executor: Executor) -> None:
    programs = [p for p in differential.dataset_programs("humaneval", SHARED) if p.prelude][:6]
    programs += differential.without_prelude(programs)
    pairs = differential.pairs_of(programs)
    differential.run_python(pairs, differential.PlainPython(10.0), 2)
    differential.run_executor(pairs, executor, 2, trace=True)
    assert [p.key for p in pairs if p.differs("run") or p.differs("trace")] == []


def test_the_plain_side_reads_pythons_outcomes() -> None:
    assert differential.plain_outcome(None, "") == "timeout"
    assert differential.plain_outcome(differential.DONE, "") == "pass"
    assert differential.plain_outcome(-9, "") == "killed"
    assert differential.plain_outcome(0, "") == "SystemExit"
    assert differential.plain_outcome(1, "Invalid\n") == "SystemExit"  # sys.exit("Invalid")
    traceback = 'Traceback (most recent call last):\n  File "x.py", line 3\n__main__.Oops: bad\n'
    assert differential.plain_outcome(1, traceback) == "Oops"
    syntax = '  File "x.py", line 1\n    def f(:\n          ^\nSyntaxError: invalid syntax\n'
    assert differential.plain_outcome(1, syntax) == "SyntaxError"


def test_a_trace_under_small_limits_keeps_the_visits_of_a_run_that_does_not_end() -> None:
    """The tracer stops the run itself within the traced wall limit, before the sandbox kills the process."""
    program = "def spin(n):\n    while n > 0:\n        n = n\n    return n\n"
    assert trace_limits(Limits(wall_s=0.2).traced()).time_limit_s == pytest.approx(0.8)
    assert trace_limits(Limits().traced()).time_limit_s == 10.0  # the default stays the tracer's own
    with Executor(workers=1) as executor:
        trace = executor.trace(program, "spin", "assert spin(1) == 0", limits=Limits(wall_s=0.2))
    assert trace.timeout and trace.visits and trace.block_counts[1] > 10
