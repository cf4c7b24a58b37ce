"""Find the pieces of a repository a failing test is about: its source, the function under test, related tests.

Everything here reads files and parses them with ``ast`` (and reads what a pytest run recorded); nothing runs the
repository's code.
"""

from __future__ import annotations

import ast
import contextlib
import os
import textwrap
from dataclasses import dataclass, replace
from pathlib import Path

from tracefix.analysis.source import FunctionNotFound, find_function, function_source, parameter_names
from tracefix.repo.paths import inside
from tracefix.repo.run import Callee, NodeResult, PytestRun
from tracefix.repo.spectrum import rank


class RepoError(Exception):
    """Something about the repository, the node id or the target that the user has to change."""


@dataclass(frozen=True)
class Target:
    """The function under test: a file of the repository (relative path) and a name or ``Class.method``."""

    file: str
    qualname: str
    how: str
    """How it was found: "spectrum" (the test file's failing and passing tests), "traceback", "called by the
    test" or "--target"."""
    why: str = ""
    """The evidence, in a sentence (for "spectrum")."""
    score: float | None = None
    """Its suspiciousness (for "spectrum")."""

    def __str__(self) -> str:
        return f"{self.file}:{self.qualname}"

    def found_by(self) -> str:
        """How it was found, with the evidence when there is some."""
        return f"{self.how}: {self.why}" if self.why else self.how


def split_nodeid(nodeid: str) -> tuple[str, list[str]]:
    """``tests/test_a.py::TestX::test_y[1]`` -> ``("tests/test_a.py", ["TestX", "test_y"])``."""
    path, *parts = nodeid.split("::")
    if parts:
        parts[-1] = parts[-1].split("[", 1)[0]
    return path, parts


def read(root: str, relative: str) -> str:
    """The text of a repository file; RepoError when it cannot be read."""
    try:
        return (Path(root) / relative).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RepoError(f"cannot read {relative}: {exc}") from exc


def test_parts(nodeid: str) -> tuple[str, list[str]]:
    """:func:`split_nodeid` of a node id that names a test; RepoError when it names a file only."""
    path, parts = split_nodeid(nodeid)
    if not parts:
        raise RepoError(f"{nodeid!r} names a file, not a test: give PATH::TEST_NAME")
    return path, parts


def test_source(root: str, nodeid: str, defined: Callee | None = None) -> str:
    """The source of the test function of ``nodeid``, dedented (decorators included).

    It is looked up in the node id's file by its name; a test method a class inherits from a base class defined
    elsewhere is found where ``defined`` (what the test run recorded) says it is."""
    path, parts = test_parts(nodeid)
    try:
        return textwrap.dedent(function_source(read(root, path), ".".join(parts)))
    except (FunctionNotFound, SyntaxError) as exc:
        if defined is not None and inside(defined.file, os.path.realpath(root)):
            relative = os.path.relpath(defined.file, os.path.realpath(root))
            with contextlib.suppress(FunctionNotFound, SyntaxError):
                return textwrap.dedent(function_source(read(root, relative), defined.qualname))
        raise RepoError(f"cannot find the test function of {nodeid}: {exc}") from exc


def from_failure(root: str, result: NodeResult) -> Target | None:
    """The innermost traceback frame in the project's own code (not a test file), else the last project
    function the test called directly from the line where it failed (or at all)."""
    root = os.path.realpath(root)
    for frame in reversed(result.frames):
        if not frame.in_test and inside(frame.file, root):
            target = _checked(root, frame.file, frame.qualname, "traceback")
            if target is not None:
                return target
    failing_line = _failing_line(result)
    callees = [c for c in result.callees if not c.qualname.split(".")[-1].startswith("__")]
    callees = callees or list(result.callees)
    preferred = [c for c in callees if c.from_line == failing_line] or callees
    for callee in reversed(preferred):
        target = _checked(root, callee.file, callee.qualname, "called by the test")
        if target is not None:
            return target
    return None


def from_spectrum(root: str, result: NodeResult, run: PytestRun) -> Target | None:
    """The most suspicious function by :func:`suspects`; None when there is none."""
    return next(iter(suspects(root, result, run)), None)


def suspects(root: str, result: NodeResult, run: PytestRun) -> list[Target]:
    """The functions the failing test ``result`` ran, most suspicious first by
    :func:`tracefix.repo.spectrum.rank` over ``run`` (the test file run with ``spectrum=True``; ties go to
    the failure's traceback, innermost first, then to the functions the test called, from its failing line
    first), each with its evidence; empty when the run has no spectrum or the test did not fail in it."""
    if run.spectrum is None or run.error:
        return []
    root = os.path.realpath(root)
    prefer = [(f.file, f.qualname.replace("<locals>.", "")) for f in reversed(result.frames) if not f.in_test]
    failing_line = _failing_line(result)
    callees = sorted(result.callees, key=lambda callee: callee.from_line != failing_line)
    prefer += [(callee.file, callee.qualname.replace("<locals>.", "")) for callee in callees]
    found = []
    for suspect in rank(run.spectrum, run.verdicts(), root, result.nodeid, prefer=prefer):
        target = _checked(root, os.path.join(root, suspect.file), suspect.qualname, "spectrum")
        if target is not None:
            found.append(replace(target, why=suspect.why(), score=suspect.score))
    return found


def _failing_line(result: NodeResult) -> int | None:
    """The line of the test function where the test failed (its innermost frame in a test file)."""
    test_lines = [f.line for f in result.frames if f.in_test]
    return test_lines[-1] if test_lines else None


def _checked(root: str, file: str, qualname: str, how: str) -> Target | None:
    name = qualname.replace("<locals>.", "")
    relative = os.path.relpath(file, root)
    try:
        find_function(read(root, relative), name)
    except (RepoError, FunctionNotFound, SyntaxError):
        return None  # e.g. a lambda or a comprehension: not a function tracefix can rewrite
    return Target(relative, name, how)


def from_spec(root: str, spec: str) -> Target:
    """Resolve ``module:function`` or ``module:Class.method`` (also ``path/to/file.py:function``)."""
    module, sep, name = spec.partition(":")
    if not sep or not module or not name:
        raise RepoError(f"--target {spec!r}: use module:function or module:Class.method")
    for relative in _module_files(module):
        for base in ("", "src"):
            candidate = os.path.join(base, relative)
            if (Path(root) / candidate).is_file():
                try:
                    find_function(read(root, candidate), name)
                except (FunctionNotFound, SyntaxError) as exc:
                    raise RepoError(f"--target {spec!r}: {candidate}: {exc}") from exc
                return Target(candidate, name, "--target")
    raise RepoError(f"--target {spec!r}: no file for module {module!r} under {root}")


def _module_files(module: str) -> list[str]:
    if module.endswith(".py"):
        return [module]
    path = module.replace(".", "/")
    return [f"{path}.py", f"{path}/__init__.py"]


@dataclass(frozen=True)
class TestCase:
    """A pytest test: its node id and its source (what the model is shown)."""

    __test__ = False  # not a pytest test class

    nodeid: str
    source: str


def related_tests(root: str, nodeid: str, function: str) -> list[TestCase]:
    """Other tests of the same file whose source calls ``function`` (by its last name), in file order."""
    path, parts = split_nodeid(nodeid)
    try:
        tree = ast.parse(read(root, path))
    except SyntaxError:
        return []
    text = read(root, path)
    name = function.split(".")[-1]
    found = []
    for prefix, node in _test_functions(tree):
        qual = [*prefix, node.name]
        if qual == parts or not _calls(node, name):
            continue
        source = textwrap.dedent(function_source(text, ".".join(qual)))
        found.append(TestCase("::".join([path, *qual]), source))
    return found


def _test_functions(tree: ast.Module) -> list[tuple[list[str], ast.FunctionDef | ast.AsyncFunctionDef]]:
    found: list[tuple[list[str], ast.FunctionDef | ast.AsyncFunctionDef]] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
            found.append(([], node))
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name.startswith("test"):
                    found.append(([node.name], item))
    return found


def _calls(node: ast.AST, name: str) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            func = sub.func
            if (isinstance(func, ast.Name) and func.id == name) or (
                isinstance(func, ast.Attribute) and func.attr == name
            ):
                return True
        if isinstance(sub, ast.Attribute) and sub.attr == name:  # a property
            return True
    return False


def fixture_sources(root: str, nodeid: str, test: str) -> list[str]:
    """Sources of the fixtures the test takes as parameters, from its own file or a ``conftest.py`` between
    its folder and ``root`` (the nearest wins, as in pytest); pytest's built-in fixtures are not shown."""
    try:
        node = ast.parse(test).body[0]
    except (SyntaxError, IndexError):
        return []
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return []
    wanted = parameter_names(node.args)
    wanted = [name for name in wanted if name not in ("self", "cls")]
    path, _ = split_nodeid(nodeid)
    found: dict[str, str] = {}
    for relative in _fixture_files(root, path):
        text = read(root, relative)
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        for definition in tree.body:
            if (
                isinstance(definition, ast.FunctionDef)
                and definition.name in wanted
                and _is_fixture(definition)
            ):
                found.setdefault(definition.name, textwrap.dedent(function_source(text, definition.name)))
    return [found[name] for name in wanted if name in found]


def _fixture_files(root: str, test_path: str) -> list[str]:
    files = [test_path]
    folder = Path(test_path).parent
    while True:
        conftest = folder / "conftest.py"
        if (Path(root) / conftest).is_file():
            files.append(str(conftest))
        if folder == Path("."):
            return files
        folder = folder.parent


def _is_fixture(node: ast.FunctionDef) -> bool:
    return any("fixture" in ast.unparse(decorator) for decorator in node.decorator_list)
