"""``tracefix strategies``: every strategy with its options, read off the options models."""

from __future__ import annotations

import textwrap

import click

from tracefix.cli.common import emit_json
from tracefix.strategies.catalog import strategies as catalog


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the strategies and their options as JSON.")
def strategies(as_json: bool) -> None:
    """List every strategy spec and its options: values, default and what each does.

    A spec sets options in brackets, e.g. ldb[format=focused,blocks=4] or feedback[retry=off]; the options
    marked "every strategy" are the debugging loop's own.
    """
    entries = catalog()
    if as_json:
        emit_json(entries)
        return
    for entry in entries:
        click.echo(click.style(entry["spec"], bold=True) + f"  {entry['summary']}")
        for option in entry["options"]:
            head = f"  {option['name']}={option['values']} (default {option['default']})"
            tail = " [every strategy]" if option["engine"] else ""
            click.echo(head)
            click.echo(
                textwrap.fill(option["help"] + tail, 100, initial_indent=" " * 6, subsequent_indent=" " * 6)
            )
        click.echo()
