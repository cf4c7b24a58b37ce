"""``tracefix doctor``: what this installation will use, and a short real generation to prove it works."""

from __future__ import annotations

import importlib
import platform
import sys
from typing import Any

import click

from tracefix.cli.common import emit_json
from tracefix.cli.models import named_models_report
from tracefix.models.base import ModelError
from tracefix.models.llama import cpu_threads, default_threads
from tracefix.models.resolve import load_model, prefix_reuse_default
from tracefix.records import GenParams, Message

PROBE = "Write a Python function that returns the sum of a list of numbers."


def python_info() -> dict[str, Any]:
    """The interpreter running tracefix."""
    return {"version": platform.python_version(), "executable": sys.executable}


def tracer_info() -> dict[str, Any]:
    """Which tracer backend runs here: sys.monitoring on 3.12+, settrace on 3.11."""
    try:
        tracer: Any = importlib.import_module("tracefix.execution.tracer")
        backend = str(tracer.default_backend())
    except (ImportError, AttributeError):
        backend = "monitoring" if sys.version_info >= (3, 12) else "settrace"
    return {"backend": backend}


def sandbox_info() -> dict[str, Any]:
    """Whether the bubblewrap sandbox works here, or why jobs fall back to rlimits only."""
    try:
        bwrap: Any = importlib.import_module("tracefix.execution.bwrap")
        ok, reason = bwrap.works()
    except (ImportError, AttributeError) as exc:
        return {"backend": "unknown", "reason": f"sandbox module unavailable: {exc}"}
    return {"backend": "bwrap" if ok else "rlimits", "reason": reason}


def threads_info() -> dict[str, Any]:
    """Threads the embedded model will use (``TRACEFIX_THREADS``) and the cores available."""

    try:
        threads: int | str = default_threads()
    except ModelError as exc:
        threads = str(exc)
    return {"embedded": threads, "cores": cpu_threads(), "prefix_reuse": prefix_reuse_default()}


def generation_probe(spec: str | None, max_tokens: int) -> dict[str, Any]:
    """Load the model and time two generations: one token (≈ prompt time), then ``max_tokens``."""

    messages = [Message(role="user", content=PROBE)]
    try:
        model = load_model(spec, cache=False)
        try:
            first = model.complete(messages, GenParams(max_tokens=1))
            full = model.complete(messages, GenParams(max_tokens=max_tokens))
        finally:
            model.close()
    except ModelError as exc:
        return {"ok": False, "error": str(exc)}
    generated = full.usage.completion_tokens - 1
    decode_s = max(full.latency_s - first.latency_s, 1e-9)
    return {
        "ok": True,
        "model": full.model,
        "prompt_tokens": full.usage.prompt_tokens,
        "completion_tokens": full.usage.completion_tokens,
        "latency_s": round(full.latency_s, 3),
        "prompt_tokens_per_s": round(first.usage.prompt_tokens / max(first.latency_s, 1e-9), 1),
        "generation_tokens_per_s": round(generated / decode_s, 1) if generated > 0 else None,
        "reply": full.text,
    }


@click.command()
@click.option("--model", "spec", default=None, help="Model spec to probe (default: the configured one).")
@click.option("--no-generate", is_flag=True, help="Skip the real generation.")
@click.option("--max-tokens", default=32, show_default=True, help="Tokens to generate in the probe.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def doctor(spec: str | None, no_generate: bool, max_tokens: int, as_json: bool) -> None:
    """Check Python, tracer, sandbox and models, and time a short real generation."""

    report: dict[str, Any] = {
        "python": python_info(),
        "tracer": tracer_info(),
        "sandbox": sandbox_info(),
        "threads": threads_info(),
        **named_models_report(),
    }
    if spec:
        report["configured"] = {"spec": spec, "from": "--model"}
    if not no_generate:
        report["generation"] = generation_probe(report["configured"]["spec"], max_tokens)
    if as_json:
        emit_json(report)
    else:
        _print(report)
    if not report.get("generation", {"ok": True})["ok"]:
        raise SystemExit(1)


def _print(report: dict[str, Any]) -> None:
    click.echo(f"python   {report['python']['version']} ({report['python']['executable']})")
    click.echo(f"tracer   {report['tracer']['backend']}")
    sandbox = report["sandbox"]
    click.echo(f"sandbox  {sandbox['backend']}" + (f" ({sandbox['reason']})" if sandbox["reason"] else ""))
    threads = report["threads"]
    click.echo(
        f"threads  {threads['embedded']} of {threads['cores']} cores for the embedded model (TRACEFIX_THREADS); "
        f"prefix reuse {'on' if threads['prefix_reuse'] else 'off'} (TRACEFIX_PREFIX_REUSE)"
    )
    click.echo(f"model    {report['configured']['spec']} (from {report['configured']['from']})")
    for entry in report["models"]:
        click.echo(f"  {entry['spec']:<26} {entry['source']:<8} {entry['detail']}")
    cache = report["cache"]
    click.echo(f"cache    {cache['path']} ({cache['entries']} replies{'' if cache['enabled'] else ', off'})")
    probe = report.get("generation")
    if probe is None:
        return
    if not probe["ok"]:
        click.echo(f"generation FAILED: {probe['error']}")
        return
    click.echo(
        f"generation {probe['completion_tokens']} tokens in {probe['latency_s']} s: "
        f"prompt {probe['prompt_tokens_per_s']} tokens/s, generation {probe['generation_tokens_per_s']} tokens/s"
    )
