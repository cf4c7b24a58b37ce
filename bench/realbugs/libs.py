"""The pinned libraries: fetch their sdists with pip, check the sha256, unpack them into a cache.

The cache (``~/.cache/tracefix/realbugs`` unless ``--cache`` or ``TRACEFIX_REALBUGS_CACHE``) holds::

    sdists/NAME-VERSION.tar.gz       as pip downloaded it (``pip download --no-binary :all: --no-deps``)
    trees/NAME-VERSION/              the unpacked sdist, the pristine tree every mutant is copied from

A library with ``src_path`` (a src layout) gets a root ``conftest.py`` that puts that directory first on
``sys.path``: the repository mode puts only the root there, and the library is not installed anywhere.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "manifest.json"
MUTANTS = HERE / "mutants.jsonl"
LIBRARIES = HERE / "libraries.json"

SHIM = """\
# Added by tracefix's real-bugs benchmark (bench/realbugs): the library has a src layout and is not
# installed; the repository mode puts only the root on sys.path, so put {src!r} first.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), {src!r}))
"""

_IGNORED = shutil.ignore_patterns("__pycache__", ".pytest_cache", "*.pyc", ".realbugs-unpacked")


@dataclass(frozen=True)
class Library:
    name: str
    version: str
    sdist: str
    sha256: str
    sources: list[str]
    """Directories (relative to the tree) whose modules are mutated."""
    tests: list[str]
    """The test files used, relative to the tree."""
    excluded: dict[str, str] = field(default_factory=dict)
    src_path: str | None = None

    @property
    def key(self) -> str:
        return f"{self.name}-{self.version}"

    def source_files(self, tree: Path) -> list[str]:
        """The library's own modules (relative paths), tests and test helpers left out."""
        found = []
        for source in self.sources:
            for path in sorted((tree / source).rglob("*.py")):
                rel = path.relative_to(tree).as_posix()
                parts = rel.split("/")
                if any(part in ("tests", "test") for part in parts[:-1]) or parts[-1].startswith("test_"):
                    continue
                found.append(rel)
        return found


@dataclass(frozen=True)
class Manifest:
    seed: int
    libraries: list[Library]

    def library(self, name: str) -> Library:
        for library in self.libraries:
            if library.name == name:
                return library
        raise KeyError(name)


def load_manifest(path: Path = MANIFEST) -> Manifest:
    data = json.loads(path.read_text(encoding="utf-8"))
    libraries = [
        Library(
            name=entry["name"],
            version=entry["version"],
            sdist=entry["sdist"],
            sha256=entry["sha256"],
            sources=list(entry["sources"]),
            tests=list(entry["tests"]),
            excluded=dict(entry.get("excluded", {})),
            src_path=entry.get("src_path"),
        )
        for entry in data["libraries"]
    ]
    return Manifest(seed=int(data["seed"]), libraries=libraries)


def default_cache() -> Path:
    env = os.environ.get("TRACEFIX_REALBUGS_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "tracefix" / "realbugs"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def tree_of(library: Library, cache: Path) -> Path:
    return cache / "trees" / library.key


def fetch(library: Library, cache: Path, *, say: object = print) -> Path:
    """Download (unless cached), verify and unpack ``library``; return its pristine tree."""
    sdists = cache / "sdists"
    sdists.mkdir(parents=True, exist_ok=True)
    archive = sdists / library.sdist
    if not archive.exists():
        with tempfile.TemporaryDirectory(dir=sdists) as scratch:
            command = [
                sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps",
                "--dest", scratch, f"{library.name}=={library.version}",
            ]  # fmt: skip
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            got = Path(scratch) / library.sdist
            if done.returncode != 0 or not got.exists():
                raise SystemExit(
                    f"pip download {library.name}=={library.version} failed:\n{done.stderr[-2000:]}"
                )
            got.replace(archive)
    actual = sha256_of(archive)
    if actual != library.sha256:
        raise SystemExit(f"{archive}: sha256 {actual}, the manifest pins {library.sha256}")
    tree = tree_of(library, cache)
    if not (tree / ".realbugs-unpacked").exists():
        _unpack(archive, tree, library)
        if callable(say):
            say(f"unpacked {library.key} into {tree}")
    return tree


def _unpack(archive: Path, tree: Path, library: Library) -> None:
    if tree.exists():
        shutil.rmtree(tree)
    with tempfile.TemporaryDirectory(dir=tree.parent if tree.parent.exists() else None) as scratch:
        with tarfile.open(archive) as tar:
            tar.extractall(scratch, filter="data")
        (top,) = Path(scratch).iterdir()
        tree.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(top), tree)
    for rel in [*library.tests, *library.sources]:
        if not (tree / rel).exists():
            raise SystemExit(f"{library.key}: the sdist has no {rel}")
    if library.src_path:
        conftest = tree / "conftest.py"
        if conftest.exists():
            raise SystemExit(f"{library.key}: a root conftest.py already exists; add the src path by hand")
        conftest.write_text(SHIM.format(src=library.src_path), encoding="utf-8")
    (tree / ".realbugs-unpacked").write_text(library.sha256 + "\n", encoding="utf-8")


def copy_tree(tree: Path, dest: Path) -> Path:
    """A fresh copy of a pristine tree (without caches and the unpack marker)."""
    shutil.copytree(tree, dest, ignore=_IGNORED)
    return dest
