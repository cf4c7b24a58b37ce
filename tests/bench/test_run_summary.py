"""bench/run_summary.py: the header names where the seeds came from."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_SPEC = importlib.util.spec_from_file_location(
    "run_summary", Path(__file__).parents[2] / "bench" / "run_summary.py"
)
assert _SPEC is not None and _SPEC.loader is not None
run_summary = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(run_summary)


def test_a_seed_file_is_named_by_its_hash_and_generated_seeds_say_so() -> None:
    assert run_summary._seed_origin({"seeds_sha256": "0123456789abcdef"}) == "sha256 0123456789ab..."
    assert run_summary._seed_origin({"seeds_sha256": None}) == "written by the model under test, no file"
