"""Model specs: the accepted forms, the errors for the rest, and where the spec comes from."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracefix.models.resolve import DEFAULT_SPEC, ModelSpec, SpecError, configured_spec, parse_spec


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("local:qwen2.5-coder-1.5b", ModelSpec("local", "qwen2.5-coder-1.5b")),
        ("local:qwen2.5-coder-0.5b", ModelSpec("local", "qwen2.5-coder-0.5b")),
        ("local:/models/x.gguf", ModelSpec("local", "/models/x.gguf")),
        ("local:x.gguf", ModelSpec("local", "x.gguf")),
        ("openai:gpt-4o-mini", ModelSpec("openai", "gpt-4o-mini")),
        (
            "openai-compatible:http://127.0.0.1:8000/v1#qwen",
            ModelSpec("openai-compatible", "http://127.0.0.1:8000/v1", "qwen"),
        ),
        ("openai-compatible:https://host/v1/", ModelSpec("openai-compatible", "https://host/v1")),
    ],
)
def test_accepted_specs(text: str, expected: ModelSpec) -> None:
    assert parse_spec(text) == expected


def test_spec_round_trips_through_str() -> None:
    for text in ("local:qwen2.5-coder-1.5b", "openai:gpt-4o-mini", "openai-compatible:http://h:1/v1#m"):
        assert str(parse_spec(text)) == text


def test_named_models_are_recognised() -> None:
    assert parse_spec("local:qwen2.5-coder-0.5b").is_named
    assert not parse_spec("local:/tmp/qwen2.5-coder-0.5b.gguf").is_named


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("qwen2.5-coder-1.5b", "no backend prefix"),
        ("llama:foo", "unknown backend 'llama'"),
        ("local:qwen-7b", "neither a named model"),
        ("openai-compatible:localhost:8000", "must start with http://"),
        ("openai:", "no backend prefix"),
    ],
)
def test_rejected_specs_say_what_is_accepted(text: str, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        parse_spec(text)


@pytest.fixture
def no_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty working directory and user config directory, and no TRACEFIX_MODEL."""
    monkeypatch.delenv("TRACEFIX_MODEL", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    work = tmp_path / "work"
    work.mkdir()
    return work


def test_default_when_nothing_is_configured(no_config: Path) -> None:
    assert configured_spec(cwd=no_config) == (DEFAULT_SPEC, "default")


def test_precedence_flag_env_project_user(
    no_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = tmp_path / "config" / "tracefix" / "config.toml"
    user.parent.mkdir(parents=True)
    user.write_text('model = "openai:user"\n')
    assert configured_spec(cwd=no_config) == ("openai:user", str(user))

    project = no_config / "tracefix.toml"
    project.write_text('model = "openai:project"\n')
    assert configured_spec(cwd=no_config) == ("openai:project", str(project))

    monkeypatch.setenv("TRACEFIX_MODEL", "openai:env")
    assert configured_spec(cwd=no_config) == ("openai:env", "TRACEFIX_MODEL")

    assert configured_spec("openai:flag", cwd=no_config) == ("openai:flag", "--model")


def test_config_with_a_wrong_type_names_the_file(no_config: Path) -> None:
    (no_config / "tracefix.toml").write_text("model = 3\n")
    with pytest.raises(SpecError, match=r"tracefix.toml: 'model' must be a string"):
        configured_spec(cwd=no_config)


def test_broken_config_names_the_file(no_config: Path) -> None:
    (no_config / "tracefix.toml").write_text("model = \n")
    with pytest.raises(SpecError, match=r"cannot read config file .*tracefix.toml"):
        configured_spec(cwd=no_config)
