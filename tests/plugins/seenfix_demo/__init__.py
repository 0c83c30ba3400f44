"""A third-party-style seenfix plugin used only by the tests.

It is registered through the ``seenfix.fixers`` entry-point group by the ``dist-info`` folder beside
it, exactly as an installed package would be, and exercises the runner's failure paths.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterable

from seenfix.core.model import FileFixer, Finding, InputError, Option, Severity
from seenfix.core.project import Project


def _build_a_class_while_signalled() -> None:
    class Descriptor:
        def __set_name__(self, owner: type, name: str) -> None:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(10)  # the handler runs here and raises SystemExit

    class Owner:
        field = Descriptor()


class TrailingWhitespace(FileFixer):
    """
    ## What it does
    Removes trailing spaces and tabs from Markdown files (a test-only plugin).

    ## Why is this bad?
    Trailing whitespace is noise in diffs.

    ## Example
    `text   ` at the end of a line.

    ## Use instead
    `text` with nothing after it.

    ## Fix safety
    Safe: Markdown hard breaks are not used in the test fixtures.

    ## Options
    - `crash` (boolean): raise in `fix()`, to test crash handling.
    - `break_yaml` (boolean): also emit invalid YAML for compose files, to test verification.
    - `flip` (boolean): a non-idempotent fix, to test the second-run check.
    - `sigterm_in_set_name` (boolean): in `fix()`, send this process SIGTERM while a class is being
      built, so the handler's `SystemExit` is raised inside `__set_name__` (Python 3.11 turns it into
      a `RuntimeError`, as when a signal lands while a library is imported).

    ## References
    - https://editorconfig.org/ (`trim_trailing_whitespace`)
    """

    code = "SF901"
    slug = "trailing-whitespace"
    summary = "Trailing whitespace in Markdown"
    seed_issue = 0
    area = "docs"
    severity = Severity.LOW
    fix_title = "Remove trailing whitespace"
    sets = frozenset({"p2"})
    options = (
        Option("crash", bool, False, "Raise in fix()."),
        Option("break_yaml", bool, False, "Emit invalid YAML."),
        Option("flip", bool, False, "Non-idempotent fix."),
        Option("sigterm_in_set_name", bool, False, "SIGTERM while a class body's __set_name__ runs."),
    )

    def targets(self, project: Project) -> Iterable[str]:
        return [p for p in project.files() if p.endswith((".md", ".yml"))]

    def check_file(self, path: str, text: str, project: Project) -> Iterable[Finding]:
        for number, line in enumerate(text.splitlines(), 1):
            if "SEENFIX-BROKEN" in line:
                raise InputError(path, number, "demo parse error")
            if line != line.rstrip(" \t") or (self.config["break_yaml"] and path.endswith(".yml")):
                yield self.finding(path, number, "Line has trailing whitespace")

    def fix_file(self, path: str, text: str, project: Project) -> str | None:
        if self.config["crash"]:
            raise RuntimeError("boom")
        if self.config["sigterm_in_set_name"]:
            _build_a_class_while_signalled()
        if path.endswith(".yml"):
            return text + "key: [unclosed\n" if self.config["break_yaml"] else None
        lines = text.splitlines(keepends=True)
        out = []
        for line in lines:
            body = line.rstrip("\r\n")
            out.append(body.rstrip(" \t") + line[len(body):])
        new = "".join(out)
        if self.config["flip"]:
            new += "x"
        return new
