"""Sub-command groups that live outside ``seenfix.cli.app`` (each module imports only click at top level)."""

from __future__ import annotations

import click


#: name -> ``module:attribute`` of each sub-command, imported when that command runs (or help lists it)
SUBCOMMANDS = {"env": "seenfix.cli.env:env", "report": "seenfix.cli.report:report"}


def subcommand(name: str) -> click.Command | None:
    """The sub-command ``name``, imported now; ``None`` when there is none of that name."""
    import importlib

    where = SUBCOMMANDS.get(name)
    if where is None:
        return None
    module, _, attr = where.partition(":")
    command = getattr(importlib.import_module(module), attr)
    assert isinstance(command, click.Command)
    return command


def subcommands() -> list[click.Command]:
    return [c for c in map(subcommand, SUBCOMMANDS) if c is not None]
