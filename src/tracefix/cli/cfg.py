"""``tracefix cfg``: show the basic blocks of one function and the edges between them."""

from __future__ import annotations

from pathlib import Path

import click

from tracefix.cli.common import emit_json, load_cfg, read_source
from tracefix.records import CFG


def describe(cfg: CFG, source: str) -> str:
    """Human-readable listing: each block with its source lines, then where it can go next."""
    text = source.splitlines()
    out = [f"{cfg.function}: {len(cfg.blocks)} blocks, entry block {cfg.entry}"]
    width = len(str(max((line for b in cfg.blocks for line in b.lines), default=1)))
    for block in cfg.blocks:
        out.append(f"block {block.id} ({block.kind}):")
        out += [f"  {line:>{width}} | {text[line - 1] if line <= len(text) else ''}" for line in block.lines]
        targets = [
            f"{'exit' if e.target < 0 else e.target} ({e.label})" for e in cfg.edges if e.source == block.id
        ]
        out.append(f"  -> {', '.join(targets) if targets else 'nowhere'}")
    return "\n".join(out)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--function", "function", required=True, help="A function name, Class.method or outer.inner.")
@click.option("--json", "as_json", is_flag=True, help="Print the CFG record as JSON.")
def cfg(file: Path, function: str, as_json: bool) -> None:
    """Split FUNCTION in FILE into basic blocks and print its control-flow graph."""
    source = read_source(file)
    graph = load_cfg(file, source, function)
    if as_json:
        emit_json(graph)
    else:
        click.echo(describe(graph, source))
