"""Suppressions, applied in one place for every fixer: inline comments and ``per-file-ignores``.

A finding is suppressed when a suppression comment of its file covers its line and names its code
(or names none), or when a ``per-file-ignores`` pattern of the configuration matches its path and
lists its code.  A suppressed finding is neither reported nor fixed: the runner drops a fixer's change
to a file whose findings of that fixer are all suppressed, and when only some are, the parts of the
change that belong to them (each changed region belongs to the nearest finding at or above it).
Comment syntax and reach come from :mod:`seenfix.editors.comments`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from seenfix.core.model import FileChange, Finding
from seenfix.core.project import Project
from seenfix.editors.comments import Directive, directives


@dataclass(frozen=True)
class Unused:
    """A suppression comment (or one code of it) that suppressed nothing in this run."""

    path: str
    line: int
    column: int
    codes: tuple[str, ...]  # empty: a suppression of every code

    def text(self) -> str:
        what = ", ".join(self.codes) if self.codes else "every code"
        return f"{self.path}:{self.line}:{self.column}: unused suppression ({what}): nothing is suppressed here"


def glob_matches(pattern: str, path: str) -> bool:
    """ruff's per-file-ignores patterns: ``*`` within a name, ``**`` across folders, a trailing
    ``/`` for a whole folder, and a pattern without ``/`` matches a file name in any folder."""
    pattern = pattern.strip()
    if pattern.startswith("./"):
        pattern = pattern[2:]
    if pattern.endswith("/"):
        pattern += "**"
    target = path if "/" in pattern else path.rsplit("/", 1)[-1]
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.fullmatch("".join(out), target) is not None


@dataclass
class Suppressor:
    """Decides which findings are suppressed, remembering which suppressions were used."""

    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    used: set[tuple[str, int, str]] = field(default_factory=set)  # (path, line, code or "")
    _cache: dict[tuple[str, str], list[Directive]] = field(default_factory=dict)

    def directives(self, path: str, text: str | None) -> list[Directive]:
        if text is None:
            return []
        key = (path, text)
        found = self._cache.get(key)
        if found is None:  # the narrowest first: it is the one a finding uses
            found = self._cache[key] = sorted(directives(path, text),
                                              key=lambda d: (d.file_level, d.last - d.first, d.line))
        return found

    def suppressed(self, finding: Finding, project: Project) -> bool:
        for pattern, codes in self.per_file_ignores:
            if finding.code in codes and glob_matches(pattern, finding.path):
                return True
        if project.holds_no_mark(finding.path):  # no comment (and the file need not be read for that)
            return False
        for d in self.directives(finding.path, project.read_text(finding.path)):
            if d.covers(finding.code, finding.line):
                self.used.add((d.path, d.line, finding.code if d.codes else ""))
                return True
        return False

    def split(self, findings: Iterable[Finding], project: Project) -> tuple[list[Finding], list[Finding]]:
        """``(kept, suppressed)``."""
        kept: list[Finding] = []
        dropped: list[Finding] = []
        for f in findings:
            (dropped if self.suppressed(f, project) else kept).append(f)
        return kept, dropped

    def filter_changes(self, project: Project, kept: Sequence[Finding], dropped: Sequence[Finding],
                       changes: Sequence[FileChange]) -> list[FileChange]:
        """``changes`` without what belongs to the ``dropped`` (suppressed) findings."""
        if not dropped:
            return list(changes)
        out: list[FileChange] = []
        for ch in changes:
            gone = [f.line for f in dropped if f.path == ch.path]
            if not gone:
                out.append(ch)
                continue
            live = [f.line for f in kept if f.path == ch.path]
            if not live or ch.content is None:
                continue  # every finding of this fixer in this file is suppressed
            before = project.read_text(ch.path)
            if before is None:
                continue
            content = keep_hunks(before, ch.content, set(live), set(gone))
            if content != before:
                out.append(FileChange(ch.path, content, ch.secret, ch.secret_values, ch.untrack, ch.mode))
        return out

    def unused(self, project: Project, codes: set[str], *, every_code: bool) -> list[Unused]:
        """The suppressions of ``project`` that suppressed nothing for ``codes`` (the fixers that ran),
        in the files those fixers read.  A suppression of every code is reported only when
        ``every_code`` (the run had every fixer)."""
        out: list[Unused] = []
        for path in project.files():
            text = project.cached_text(path)  # the files the fixers read: no file is read again for this
            if text is None or "seenfix" not in text:
                continue
            for d in self.directives(path, text):
                if not d.codes:
                    if every_code and not any(u[0] == path and u[1] == d.line for u in self.used):
                        out.append(Unused(path, d.line, d.column, ()))
                    continue
                idle = tuple(c for c in d.codes if c in codes and (path, d.line, c) not in self.used)
                if idle:
                    out.append(Unused(path, d.line, d.column, idle))
        return out


def keep_hunks(before: str, after: str, live: set[int], gone: set[int]) -> str:
    """``after`` with each changed region that belongs to a line in ``gone`` (and to none in ``live``)
    put back as in ``before``.  A region belongs to the nearest finding line at or above its first
    line (an insertion: above the line it goes before); one above every finding (an anchor or a zone
    the findings share) is kept."""
    a = before.splitlines(keepends=True)
    b = after.splitlines(keepends=True)
    lines = sorted(live | gone)
    out: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.extend(a[i1:i2])
            continue
        anchor = i1 if tag == "insert" else i1 + 1  # 1-based line at or above the region
        owner = max((n for n in lines if n <= anchor), default=None)
        if owner is not None and owner in gone and owner not in live:
            out.extend(a[i1:i2])
        else:
            out.extend(b[j1:j2])
    return "".join(out)


def plan_ignores(project: Project, findings: Sequence[Finding]) -> tuple[list[FileChange], list[Finding]]:
    """The suppression comments that silence ``findings`` (``seenfix check --add-ignore``), as file
    changes for the engine to write, and the findings that cannot be silenced inline (their file does
    not exist, or no comment can go there without changing what the file means: a line inside a
    string, a YAML block scalar...; ``per-file-ignores`` covers those).

    Each comment joins a suppression that already ends the line, else ends the line (ruff's
    ``--add-noqa``); where that would change the file's meaning it goes alone on the line above.
    Every edit is checked with :func:`seenfix.editors.comments.same_meaning`."""
    from seenfix.editors.comments import add_codes, add_codes_above, same_meaning

    by_path: dict[str, dict[int, list[str]]] = {}
    for f in findings:
        by_path.setdefault(f.path, {}).setdefault(f.line, [])
        if f.code not in by_path[f.path][f.line]:
            by_path[f.path][f.line].append(f.code)
    changes: list[FileChange] = []
    skipped: list[Finding] = []
    for path in sorted(by_path):
        text = project.read_text(path)
        if text is None:
            skipped.extend(f for f in findings if f.path == path)
            continue
        new = text
        for line in sorted(by_path[path], reverse=True):  # back to front: earlier lines keep their number
            codes = by_path[path][line]
            for edit in (add_codes, add_codes_above):
                candidate = edit(path, new, line, codes)
                if candidate != new and same_meaning(path, new, candidate):
                    new = candidate
                    break
            else:
                skipped.extend(f for f in findings if f.path == path and f.line == line)
        if new != text:
            changes.append(FileChange(path, new))
    return changes, skipped
