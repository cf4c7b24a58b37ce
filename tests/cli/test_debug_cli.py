"""`tracefix debug` on the shipped example with a scripted model: the summary line, the diff and --write."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracefix.cli import main
from tracefix.models.fake import ScriptedModel

EXAMPLES = Path(__file__).parents[2] / "examples"
FIXED = "for i in range(len(numbers)):"


def run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, replies: list[str], *extra: str
) -> tuple[int, str, Path]:
    import tracefix.cli.common as common

    source = tmp_path / "sum_evens.py"
    shutil.copy(EXAMPLES / "sum_evens.py", source)
    monkeypatch.setattr(common, "load_model", lambda spec: ScriptedModel(replies))
    args = [
        "debug",
        str(source),
        "--function",
        "sum_evens",
        "--tests-file",
        str(EXAMPLES / "sum_evens_tests.txt"),
    ]
    result = CliRunner().invoke(main, [*args, *extra])
    return result.exit_code, result.output, source


def test_a_fix_is_summarised_shown_as_a_diff_and_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fixed = (EXAMPLES / "sum_evens.py").read_text().replace("for i in range(1, len(numbers)):", FIXED)
    code, output, source = run(tmp_path, monkeypatch, [f"```python\n{fixed}```"], "--write")
    assert code == 0, output
    assert "fixed after 1 iteration, 1 model calls" in output
    assert f"+    {FIXED}" in output and "-    for i in range(1, len(numbers)):" in output
    assert f"wrote the fix to {source}" in output and FIXED in source.read_text()


def test_a_fix_that_fails_is_not_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = (EXAMPLES / "sum_evens.py").read_text()
    wrong = before.replace("total += numbers[i]", "total += 2 * numbers[i]")
    code, output, source = run(
        tmp_path, monkeypatch, [f"```python\n{wrong}```"] * 4, "--write", "--max-iters", "1"
    )
    assert "not fixed after 1 iteration" in output, output
    assert "did not write: tests still fail" in output and source.read_text() == before
    assert code != 0
