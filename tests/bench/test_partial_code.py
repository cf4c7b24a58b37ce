"""The partial-code benchmark's pieces: lifting functions, making snippets, the side-by-side table."""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from pathlib import Path

_BENCH = Path(__file__).resolve().parents[2] / "bench"


def _package(name: str) -> None:
    spec = importlib.util.spec_from_file_location(
        name, _BENCH / name / "__init__.py", submodule_search_locations=[str(_BENCH / name)]
    )
    assert spec is not None and spec.loader is not None
    sys.modules.setdefault(name, importlib.util.module_from_spec(spec))
    spec.loader.exec_module(sys.modules[name])


_package("realbugs")
_package("partial_code")
build = importlib.import_module("partial_code.build")
report = importlib.import_module("partial_code.report")
libs = importlib.import_module("realbugs.libs")

MODULE = '''\
import re


def slug(text, sep="-"):
    """A slug."""
    words = re.findall(r"\\w+", text.lower())
    if not words:
        return ""
    joined = sep.join(words)
    for bad in BAD:
        joined = joined.replace(bad, "")
    return joined


def numbers(n):
    for i in range(n):
        yield i


def short(x):
    return x
'''


def test_only_plain_functions_of_five_to_forty_lines_are_lifted_and_a_snippet_is_their_body(
    tmp_path: Path,
) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "text.py").write_text(MODULE)
    library = libs.Library(name="pkg", version="1", sdist="", sha256="", sources=["pkg"], tests=[])
    found = build.candidates(library, tmp_path)
    assert [c["name"] for c in found] == ["slug"]  # a generator and a two-line function are left out
    assert found[0]["text"].startswith('def slug(text, sep="-"):')
    snippet = build.snippet_of(found[0]["text"], "slug")
    assert snippet is not None and "return" not in snippet and "def " not in snippet
    assert "result = ''" in snippet and "result = joined" in snippet and "A slug." not in snippet


def test_the_table_counts_only_fragments_every_predictor_finished(tmp_path: Path) -> None:
    rows = [
        {"id": "function-001", "kind": "function", "library": "x", "predictor": p, "lines": 10, "executed": e,
         "errors": [], "seconds": 1.0, "calls": c}
        for p, e, c in (("plain", 1, 0), ("rules", 5, 0), ("model", 8, 2))
    ] + [{"id": "function-002", "kind": "function", "library": "x", "predictor": "plain", "lines": 4,
          "executed": 1, "errors": [], "seconds": 0.0}]  # fmt: skip
    table = report.table(rows, ["plain", "rules", "model"])
    assert len(table) == 2 + 3  # header, rule, one row per predictor of the finished fragment only
    assert "| lifted functions | `model` | 1 | 80.0 % | 8 of 10 (80.0 %) | 0 | 0 | 2.0 |" in table[-1]
    (tmp_path / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    config = {"commands": ["python bench/partial_code.py run"], "commits": ["abc"], "predictors": ["plain", "rules", "model"],
              "fragments": 200}  # fmt: skip
    (tmp_path / "config.json").write_text(json.dumps(config))
    path = report.write(tmp_path, tmp_path, "test")
    assert "2 of 200 fragments have results" in path.read_text()
