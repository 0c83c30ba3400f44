"""``seenfix env check ENV_FILE``: validate an env file against what the code reads.

A deploy-time gate: every problem is one line ``ENV_FILE:line: message``; values are never printed.
Exit codes as ``seenfix check``: 0 nothing found, 1 problems, 2 usage or configuration error.
Only click and the standard library are imported at module level (``seenfix --help`` stays instant).
"""

from __future__ import annotations

import difflib
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # pragma: no cover
    from seenfix.analysis.envvars import Discovery

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2

#: Variables docker compose itself reads from the env file: never "unknown".
COMPOSE_OWN = re.compile(r"^(COMPOSE_[A-Z_]+|DOCKER_[A-Z_]+|BUILDKIT_[A-Z_]+)$")
#: Values that are obviously not real (a provider's API key, a password...).
PLACEHOLDER = re.compile(
    r"^(<.*>|\{\{.*\}\}|x{3,}|\*{3,}|\.{3})$|your[-_ ]|change[-_ ]?me|changeit|change[-_ ]?this|replace[-_ ]?(me|in)|"
    r"placeholder|^todo$|^fixme$|^example$|^dummy$|^none$|^null$",
    re.IGNORECASE,
)


@dataclass(frozen=True, order=True)
class Problem:
    line: int
    message: str


@click.group("env")
def env() -> None:
    """Check env files against the variables the code reads."""


@env.command("check")
@click.argument("env_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--project", "project_dir", default=".", show_default=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The project whose compose files, backend and frontend say which variables exist.")
@click.option("--allow-unknown", is_flag=True, help="Do not report variables the code does not read.")
def check(env_file: Path, project_dir: Path, allow_unknown: bool) -> None:
    """Check ENV_FILE against the variables the project reads.

    Reports missing required variables, empty values, weak or placeholder secrets, unknown variables
    (with a did-you-mean) and malformed lines. Prints one line per problem, ENV_FILE:line: message. Exit code 0 when the file is fine, 1 when it
    has problems, 2 on a usage or configuration error.
    """
    from seenfix.analysis.envvars import discover
    from seenfix.core.project import Project
    from seenfix.core.workspace import Undecodable, Workspace, decode, read_regular

    try:
        text, _ = decode(read_regular(env_file)[0])
    except (OSError, Undecodable) as exc:
        click.echo(f"seenfix: error: {env_file}: cannot read: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    found = discover(Project(Workspace(project_dir)))
    for problem in found.problems:
        click.echo(f"seenfix: warning: {problem.path}:{problem.line}: {problem.message}", err=True)
    if not found.vars:
        click.echo(f"seenfix: error: no environment variable is read in {project_dir} "
                   "(no compose interpolation, backend settings or VITE_ variables); is --project right?", err=True)
        sys.exit(EXIT_USAGE)
    problems = validate(text, found, allow_unknown=allow_unknown)
    for p in problems:
        click.echo(f"{env_file}:{p.line}: {p.message}")
    sys.exit(EXIT_PROBLEMS if problems else EXIT_OK)


def validate(text: str, found: Discovery, *, allow_unknown: bool = False) -> list[Problem]:
    """Every problem of the env file ``text`` against the variables ``found``, sorted by line."""
    from seenfix.editors.dotenv import parse, why_malformed
    from seenfix.analysis.secrets_policy import is_generatable, is_sensitive
    from seenfix.analysis.secrets_policy import is_literal_value, weakness

    dotenv = parse(text)
    out: list[Problem] = []
    for bad in dotenv.malformed:
        out.append(Problem(bad.line, f"malformed line: {why_malformed(bad.text)}"))
    first: dict[str, int] = {}
    for item in dotenv.entries:
        if item.key in first:
            out.append(Problem(item.line, f"{item.key} is set again (first on line {first[item.key]}); "
                                          "the last value wins"))
        first.setdefault(item.key, item.line)
    known = found.vars
    for key in dotenv.keys():
        entry = dotenv.get(key)
        assert entry is not None
        var = known.get(key)
        if var is None:
            if allow_unknown or COMPOSE_OWN.match(key):
                continue
            close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.75)
            hint = f"; did you mean {close[0]}?" if close else ""
            out.append(Problem(entry.line, f"{key} is not read by the code{hint}"))
            continue
        where = var.reads[0].where
        value = entry.value
        if value.strip() == "":
            need = "required" if var.required else "set"
            out.append(Problem(entry.line, f"{key} is {need} but empty (read at {where})"))
        elif not is_literal_value(value):
            continue  # a reference (${OTHER}) or a secrets-file path: nothing to judge here
        elif PLACEHOLDER.search(value.strip()):
            out.append(Problem(entry.line, f"{key} holds a placeholder value (read at {where})"))
        elif is_generatable(key) and weakness(value) is not None:
            out.append(Problem(entry.line, f"{key} holds a weak secret ({len(value)} characters, guessable); "
                                           "`seenfix secret` prints a strong one"))
        elif is_sensitive(key) and len(value) < 8:
            out.append(Problem(entry.line, f"{key} is too short to be a real credential (read at {where})"))
    present = set(dotenv.keys())
    for var in known.values():
        if var.required and var.name not in present:
            out.append(Problem(1, f"{var.name} is required but not set (read at {var.reads[0].where})"))
    return sorted(out)
