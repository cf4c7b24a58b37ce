"""Debug a failing pytest test: find the function under test, trace it, fix it as a patch of only its functions.

>>> found = examine("/path/to/repo", "tests/test_cart.py::test_total")  # doctest: +SKIP
>>> trace = trace_found(found)  # doctest: +SKIP
>>> fix = debug_found(found, load_model(None), apply=True)  # doctest: +SKIP

The debugging loop is tracefix's own (``run_loop`` with any strategy) over a :class:`RepoRunner`: the program the
model sees and rewrites is the whole module holding the function (so traces are in the file's own line
numbers); candidates run in a temporary copy of the repository, never in the user's tree. The proposed patch
takes from the final program only the functions it changed, and writes them into the original file with
``replace_function``: the rest of the file (comments, decorators, other code) is kept byte for byte.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import difflib
import os
import re
import shutil
import tempfile
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tracefix.analysis.cfg import build_cfg
from tracefix.analysis.imports import brought_imports, with_imports
from tracefix.analysis.source import FunctionNotFound, docstring_of, function_source, replace_function
from tracefix.models.base import Model
from tracefix.records import (
    CFG,
    Attempt,
    CallTrace,
    ExceptionInfo,
    LineSuspicion,
    Session,
    Task,
    TestResult,
    Trace,
)
from tracefix.repo.locate import (
    RepoError,
    Target,
    TestCase,
    fixture_sources,
    from_failure,
    from_spec,
    from_spectrum,
    read,
    related_tests,
    split_nodeid,
    test_parts,
    test_source,
)
from tracefix.repo.locate import suspects as find_suspects
from tracefix.repo.minimize import minimize
from tracefix.repo.paths import module_name
from tracefix.repo.run import (
    DEFAULT_BUDGET,
    Budget,
    CallsSpec,
    Collected,
    NodeResult,
    PytestRun,
    TraceSpec,
    run_pytest,
)
from tracefix.repo.spectrum import functions as function_spans
from tracefix.repo.spectrum import line_counts
from tracefix.strategies.build import run
from tracefix.strategies.engine import Settings

_IGNORED = shutil.ignore_patterns(
    ".git", ".hg", ".venv", "venv", ".tox", ".nox", "node_modules", "__pycache__", ".mypy_cache",
    ".pytest_cache", ".ruff_cache", "*.pyc",
)  # fmt: skip


@dataclass
class Found:
    """A failing test and the function under test."""

    root: str
    nodeid: str
    test: str
    """The test function's source."""
    result: NodeResult
    target: Target
    source: str
    """The text of the target's file."""
    run: PytestRun
    spectrum: PytestRun | None = None
    """The test file's run with every test's lines recorded (None with ``--target``, or when it failed)."""

    @property
    def cfg(self) -> CFG:

        return build_cfg(self.source, self.target.qualname)


class DidNotRun(RepoError):
    """The test did not run at all (pytest timed out or crashed before it, or could not collect it)."""


_NO_MODULE = re.compile(r"ModuleNotFoundError: No module named '([\w.]+)'")
STAND_IN_TRIES = 10
"""Collections of the test tried by :func:`missing_modules`, each with one more stand-in module."""


def missing_modules(root: str, nodeid: str, budget: Budget = DEFAULT_BUDGET) -> tuple[str, ...]:
    """The modules that are not installed and stop ``nodeid`` from being collected (its module or a module it
    imports), found one collection after another, each with the modules found so far as stand-ins. A module
    of the project itself is never one of them."""
    found: tuple[str, ...] = ()
    for _ in range(STAND_IN_TRIES):
        run = run_pytest(root, [nodeid], budget=dataclasses.replace(budget, stand_in_modules=found),
                         args=["--collect-only"])  # fmt: skip
        names = [m.group(1) for error in run.collect_errors for m in _NO_MODULE.finditer(error)]
        new = [n for n in dict.fromkeys(names) if n not in found and not _in_project(root, n)]
        if not new:
            return found
        found += (new[0],)
    return found


def _in_project(root: str, module: str) -> bool:
    base = Path(root, *module.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def examine(
    root: str,
    nodeid: str,
    *,
    target: str | None = None,
    budget: Budget = DEFAULT_BUDGET,
    spectra: dict[str, PytestRun] | None = None,
) -> Found:
    """Run ``nodeid`` once (sandboxed) and find the function under test; RepoError says what to change.

    Unless ``target`` names it, the function under test is the most suspicious one by the lines the test
    file's failing and passing tests ran (:mod:`tracefix.repo.spectrum`; one more run of the test file); when
    that run fails, the innermost project frame of the traceback, or the function the test called. A test that
    does not finish within ``budget.test_s`` is stopped where it is and counts as failing there (its traceback
    names the function it was in). ``spectra`` keeps the spectrum runs by test file, for a caller that examines
    several tests of one file."""
    root = os.path.realpath(root)
    path, _ = split_nodeid(nodeid)
    if not (Path(root) / path).is_file():
        raise RepoError(f"no test file {path} under {root} (node ids are relative to the repository root)")
    test_parts(nodeid)
    try:
        source_of_test: str | None = test_source(root, nodeid)
    except RepoError:
        source_of_test = None  # maybe inherited from a base class elsewhere: the run says where it is
    run = run_pytest(root, [nodeid], discover=True, budget=budget)
    result = run.result(nodeid)
    if result is None:
        if source_of_test is None:
            test_source(root, nodeid)  # no such test function: the usage error
        why = run.error or "; ".join(run.collect_errors)[:2000] or "pytest collected no such test"
        raise DidNotRun(f"{nodeid} did not run: {why}")
    if source_of_test is None:
        source_of_test = test_source(root, nodeid, result.defined)
    spectrum = None
    if target:
        chosen: Target | None = from_spec(root, target)
    elif result.passed:
        chosen = from_failure(root, result)
    else:
        spectra = {} if spectra is None else spectra
        if path not in spectra:
            spectra[path] = run_pytest(root, [path], spectrum=True, budget=budget)
        spectrum = spectra[path]
        chosen = from_spectrum(root, result, spectrum) or from_failure(root, result)
    if chosen is None:
        raise RepoError(
            f"no function of the project appears in the failure of {nodeid}; name it with --target module:function"
        )
    usable = (
        spectrum if spectrum is not None and spectrum.spectrum is not None and not spectrum.error else None
    )
    return Found(root, nodeid, source_of_test, result, chosen, read(root, chosen.file), run, usable)


def trace_found(found: Found, *, root: str | None = None, budget: Budget = DEFAULT_BUDGET) -> Trace:
    """Run the test again with the target traced; the trace is in the target file's own line numbers (a test
    that does not finish is stopped after ``budget.test_s``, its trace bounded)."""
    base = os.path.realpath(root or found.root)
    nodeid = found.result.nodeid  # the failing case, when the node id names a parametrized test
    spec = TraceSpec(nodeid, os.path.join(base, found.target.file), found.target.qualname, found.test)
    run = run_pytest(base, [nodeid], trace=spec, budget=budget)
    if run.trace is not None:
        return run.trace
    error = run.error or "the test did not run"
    return Trace(function=found.target.qualname, test=found.test, passed=False, error=error)


# --------------------------------------------------------------------------- candidate programs


def function_names(source: str) -> list[str]:
    """Top-level functions and methods of top-level classes, as ``name`` / ``Class.method``."""
    return list(dict.fromkeys(name for name, _, _ in function_spans(source)))


def _shape(function: str) -> str:
    return ast.dump(ast.parse(textwrap.dedent(function)))


def merge_functions(original: str, candidate: str) -> tuple[str, list[str]]:
    """``original`` with every function whose code ``candidate`` changed replaced by the candidate's version.

    Functions whose code is the same (comments and formatting aside) keep their original text; new functions
    and module-level changes of the candidate are not taken, but for the imports a changed function needs
    (``analysis.imports``). Returns the new text and the changed names.
    """
    try:
        names = function_names(original)
        ast.parse(candidate)
    except SyntaxError:
        return original, []
    merged, changed, imports = original, [], []
    for name in names:
        try:
            new = function_source(candidate, name)
            old = function_source(merged, name)
        except (FunctionNotFound, SyntaxError):
            continue
        if _shape(new) != _shape(old):
            merged = replace_function(merged, name, new)
            changed.append(name)
            imports += [i for i in brought_imports(candidate, new, original) if i not in imports]
    return with_imports(merged, imports), changed


def unified_diff(before: str, after: str, path: str) -> str:
    """A ``git diff``-style unified diff of one file."""
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{path}", f"b/{path}"
        )
    )


# --------------------------------------------------------------------------- the Runner for the loop


UNIT_FILE = "tracefix_units_test.py"
"""Where the repository runner writes unit tests of the target file's functions (in the temporary copy only;
``debug_found`` takes nothing but the target file from the copy)."""


class RepoRunner:
    """The engine's ``Runner`` over a temporary copy of the repository.

    ``run_tests`` and ``trace`` write the candidate program as the target file of the copy and run pytest
    node ids there, sandboxed. The tests the engine passes are test sources; ``tests`` maps them to node ids.
    """

    def __init__(
        self, copy_root: str, target: Target, tests: list[TestCase], *, budget: Budget = DEFAULT_BUDGET
    ) -> None:
        self.root = os.path.realpath(copy_root)
        self.target = target
        self.nodeids = {case.source: case.nodeid for case in tests}
        self.budget = budget
        self.runs = 0
        self._units: list[str] = []

    def _write(self, program: str) -> None:
        Path(self.root, self.target.file).write_text(program, encoding="utf-8")

    def run_tests(self, program: str, tests: list[str], *, prelude: str = "") -> list[TestResult]:
        """Run the node ids of ``tests`` against ``program`` in the copy; a test that is no test of the
        repository (a unit test the hierarchical strategy wrote for a function of the target file) runs from a
        test module written into the copy, with the target module's names in scope."""
        self._write(program)
        units = [test for test in tests if test not in self.nodeids]
        if units:
            self.nodeids.update(self._write_units(units))
        nodeids = [self.nodeids[test] for test in tests]
        self.runs += 1
        run = run_pytest(self.root, nodeids, budget=self.budget)
        return [
            test_result(test, run.result(nodeid), run) for test, nodeid in zip(tests, nodeids, strict=True)
        ]

    def _write_units(self, tests: list[str]) -> dict[str, str]:
        """Write ``tests`` (each an assert over the target module's names) as test functions of
        ``UNIT_FILE`` in the copy; test source -> node id."""
        module = module_name(os.path.join(self.root, self.target.file), self.root)
        if module is None:
            raise RepoError(f"{self.target.file} is not importable as a module: unit tests cannot run")
        self._units.extend(t for t in tests if t not in self._units)
        lines = [
            '"""Unit tests tracefix wrote for functions of the file under test (in its temporary copy)."""',
            "import importlib",
            "",
            f"_module = importlib.import_module({module!r})",
            "globals().update({k: v for k, v in vars(_module).items() if not k.startswith('__')})",
        ]
        for number, test in enumerate(self._units):
            lines += ["", "", f"def test_unit_{number}():", textwrap.indent(test.strip(), "    ")]
        Path(self.root, UNIT_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
        return {test: f"{UNIT_FILE}::test_unit_{number}" for number, test in enumerate(self._units)}

    def trace(
        self, program: str, entry: str, test: str, *, prelude: str = "", cfg: CFG | None = None
    ) -> Trace:
        """Run the node id of ``test`` against ``program`` with ``entry`` traced."""
        if cfg is not None:
            raise NotImplementedError("the line level is not available for pytest targets; use --level block")
        self._write(program)
        nodeid = self.nodeids[test]
        spec = TraceSpec(nodeid, os.path.join(self.root, self.target.file), entry, test)
        self.runs += 1
        run = run_pytest(self.root, [nodeid], trace=spec, budget=self.budget)
        if run.trace is not None:
            return run.trace
        return Trace(function=entry, test=test, passed=False, error=run.error or "the test did not run")

    def record_calls(self, program: str, test: str, *, prelude: str = "") -> CallTrace:
        """Run the node id of ``test`` against ``program`` with every call of the target file's functions
        recorded."""
        self._write(program)
        nodeid = self.nodeids[test]
        spec = CallsSpec(nodeid, os.path.join(self.root, self.target.file), test)
        self.runs += 1
        run = run_pytest(self.root, [nodeid], calls=spec, budget=self.budget)
        if run.calls is not None:
            return run.calls
        return CallTrace(test=test, passed=False, error=run.error or "the test did not run")


def test_result(test: str, node: NodeResult | None, run: PytestRun) -> TestResult:
    """A pytest outcome as the engine's TestResult (the error keeps pytest's assertion explanation)."""
    if node is None:
        why = run.error or "; ".join(run.collect_errors)[-600:] or "pytest did not run this test"
        return TestResult(test=test, passed=False, error=why, timeout="timed out" in why)
    if node.passed:
        return TestResult(test=test, passed=True, stdout=node.stdout, duration_s=node.duration_s)
    message = " ".join(node.message.split())[:600]
    last = node.frames[-1] if node.frames else None
    info = ExceptionInfo(
        type=node.exc_type or node.outcome,
        message=message,
        line=None if last is None else last.line,
        in_test=last is not None and last.in_test,
    )
    where = "" if last is None else f" ({os.path.basename(last.file)} line {last.line})"
    error = f"{info.type}: {message}{where}" if message else f"{info.type}{where}"
    if node.outcome == "error":
        error = f"error in test setup: {error}"
    return TestResult(
        test=test,
        passed=False,
        error=error,
        exception=info,
        stdout=node.stdout,
        duration_s=node.duration_s,
        timeout=node.timeout,
    )


# --------------------------------------------------------------------------- the whole debugging run


@dataclass
class Fix:
    """The outcome of debugging a failing test."""

    session: Session
    original: str
    """The target file before."""
    patched: str
    """The target file with the changed functions replaced (equal to ``original`` when nothing changed)."""
    changed: list[str]
    diff: str
    target: Target
    """The function debugged."""
    checked: bool = False
    """Whether the patched file was run against the failing test and its whole test file."""
    check_failures: list[str] = field(default_factory=list)
    """Node ids (with the error) that fail with the patch; empty when the check passed."""
    failing_before: list[str] = field(default_factory=list)
    """Other tests of the file that fail with the patch but failed before it too (not counted against it)."""
    applied: bool = False
    undone: int = 0
    """Hunks of the model's patch the visible tests did not need, undone (:mod:`tracefix.repo.minimize`)."""
    tried: list[Fix] = field(default_factory=list)
    """Every function's fix ``debug_found`` made, in turn (its ``suspects``), this one among them."""

    @property
    def passes(self) -> bool:
        return self.checked and not self.check_failures


def visible_cases(found: Found, *, budget: Budget = DEFAULT_BUDGET) -> list[TestCase]:
    """The loop's visible tests: every test of the failing test's file that exercises the function under test
    (the failing test, the others whose source calls it, and those the spectrum run saw run it), one per
    parametrized case, the failing case first, by node id; they are what the patch is checked against too.

    A case is shown to the model as its test function's source under a comment naming the case and its
    parameters. When the file's tests cannot be collected, the test functions themselves are the cases."""
    functions = [
        TestCase(found.nodeid, found.test),
        *related_tests(found.root, found.nodeid, found.target.qualname),
    ]
    source_of = {_function_id(case.nodeid): case.source for case in functions}
    for nodeid in _ran_target(found):
        if _function_id(nodeid) not in source_of:
            with contextlib.suppress(RepoError):
                source_of[_function_id(nodeid)] = test_source(found.root, nodeid)
    test_file, _ = split_nodeid(found.nodeid)
    collected = run_pytest(found.root, [test_file], budget=budget, args=["--collect-only"]).collected
    cases = [
        _case(item, source_of[_function_id(item.nodeid)])
        for item in collected
        if _function_id(item.nodeid) in source_of
    ]
    if not any(case.nodeid == found.result.nodeid for case in cases):
        return functions
    first = next(case for case in cases if case.nodeid == found.result.nodeid)
    return [first, *(case for case in cases if case is not first)]


def _ran_target(found: Found) -> list[str]:
    """The node ids of the spectrum run's tests that ran a line of the function under test, in run order."""
    span = _target_span(found)
    if found.spectrum is None or found.spectrum.spectrum is None or span is None:
        return []
    ran = found.spectrum.spectrum.ran(os.path.join(found.root, found.target.file), *span)
    return [nodeid for nodeid in found.spectrum.spectrum.tests if nodeid in ran]


def _target_span(found: Found) -> tuple[int, int] | None:
    """The first and last line of the function under test in its file."""
    spans = [
        (first, last) for name, first, last in function_spans(found.source) if name == found.target.qualname
    ]
    return spans[0] if spans else None


def _function_id(nodeid: str) -> str:
    """The node id of the test function of a node id (a parametrized case's without its ``[...]``)."""
    return nodeid.split("[", 1)[0]


def _case(item: Collected, source: str) -> TestCase:
    if item.nodeid == _function_id(item.nodeid):
        return TestCase(item.nodeid, source)
    params = ", ".join(f"{name}={value}" for name, value in item.params.items())
    case = item.nodeid.split("::")[-1]
    return TestCase(item.nodeid, f"# pytest case {case}" + (f": {params}" if params else "") + f"\n{source}")


def task_for(found: Found, cases: list[TestCase], stand_ins: tuple[str, ...] = ()) -> Task:
    """The task: the function's docstring plus the failing test's source; the tests are the cases' sources.
    Modules replaced by stand-ins (``Budget.stand_in_modules``) are named."""
    doc = docstring_of(found.source, found.target.qualname) or ""
    description = f"{doc}\n\nThe function must make this pytest test pass:\n{found.test}".strip()
    fixtures = fixture_sources(found.root, found.nodeid, found.test)
    if fixtures:
        description += "\n\nIts fixtures:\n" + "\n".join(fixtures)
    if stand_ins:
        named = ", ".join(f"`{name}`" for name in stand_ins)
        description += (
            f"\n\nModules not installed here, replaced by invented stand-ins when the tests run: {named}. A "
            "stand-in's value shows as <stand-in>. Keep using them as the code does."
        )
    return Task(
        task_id=found.nodeid,
        description=description,
        entry_point=found.target.qualname,
        visible_tests=[case.source for case in cases],
        shown="function",  # the program is the whole module: the model reads and writes the function
        suspicions=suspicions(found),
    )


def suspicions(found: Found) -> list[LineSuspicion]:
    """The lines of the function under test the spectrum run's failing tests ran, each with the failing and
    passing tests of the test file that ran it (empty without a spectrum)."""
    run, span = found.spectrum, _target_span(found)
    if run is None or run.spectrum is None or span is None:
        return []
    file = os.path.join(found.root, found.target.file)
    lines = found.source.splitlines()
    return [
        LineSuspicion(
            line=c.line,
            code=lines[c.line - 1].strip(),
            failed=c.failed,
            passed=c.passed,
            failed_total=c.failed_total,
            passed_total=c.passed_total,
            score=c.score,
        )
        for c in line_counts(run.spectrum, run.verdicts(), file, *span)
        if c.failed and 0 < c.line <= len(lines)
    ]


SUSPECTS = 2
"""Functions ``debug_found`` debugs in turn by default, most suspicious first, until one's fix passes."""


def debug_found(
    found: Found,
    model: Model,
    *,
    strategy: str = "ldb",
    max_iters: int = 3,
    apply: bool = False,
    budget: Budget = DEFAULT_BUDGET,
    on_attempt: Callable[[Attempt], None] | None = None,
    suspects: int = SUSPECTS,
    on_target: Callable[[Target], None] | None = None,
) -> Fix:
    """Debug the target of ``found`` with ``strategy``; check the patch on the test file; write it if ``apply``
    and the check passed.

    When the target was chosen by the spectrum and its patch does not pass, the next most suspicious
    functions are debugged in turn (``suspects`` functions in all; ``on_target`` is told of each new one). The
    fix returned is the first that passes, else the first target's; ``Fix.tried`` keeps them all."""
    targets = [found.target]
    if found.spectrum is not None and found.target.how == "spectrum":
        chosen = (found.target.file, found.target.qualname)
        ranked = find_suspects(found.root, found.result, found.spectrum)
        targets += [t for t in ranked if (t.file, t.qualname) != chosen]
    fixes: list[Fix] = []
    for target in targets[: max(1, suspects)]:
        current = found if target is found.target else _retargeted(found, target)
        if fixes and on_target is not None:
            on_target(target)
        fix = _debug_target(current, model, strategy, max_iters, budget, on_attempt)
        fixes.append(fix)
        if fix.passes:
            break
    fix = next((f for f in fixes if f.passes), fixes[0])
    fix.tried = fixes
    if apply and fix.passes:
        Path(found.root, fix.target.file).write_text(fix.patched, encoding="utf-8")
        fix.applied = True
    return fix


def _retargeted(found: Found, target: Target) -> Found:
    return dataclasses.replace(found, target=target, source=read(found.root, target.file))


def _debug_target(
    found: Found,
    model: Model,
    strategy: str,
    max_iters: int,
    budget: Budget,
    on_attempt: Callable[[Attempt], None] | None,
) -> Fix:
    """Debug ``found.target``, undo the hunks of its patch the visible tests do not need, and check the patch
    (nothing is written)."""
    cases = visible_cases(found, budget=budget)
    task = task_for(found, cases, budget.stand_in_modules)
    with tempfile.TemporaryDirectory(prefix="tracefix-repo-") as scratch:
        copy = os.path.join(scratch, "repo")
        shutil.copytree(found.root, copy, ignore=_IGNORED, symlinks=True)
        runner = RepoRunner(copy, found.target, cases, budget=budget)
        # A pytest test's source uses its module's names and fixtures: never judged broken on its own.
        settings = Settings(max_iters=max_iters, broken_tests=False)
        session = run(task, found.source, model, runner, strategy, settings=settings, on_attempt=on_attempt)
        patched, changed = merge_functions(found.source, session.final_program)
        undone = 0
        if changed and session.outcome == "fixed":

            def passes(text: str) -> bool:
                return all(result.passed for result in runner.run_tests(text, task.visible_tests))

            patched, undone = minimize(found.source, patched, passes)
            changed = merge_functions(found.source, patched)[1]
        diff = unified_diff(found.source, patched, found.target.file)
        fix = Fix(session, found.source, patched, changed, diff, found.target, undone=undone)
        if changed:
            _check(fix, found, cases, copy, budget)
    return fix


def _check(fix: Fix, found: Found, cases: list[TestCase], copy: str, budget: Budget) -> None:
    """Run the failing test and every test of its file against the patched file (in the copy).

    Every visible case (a test exercising the function) must pass, and so must every other test of the file
    that passed before; another test that already failed before the patch (another bug) does not block it.
    """
    test_file, _ = split_nodeid(found.nodeid)
    visible = {case.nodeid for case in cases} | {found.nodeid}
    Path(copy, found.target.file).write_text(fix.original, encoding="utf-8")
    before = run_pytest(copy, [test_file], budget=budget)
    failed_before = {node.nodeid for node in before.tests if not node.passed}
    Path(copy, found.target.file).write_text(fix.patched, encoding="utf-8")
    run = run_pytest(copy, [found.nodeid, test_file], budget=budget)
    fix.checked = True
    if run.error or not run.tests:
        fix.check_failures.append(run.error or "; ".join(run.collect_errors)[:600] or "no test ran")
        return
    for node in run.tests:
        if node.passed:
            continue
        line = f"{node.nodeid}: {test_result(node.nodeid, node, run).error}"
        seen = node.nodeid in visible or _function_id(node.nodeid) in visible
        (fix.check_failures if seen or node.nodeid not in failed_before else fix.failing_before).append(line)
