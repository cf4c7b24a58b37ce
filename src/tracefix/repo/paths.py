"""Which files of a repository are its tests and which are its own code."""

from __future__ import annotations

import os
from pathlib import Path

TEST_FILE_NAMES = ("conftest.py",)
TEST_DIRS = ("tests", "test", "testing")


def is_test_file(path: str, root: str) -> bool:
    """Files whose frames are the tests', not the project's: ``test_*.py``, ``*_test.py``, ``conftest.py``, and
    every file in a ``tests``, ``test`` or ``testing`` folder under ``root`` (a test suite's helpers and the
    base classes its tests inherit from, as in ``tests/__init__.py``)."""
    name = os.path.basename(path)
    if name in TEST_FILE_NAMES or name.startswith("test_") or name.endswith("_test.py"):
        return True
    if not inside(path, root):
        return False
    folders = os.path.relpath(path, root).split(os.sep)[:-1]
    return any(folder in TEST_DIRS for folder in folders)


def inside(path: str, root: str) -> bool:
    """Whether ``path`` is a file under ``root`` (both real paths)."""
    return path.startswith(root.rstrip("/") + "/")


def module_name(file: str, root: str) -> str | None:
    """The module a file of the repository is imported as (``pkg.mod``), from ``root`` or ``root/src``; None
    when its path is not a module name."""
    for base in (root, os.path.join(root, "src")):
        if inside(file, base):
            parts = list(Path(os.path.relpath(file, base)).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            if parts and all(part.isidentifier() for part in parts):
                return ".".join(parts)
    return None
