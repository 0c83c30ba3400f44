"""Sub-command groups that live outside ``seenfix.cli.app`` (each module imports only click at top level)."""

from __future__ import annotations

import click


def subcommands() -> list[click.Command]:
    from seenfix.cli.env import env
    from seenfix.cli.report import report

    return [env, report]
