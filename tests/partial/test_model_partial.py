"""``tracefix exec`` with the real embedded model: lifted functions whose helpers are missing (minutes)."""

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

SHIPPING = """\
def shipping_cost(order, rates):
    if order["weight"] > 20:
        return rates["heavy"] * order["weight"]
    region = lookup_region(order["country"])
    if region == "EU":
        return rates["eu"]
    return rates["world"]
"""


def execute(path: Path, function: str, *more: str) -> dict[str, object]:
    result = CliRunner().invoke(main, ["exec", str(path), "--function", function, "--json", *more])
    assert result.exit_code == 0, result.output
    out: dict[str, object] = json.loads(result.stdout)
    return out


def test_the_embedded_model_runs_the_branches_the_rules_dummies_cannot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACEFIX_CACHE", "off")
    model = ["--model", "local:qwen2.5-coder-1.5b"]
    lifted = tmp_path / "orders.py"
    lifted.write_text(LIFTED)
    out = execute(lifted, "summarize_orders", *model)
    assert out["executed"] == out["lines"] and out["calls"] == 0  # the rules ran every line: no model call

    shipping = tmp_path / "shipping.py"
    shipping.write_text(SHIPPING)
    rules = execute(shipping, "shipping_cost", "--predictor", "rules")
    out = execute(shipping, "shipping_cost", *model)
    # A dummy's comparisons are false: the rules never take `weight > 20`; the model's order can.
    assert len(rules["executed"]) == 5 and len(out["executed"]) > 5  # type: ignore[arg-type]
    assert out["calls"] >= 1 and any(s["by"] == "model" for s in out["stand_ins"])  # type: ignore[union-attr]
    assert [e for e in out["errors"] if e["own"]] == []  # type: ignore[union-attr]
    print(f"model calls {out['calls']}, {out['seconds']:.0f} s, lines {out['executed']}")
