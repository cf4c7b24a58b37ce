"""``tracefix pytest --apply`` with the real embedded model on one small repository (slow: minutes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from samples import SHOP, write_repo

from tracefix.cli import main
from tracefix.repo.run import run_pytest

pytestmark = [pytest.mark.model, pytest.mark.slow]


def test_the_embedded_model_fixes_a_loop_that_overwrites_its_sum(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACEFIX_CACHE", "off")  # a real model call, not a stored reply
    shop = write_repo(tmp_path / "shop", SHOP)
    before = (shop / "shop/pricing.py").read_text()
    args = ["pytest", "tests/test_pricing.py::test_subtotal", "--root", str(shop), "--apply", "--json"]
    args += ["--model", "local:qwen2.5-coder-1.5b", "--max-iters", "3"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["applied"] and out["changed"] == ["subtotal"]
    after = (shop / "shop/pricing.py").read_text()
    changed = [line for line in out["diff"].splitlines()[2:] if line[:1] in "+-"]
    assert all(line[1:] in before or line[1:] in after for line in changed)
    assert after.split("def subtotal")[0] == before.split("def subtotal")[0]  # the rest of the file kept
    assert after.split("def with_tax")[1] == before.split("def with_tax")[1]
    assert '    """Sum of the prices of (qty, unit) lines."""\n' in after  # left out of the prompt, put back
    run = run_pytest(
        str(shop), ["tests/test_pricing.py::test_subtotal", "tests/test_pricing.py::test_subtotal_one"]
    )
    assert [t.outcome for t in run.tests] == ["passed", "passed"]
    print(f"model calls {out['session']['calls']}, {out['session']['duration_s']:.1f} s")


def test_the_embedded_model_rewrites_the_line_only_the_failing_test_ran(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_spectrum import STATS

    monkeypatch.setenv("TRACEFIX_CACHE", "off")
    repo = write_repo(tmp_path / "stats", STATS)
    args = ["pytest", "tests/test_stats.py::test_mean_high", "--root", str(repo), "--apply", "--json"]
    args += ["--model", "local:qwen2.5-coder-1.5b", "--max-iters", "2", "--suspects", "1"]
    result = CliRunner().invoke(main, args)
    out = json.loads(result.output)
    first = out["session"]["attempts"][0]
    prompt = first["messages"][-1]["content"]
    # The spectrum blamed `_clip`, and its line `return low` under `x > high` is the part cut out, saying why.
    assert out["target"]["function"] == "_clip" and out["target"]["found_by"] == "spectrum"
    assert (
        "if x > high:\n        # TODO: the code that was here is wrong (it ran in 1 of the test file's 1"
        in prompt
    )
    assert result.exit_code == 0, result.output
    assert out["applied"] and out["changed"] == ["_clip"]
    run = run_pytest(str(repo), ["tests/test_stats.py"])
    assert [t.outcome for t in run.tests] == ["passed"] * 3
