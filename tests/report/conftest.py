"""Fixtures of the report tests."""

from __future__ import annotations

import pytest
from report_samples import make_session

from tracefix.records import Session


@pytest.fixture
def session() -> Session:
    """A fresh two-attempt LDB session (see report_samples.py)."""
    return make_session()
