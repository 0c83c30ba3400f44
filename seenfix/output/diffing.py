"""Unified diffs of a run's changes, for review (``apply --dry-run``) — with secrets masked."""

from __future__ import annotations

import difflib
import re

from seenfix.engine.run import RunResult
from seenfix.core.redaction import MASK

_ASSIGN = re.compile(r"^(\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_.]*\s*=\s*)(.*?)(\r?\n?)$")


def _mask_secret_lines(lines: list[str]) -> list[str]:
    """A secret file's lines with every value masked: ``KEY=value`` keeps its key, any other line
    that is not a comment (a raw Docker secret file) is masked whole."""
    out = []
    for line in lines:
        body = line.rstrip("\r\n")
        if not body.strip() or body.lstrip().startswith("#"):
            out.append(line)
            continue
        m = _ASSIGN.match(line)
        if m:
            out.append(m.group(1) + (MASK if m.group(2) else "") + m.group(3))
        else:
            out.append(MASK + line[len(body):])
    return out


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def file_diff(path: str, before: str | None, after: str | None, secret: bool = False) -> str:
    a = _lines(before or "")
    b = _lines(after or "")
    if secret:
        a, b = _mask_secret_lines(a), _mask_secret_lines(b)
    fromfile = f"a/{path}" if before is not None else "/dev/null"
    tofile = f"b/{path}" if after is not None else "/dev/null"
    out: list[str] = []
    for line in difflib.unified_diff(a, b, fromfile, tofile, n=3):
        if line.startswith(("---", "+++")):
            out.append(line.rstrip("\n") + "\n")
        elif line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)


def render(result: RunResult) -> str:
    """The whole run as one unified diff (paths sorted), secret values masked."""
    parts: list[str] = []
    untracked = sorted(p for p, ch in result.changes.items() if ch.untrack)
    if untracked:  # changes outside file contents come first, where a reviewer starts reading
        parts.append(f"# seenfix: {index_summary(untracked)}\n")
    for path, ch in sorted(result.changes.items()):
        before = result.original(path)
        if ch.untrack:
            parts.append(f"# seenfix: {path}: removed from the git index (git rm --cached), kept on disk, ignored\n")
        if ch.content is not None and ch.content != before:
            parts.append(file_diff(path, before, ch.content, ch.secret))
    return result.redact("".join(parts))


def index_summary(paths: list[str]) -> str:
    """One line for the changes a run makes to git's index (not to file contents)."""
    n = len(paths)
    return (f"{n} file{'s' if n != 1 else ''} removed from the git index (git rm --cached; "
            f"kept on disk and git-ignored): {', '.join(paths)}")


def render_patch(result: RunResult) -> tuple[str, list[str]]:
    """The run as a patch for ``git apply`` (``apply --patch FILE``): every changed file that may be
    committed, unmasked, since what it removes is in the repository already; generated secret values
    (in no original file) are still masked, and secret files (the untracked ``.env``) are left out.
    Returns the patch and what it leaves out, one line each."""
    from seenfix.core.redaction import mask_values, value_pattern

    parts: list[str] = []
    left_out: list[str] = []
    originals: list[str] = []
    for path, ch in sorted(result.changes.items()):
        before = result.original(path)
        if ch.secret:
            left_out.append(f"{path}: holds secret values; `seenfix apply` writes it")
            continue
        if before is not None:
            originals.append(before)
        if ch.content is not None and ch.content != before:
            parts.append(file_diff(path, before, ch.content))
        if ch.untrack:
            left_out.append(f"{path}: to stop tracking it, run `git rm --cached {path}`")
    generated = {v for v in result.secret_values if not any(value_pattern(v).search(t) for t in originals)}
    return mask_values("".join(parts), generated), left_out


def colorize(diff: str) -> str:
    import click

    out = []
    for line in diff.splitlines(keepends=True):
        body, nl = (line[:-1], "\n") if line.endswith("\n") else (line, "")
        if line.startswith(("+++", "---")):
            out.append(click.style(body, bold=True) + nl)
        elif line.startswith("@@"):
            out.append(click.style(body, fg="cyan") + nl)
        elif line.startswith("+"):
            out.append(click.style(body, fg="green") + nl)
        elif line.startswith("-"):
            out.append(click.style(body, fg="red") + nl)
        else:
            out.append(line)
    return "".join(out)
