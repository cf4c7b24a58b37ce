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


def _summary(categories: dict[str, object] | None) -> dict[str, object]:
    figures = {
        "pass_at_1": 50.0, "repaired": 1, "repair_rate_hidden": 50.0, "repaired_debuggable": 1,
        "repair_rate_visible": 50.0, "regressed": 0, "calls": {"median": 2, "mean": 2},
        "prompt_tokens": {"median": 100, "mean": 100}, "completion_tokens": {"median": 20, "mean": 20},
        "wall_s": {"median": 1, "mean": 1, "total": 2}, "runs": 2, "pending": 0,
    }  # fmt: skip
    summary: dict[str, object] = {
        "config": {
            "dataset": "humanevalfix", "strategies": ["ldb"], "model": "fake", "seeds": "seeds.jsonl",
            "seeds_sha256": None, "max_iters": 10, "temperature": 0.0, "tracefix_version": "test",
        },
        "problems": 2, "selected": 2, "debuggable": 2, "broken_seeds": [],
        "seed": {"passed": 0, "pass_at_1": 0.0, "failed_hidden": 2},
        "strategies": {"ldb": figures}, "only_fixed_by": {"ldb": {}},
    }  # fmt: skip
    if categories is not None:
        summary["categories"] = categories
    return summary


def test_the_breakdown_per_bug_type_is_a_table_only_when_the_run_has_categories() -> None:
    per = {
        "seeds": 1, "selected": 1, "failed_hidden": 1, "debuggable": 1,
        "strategies": {"ldb": {"debugged": 1, "repaired": 1}},
    }  # fmt: skip
    text = run_summary.render(_summary({"value misuse": per}), "tracefix bench")
    assert "| bug type | seeds | fail hidden | fail visible | `ldb` |" in text
    assert "| value misuse | 1 | 1 | 1 | 1 / 1 |" in text
    assert "bug type" not in run_summary.render(_summary(None), "tracefix bench")
