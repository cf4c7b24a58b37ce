"""Which files of a repository are its tests and which are its own code."""

from __future__ import annotations

import os

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
