"""``tracefix pytest --strategy hierarchical`` with the real embedded model on the shipped repository example
whose bug is two calls below its test (slow: minutes)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracefix.cli import main

pytestmark = [pytest.mark.model, pytest.mark.slow]

EXAMPLE = Path(__file__).parents[2] / "examples" / "stats_repo"


def test_hierarchical_records_the_helpers_calls_and_debugs_the_helpers_bottom_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACEFIX_CACHE", "off")  # real model calls, not stored replies
    repo = shutil.copytree(EXAMPLE, tmp_path / "stats_repo")
    args = ["pytest", "tests/test_core.py::test_report", "--root", str(repo), "--json"]
    args += ["--model", "local:qwen2.5-coder-1.5b", "--strategy", "hierarchical", "--max-iters", "1"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code in (0, 1), result.output
    out = json.loads(result.output[result.output.index("{") :])
    assert out["target"]["function"] == "report"
    record = out["session"]["attempts"][0]["hierarchy"]
    assert record["order"] == ["squares", "sum_of_squares", "report"]
    assert [c["function"] for c in record["calls"]["calls"]] == ["report", "sum_of_squares", "squares"]
    assert record["calls"]["calls"][2]["result"] == "[2, 6]"
    assert record["tried"] and record["tried"][0] == "squares"  # the leaf first, judged wrong or not
    print(f"debugged {record['debugged']}, changed {out.get('changed')}, outcome {out['session']['outcome']}")
