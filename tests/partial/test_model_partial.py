"""``tracefix exec`` with the real embedded model: a lifted function whose helpers are missing (about a minute)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracefix.cli import main

pytestmark = [pytest.mark.model, pytest.mark.slow]

LIFTED = """\
def summarize_orders(orders, currency):
    totals = {}
    for order in orders:
        customer = order["customer"]
        amount = convert(order["amount"], currency)
        totals[customer] = totals.get(customer, 0) + amount
    best = max(totals, key=totals.get)
    report = format_report(totals, best)
    return report
"""


def test_the_embedded_model_supplies_the_call_and_the_helpers_a_lifted_function_lacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACEFIX_CACHE", "off")
    path = tmp_path / "orders.py"
    path.write_text(LIFTED)
    args = ["exec", str(path), "--function", "summarize_orders", "--json"]
    result = CliRunner().invoke(main, [*args, "--model", "local:qwen2.5-coder-1.5b"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    # The model writes the helpers and the call before the first run (the prefix), and every line runs.
    assert out["ending"] == "completed" and out["executed"] == out["lines"] == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert out["call"].startswith("summarize_orders(")
    made = {s["name"]: s for s in out["stand_ins"]}
    assert {"convert", "format_report"} <= set(made) and made["convert"]["by"] == "model"
    assert out["errors"] == [] and out["calls"] >= 1
    print(f"model calls {out['calls']}, {out['seconds']:.0f} s")
