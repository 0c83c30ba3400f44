"""Generated env templates (``.env.production.example``): merge a fresh rendering into the file on disk.

The generated file is a header, then groups, each a line ``# === <group> ===`` followed by entries:
a one-line comment ``# NAME (flags): read in ...`` and an assignment line (``NAME=`` or a commented-out
``# NAME=default``).  :func:`merge` updates an existing file in place:

- a variable missing from the file is inserted at the end of its group (a missing group is appended);
- every existing line is kept byte for byte (lines the user wrote or edited stay as they are);
- a generated entry whose variable is no longer read gets a marker line ``# seenfix: NAME is no longer
  read by the code`` above it (never deleted); the marker goes away if the variable is read again;
- the newline style and a missing final newline are kept; merging twice changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from seenfix.editors.text import detect_newline

GROUP = re.compile(r"^# === (?P<title>.+?) ===[ \t]*$")
ASSIGN = re.compile(r"^[ \t]*(?:#[ \t]*)?(?:export[ \t]+)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)[ \t]*=")
MARK = "# seenfix: {name} is no longer read by the code"
MARK_RE = re.compile(r"^# seenfix: (?P<name>[A-Za-z_][A-Za-z0-9_]*) is no longer read by the code[ \t]*$")


def generated_comment(name: str) -> re.Pattern[str]:
    """The generated comment line of ``name`` (``# NAME (flags): ...``)."""
    return re.compile(r"^# " + re.escape(name) + r" \(")


@dataclass
class Group:
    title: str
    entries: list[tuple[str, list[str]]] = field(default_factory=list)  # (name, lines without endings)


def split_lines(text: str) -> list[tuple[str, str]]:
    """``(content, ending)`` pairs; the ending is ``\\n``, ``\\r\\n`` or ``""`` (last line only)."""
    out: list[tuple[str, str]] = []
    for raw in text.splitlines(keepends=True):
        if raw.endswith("\r\n"):
            out.append((raw[:-2], "\r\n"))
        elif raw.endswith("\n"):
            out.append((raw[:-1], "\n"))
        else:
            out.append((raw, ""))
    return out


def parse_groups(text: str) -> list[Group]:
    """The groups and entries of a rendered template (an entry: its comments, then its assignment)."""
    groups: list[Group] = []
    pending: list[str] = []
    for content, _ in split_lines(text):
        g = GROUP.match(content)
        if g is not None:
            groups.append(Group(g.group("title")))
            pending = []
        elif not content.strip():
            pending = []
        elif groups and (m := ASSIGN.match(content)) is not None:
            groups[-1].entries.append((m.group("name"), [*pending, content]))
            pending = []
        else:
            pending.append(content)
    return groups


def assigned_names(text: str) -> dict[str, int]:
    """Name -> 0-based index of its first assignment line (active or commented out)."""
    out: dict[str, int] = {}
    for i, (content, _) in enumerate(split_lines(text)):
        m = ASSIGN.match(content)
        if m is not None and not GROUP.match(content):
            out.setdefault(m.group("name"), i)
    return out


def markers(text: str) -> dict[str, int]:
    """Name -> 0-based line of its ``# seenfix: NAME is no longer read`` marker."""
    out: dict[str, int] = {}
    for i, (content, _) in enumerate(split_lines(text)):
        m = MARK_RE.match(content)
        if m is not None:
            out.setdefault(m.group("name"), i)
    return out


def stale_entries(text: str, read: Iterable[str]) -> list[tuple[str, int]]:
    """Generated entries whose variable is no longer read: ``(name, 0-based assignment line)``."""
    names = set(read)
    lines = split_lines(text)
    out = []
    for name, i in assigned_names(text).items():
        if name in names or i == 0:
            continue
        if generated_comment(name).match(lines[i - 1][0]):
            out.append((name, i))
    return out


def merge(existing: str | None, rendered: str, read: Iterable[str]) -> str:
    """``existing`` updated with what ``rendered`` adds (see the module docstring)."""
    if existing is None or not existing.strip():
        return rendered if existing is None else (existing + rendered if existing else rendered)
    names = set(read)
    nl = detect_newline(existing) if "\n" in existing else detect_newline(rendered)
    lines = split_lines(existing)
    final_newline = existing.endswith("\n")
    present = assigned_names(existing)
    inserts: dict[int, list[str]] = {}  # insert before this 0-based index
    drop: set[int] = set()

    for i, (content, _) in enumerate(lines):
        m = MARK_RE.match(content)
        if m is not None and m.group("name") in names:
            drop.add(i)
    marked = markers(existing)
    for name, i in stale_entries(existing, names):
        if name not in marked:
            inserts.setdefault(i - 1, []).append(MARK.format(name=name))

    headers = [(i, g.group("title")) for i, (c, _) in enumerate(lines) if (g := GROUP.match(c))]
    appended: list[str] = []
    for group in parse_groups(rendered):
        new = [ln for name, entry in group.entries if name not in present for ln in entry]
        if not new:
            continue
        where = next((k for k, (_, t) in enumerate(headers) if t == group.title), None)
        if where is None:
            appended += ["", f"# === {group.title} ===", *new]
            continue
        start = headers[where][0]
        end = headers[where + 1][0] if where + 1 < len(headers) else len(lines)
        last = start
        for k in range(start, end):
            if lines[k][0].strip():
                last = k
        inserts.setdefault(last + 1, []).extend(new)

    if not inserts and not drop and not appended:
        return existing
    out: list[tuple[str, str]] = []
    for i in range(len(lines) + 1):
        for ln in inserts.get(i, []):
            out.append((ln, nl))
        if i < len(lines) and i not in drop:
            out.append(lines[i])
    out += [(ln, nl) for ln in appended]
    text = "".join(c + (e or nl) for c, e in out)
    if not final_newline:
        text = text[: -len(nl)] if text.endswith(nl) else text
    return text
