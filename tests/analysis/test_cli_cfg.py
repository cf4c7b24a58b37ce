"""``tracefix cfg``: the blocks of a function as text or JSON, and one-line errors for user mistakes."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tracefix.cli import main

PROGRAM = "def f(x):\n    if x:\n        return 1\n    return 2\n"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_json_is_the_cfg_record(tmp_path: Path) -> None:
    (tmp_path / "p.py").write_text(PROGRAM)
    code, out = run("cfg", str(tmp_path / "p.py"), "--function", "f", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["function"] == "f"
    assert data["entry"] == 0
    assert [b["lines"] for b in data["blocks"]] == [[2], [3], [4]]
    assert {"source": 0, "target": 1, "label": "true"} in data["edges"]


def test_text_lists_each_block_with_its_source_and_successors(tmp_path: Path) -> None:
    (tmp_path / "p.py").write_text(PROGRAM)
    code, out = run("cfg", str(tmp_path / "p.py"), "--function", "f")
    assert code == 0
    assert "block 0 (if):\n  2 |     if x:\n  -> 1 (true), 2 (false)" in out
    assert "block 1 (body):\n  3 |         return 1\n  -> exit (return)" in out


def test_user_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    (tmp_path / "p.py").write_text(PROGRAM)
    (tmp_path / "bad.py").write_text("x = 1\ndef f(:\n")
    code, out = run("cfg", str(tmp_path / "p.py"), "--function", "g")
    assert code == 2
    assert "--function: function 'g' not found; functions in the file: f" in out
    code, out = run("cfg", str(tmp_path / "bad.py"), "--function", "f")
    assert code == 1
    assert "bad.py:2: syntax error" in out
    code, out = run("cfg", str(tmp_path / "missing.py"), "--function", "f")
    assert code == 1
    assert "Traceback" not in out
    assert "missing.py" in out
