"""The ``tracefix`` command line: a thin shell over the Python API.

Each command lives in its own module and is imported only when it runs, so ``tracefix --help`` and quick
commands do not pay for importing model or HTTP libraries.
"""

from __future__ import annotations

import importlib

import click

from tracefix import __version__

# command name -> "module:attribute" (modules under tracefix.cli)
# Keep command modules light at import time (import heavy libraries inside the command function):
# ``tracefix --help`` imports every one of them to show its summary.
COMMANDS: dict[str, str] = {
    "bench": "tracefix.cli.bench:bench",
    "cfg": "tracefix.cli.cfg:cfg",
    "debug": "tracefix.cli.debug:debug",
    "doctor": "tracefix.cli.doctor:doctor",
    "exec": "tracefix.cli.exec_cmd:exec_command",
    "models": "tracefix.cli.models:models",
    "pytest": "tracefix.cli.pytest_cmd:pytest_command",
    "report": "tracefix.cli.report:report",
    "run": "tracefix.cli.run:run",
    "strategies": "tracefix.cli.strategies:strategies",
    "trace": "tracefix.cli.trace:trace",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        command = getattr(importlib.import_module(module_name), attr)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tracefix")
def main() -> None:
    """Fix failing Python functions with an LLM that sees what the program really did at run time."""
