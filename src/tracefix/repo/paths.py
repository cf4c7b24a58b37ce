"""Which files of a repository are its tests and which are its own code."""

from __future__ import annotations

import os

TEST_FILE_NAMES = ("conftest.py",)


def is_test_file(path: str) -> bool:
    """``test_*.py``, ``*_test.py`` and ``conftest.py``: files whose frames are the tests', not the project's."""
    name = os.path.basename(path)
    return name in TEST_FILE_NAMES or name.startswith("test_") or name.endswith("_test.py")


def inside(path: str, root: str) -> bool:
    """Whether ``path`` is a file under ``root`` (both real paths)."""
    return path.startswith(root.rstrip("/") + "/")
