"""``tracefix trace``: the traced run happens in the sandbox; the output shows path, visits and outcome."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tracefix.cli import main
from tracefix.cli.trace import path_text
from tracefix.records import Visit
from tracefix.report.path import collapse_visits

PROGRAM = """\
def total(xs):
    s = 0
    for x in xs:
        s += x
    return s
"""


def test_human_output_shows_the_collapsed_path_each_visit_and_the_result(tmp_path: Path) -> None:
    source = tmp_path / "prog.py"
    source.write_text(PROGRAM)
    result = CliRunner().invoke(
        main, ["trace", str(source), "--function", "total", "--test", "assert total([1, 2, 3]) == 7"]
    )
    assert result.exit_code == 0, result.output
    assert "path: 0 -> [1 -> 2] x3 -> 1 -> 3" in result.output
    assert "       4 |         s += x" in result.output
    assert "state: xs=[1, 2, 3], s=6*, x=3" in result.output
    assert "result: FAILED: AssertionError (test line 1)" in result.output
    assert "returned: 6" in result.output


def test_json_output_is_the_trace_record(tmp_path: Path) -> None:
    source = tmp_path / "prog.py"
    source.write_text(PROGRAM)
    result = CliRunner().invoke(
        main, ["trace", str(source), "--function", "total", "--test", "assert total([]) == 0", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["passed"] is True and data["error"] is None
    assert [v["block"] for v in data["visits"]] == [0, 1, 3]
    assert data["visits"][0]["state"] == {"xs": "[]", "s": "0"}


def test_an_unknown_function_is_a_usage_error(tmp_path: Path) -> None:
    source = tmp_path / "prog.py"
    source.write_text(PROGRAM)
    result = CliRunner().invoke(main, ["trace", str(source), "--function", "nope", "--test", "nope()"])
    assert result.exit_code == 2 and "--function" in result.output


def test_path_text_marks_loops_and_gaps() -> None:
    visits = [Visit(seq=s, block=b) for s, b in enumerate([3, 4, 5, 4, 5, 4, 5, 6])]
    assert path_text(collapse_visits(visits)) == "3 -> [4 -> 5] x3 -> 6"
    gapped = [Visit(seq=0, block=1), Visit(seq=5, block=2)]
    assert path_text(collapse_visits(gapped)) == "1 -> ...(+4)... -> 2"
